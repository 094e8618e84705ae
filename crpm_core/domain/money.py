"""Money: exact ``Decimal`` with two places in the API, integer minor units in storage."""

from __future__ import annotations

import math
import re
from decimal import Decimal

from crpm_core.errors import ValidationError

CENT = Decimal("0.01")
MAX_PRICE = Decimal("1000000000")

MONEY_TEXT_PATTERN = r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
"""The shape of an amount given as text: an optional sign, ASCII digits, and optionally a
``.`` followed by ASCII digits (``"12"``, ``"12.5"``, ``"0.99"``, ``".5"``). Nothing else:
no exponent, no grouping (``"1_000"``, ``"1 000"``, ``"1,000"``), no other digits than
``0-9``, no ``NaN`` or ``Infinity``. Spaces and tabs around it are trimmed."""
_MONEY_TEXT = re.compile(MONEY_TEXT_PATTERN)


def parse_money(value: object, field: str = "price") -> Decimal:
    """Return ``value`` as a ``Decimal`` with exactly two places, or refuse it.

    Accepted: ``Decimal`` (any finite one, ``Decimal("1E+3")`` too), ``int``, a finite
    ``float`` taken by its shortest repr (``9.99`` means ``"9.99"``) and text of the plain
    shape :data:`MONEY_TEXT_PATTERN`. Refused: ``bool``, not-a-number, infinities, more than
    two places, negatives and amounts above 1,000,000,000.
    """
    if isinstance(value, bool):
        raise ValidationError(field, "must be an amount of money, not true/false")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        if not 0 <= value <= MAX_PRICE:  # before Decimal(): any size of int stays cheap
            raise ValidationError(
                field, "must not be negative" if value < 0 else "must be at most 1,000,000,000"
            )
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, "must be a finite amount")
        # a finite float's repr is always a valid Decimal; exponents (1e-05) only occur
        # far below a cent or far above the maximum, and are refused below for that
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        amount = _decimal_from_text(value, field)
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


def _decimal_from_text(value: str, field: str) -> Decimal:
    text = value.strip(" \t")
    if not _MONEY_TEXT.fullmatch(text):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ValidationError(
            field, f"{shown!r} is not a plain amount like 12.50 (digits 0-9 and one '.')"
        )
    return Decimal(text)


def to_minor(amount: Decimal) -> int:
    """Two-place ``Decimal`` to integer cents."""
    return int(amount.quantize(CENT) * 100)


def from_minor(minor: int | Decimal) -> Decimal:
    """Integer cents (as any backend returns them) to a two-place ``Decimal``."""
    return (Decimal(int(minor)) / 100).quantize(CENT)
