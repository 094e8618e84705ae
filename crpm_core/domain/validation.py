"""The rules every value must pass before it reaches the database.

Each function returns the normalised value or raises :class:`ValidationError`
naming the field. Nothing here knows about storage.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from crpm_core.errors import ValidationError

NAME_MAX = 200
EMAIL_MAX = 254
SKU_MAX = 64
NOTE_MAX = 500
PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 15
MAX_QUANTITY = 1_000_000
MAX_STOCK = 1_000_000_000

_PHONE_CHARS = re.compile(r"^[0-9+\-(). ]+$")
_SKU_CHARS = re.compile(r"^[^\s]+$")
_LABEL = re.compile(r"^[^\s@.]+$")


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value if ch not in " \t"):
        raise ValidationError(field, "must not contain control characters")
    return value.strip()


def name(value: object, field: str = "name") -> str:
    """A name: 1-200 characters after trimming."""
    text = _text(value, field)
    if not text:
        raise ValidationError(field, "must not be empty")
    if len(text) > NAME_MAX:
        raise ValidationError(field, f"must be at most {NAME_MAX} characters")
    return text


def email(value: object, field: str = "email") -> str:
    """An address with a single ``@`` and a dotted domain, at most 254 characters."""
    text = _text(value, field)
    if not text:
        raise ValidationError(field, "must not be empty")
    if len(text) > EMAIL_MAX:
        raise ValidationError(field, f"must be at most {EMAIL_MAX} characters")
    if text.count("@") != 1:
        raise ValidationError(field, "must contain exactly one @")
    local, domain = text.split("@")
    if not local or any(ch.isspace() for ch in local):
        raise ValidationError(field, "needs a name before the @, without spaces")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValidationError(field, "needs a dotted domain after the @, like shop.example")
    return text


def email_key(address: str) -> str:
    """The form in which two addresses are compared for uniqueness."""
    return address.lower()


def phone(value: object, field: str = "phone") -> str | None:
    """Optional: digits with ``+ - ( ) .`` and spaces, 7-15 digits. Empty means none."""
    if value is None:
        return None
    text = _text(value, field)
    if not text:
        return None
    if not _PHONE_CHARS.match(text):
        raise ValidationError(field, "may hold only digits, spaces and + - ( ) .")
    digits = sum(ch.isdigit() for ch in text)
    if not PHONE_MIN_DIGITS <= digits <= PHONE_MAX_DIGITS:
        raise ValidationError(field, f"must have {PHONE_MIN_DIGITS} to {PHONE_MAX_DIGITS} digits")
    return text


def sku(value: object, field: str = "sku") -> str | None:
    """Optional stock-keeping unit: 1-64 characters without spaces. Empty means none."""
    if value is None:
        return None
    text = _text(value, field)
    if not text:
        return None
    if len(text) > SKU_MAX:
        raise ValidationError(field, f"must be at most {SKU_MAX} characters")
    if not _SKU_CHARS.match(text):
        raise ValidationError(field, "must not contain spaces")
    return text


def note(value: object, field: str = "note") -> str | None:
    """Optional free text of a stock movement, at most 500 characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    text = value.strip()
    if len(text) > NOTE_MAX:
        raise ValidationError(field, f"must be at most {NOTE_MAX} characters")
    return text or None


def whole_number(value: object, field: str, *, minimum: int, maximum: int) -> int:
    """A true ``int`` (not bool, float or str) within ``minimum``..``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "must be a whole number")
    if value < minimum:
        raise ValidationError(field, f"must be at least {minimum}")
    if value > maximum:
        raise ValidationError(field, f"must be at most {maximum:,}")
    return value


def stock(value: object, field: str = "stock") -> int:
    return whole_number(value, field, minimum=0, maximum=MAX_STOCK)


def quantity(value: object, field: str = "quantity") -> int:
    return whole_number(value, field, minimum=1, maximum=MAX_QUANTITY)


def record_id(value: object, field: str) -> int:
    """An id given by the caller; a wrong type is a validation error, not a crash."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "must be a whole number id")
    return value


def utc_timestamp(value: object, field: str) -> datetime:
    """A timezone-aware ``datetime``, converted to UTC."""
    if not isinstance(value, datetime):
        raise ValidationError(field, "must be a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, "must carry a time zone (use UTC)")
    return value.astimezone(UTC)


def optional_timestamp(value: object, field: str) -> datetime | None:
    return None if value is None else utc_timestamp(value, field)


def paging(offset: object, limit: object, *, max_limit: int = 1000) -> tuple[int, int]:
    off = whole_number(offset, "offset", minimum=0, maximum=2**62)
    lim = whole_number(limit, "limit", minimum=1, maximum=max_limit)
    return off, lim


def flag(value: object, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValidationError(field, "must be true, false or None")


def search(value: object, field: str = "search") -> str | None:
    """Free text to look for; empty means no filter."""
    if value is None:
        return None
    text = _text(value, field)
    if len(text) > NAME_MAX:
        raise ValidationError(field, f"must be at most {NAME_MAX} characters")
    return text or None
