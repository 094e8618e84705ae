"""Money: exact ``Decimal`` with two places in the API, integer minor units in storage."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from crpm_core.errors import ValidationError

CENT = Decimal("0.01")
MAX_PRICE = Decimal("1000000000")


def parse_money(value: object, field: str = "price") -> Decimal:
    """Return ``value`` as a ``Decimal`` with exactly two places, or refuse it.

    Accepted: ``Decimal``, ``int`` and numeric ``str`` (``"12.5"``); a ``float`` is taken
    by its shortest repr (``9.99`` means ``"9.99"``). Refused: ``bool``, not-a-number,
    infinities, more than two places, negatives and amounts above 1,000,000,000.
    """
    if isinstance(value, bool):
        raise ValidationError(field, "must be an amount of money, not true/false")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = _decimal_from_text(repr(value), field)
    elif isinstance(value, str):
        amount = _decimal_from_text(value.strip(), field)
    else:
        raise ValidationError(field, "must be an amount of money")
    if not amount.is_finite():
        raise ValidationError(field, "must be a finite amount")
    if amount < 0:
        raise ValidationError(field, "must not be negative")
    if amount > MAX_PRICE:
        raise ValidationError(field, "must be at most 1,000,000,000")
    if amount != amount.quantize(CENT):
        raise ValidationError(field, "must have at most two decimal places")
    if amount == 0:
        amount = Decimal(0)
    return amount.quantize(CENT)


def _decimal_from_text(text: str, field: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValidationError(field, f"{text!r} is not a number") from None


def to_minor(amount: Decimal) -> int:
    """Two-place ``Decimal`` to integer cents."""
    return int(amount.quantize(CENT) * 100)


def from_minor(minor: int | Decimal) -> Decimal:
    """Integer cents (as any backend returns them) to a two-place ``Decimal``."""
    return (Decimal(int(minor)) / 100).quantize(CENT)
