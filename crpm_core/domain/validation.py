"""The rules every value must pass before it reaches the database.

Each function returns the normalised value or raises :class:`ValidationError`
naming the field. Nothing here knows about storage.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from crpm_core.errors import NotFound, ValidationError

NAME_MAX = 200
EMAIL_MAX = 254
SKU_MAX = 64
NOTE_MAX = 500
PHONE_MAX = 40
PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 15
MAX_QUANTITY = 1_000_000
MAX_STOCK = 1_000_000_000
ID_MIN = 1
ID_MAX = 2**63 - 1
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
"""The first moment a timestamp may be (inclusive): one day of room before ``datetime.min``."""
LATEST = datetime(9999, 12, 31, tzinfo=UTC)
"""The end of the timestamps allowed (exclusive): one day of room before ``datetime.max``."""

_PHONE_CHARS = re.compile(r"[0-9+\-(). ]+")
_SKU_CHARS = re.compile(r"[^\s]+")
_LABEL = re.compile(r"[^\s@.]+")

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Embedding, override and isolate controls: they reorder how the text around them shows."""
_TEXT_CONTROLS = frozenset("\t")
_NOTE_CONTROLS = frozenset("\t\n\r")
# Letters and symbols that show as blank space though they are not whitespace.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _unicode_checked(value: str, field: str, allowed_controls: frozenset[str]) -> None:
    """Refuse lone surrogates, C0 controls and DEL (except ``allowed_controls``) and the
    bidirectional controls that can disguise text."""
    for ch in value:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            raise ValidationError(field, "must be valid Unicode text")
        if (code < 32 or code == 127) and ch not in allowed_controls:
            raise ValidationError(field, "must not contain control characters")
        if ch in BIDI_CONTROLS:
            raise ValidationError(field, "must not contain bidirectional control characters")


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    _unicode_checked(value, field, _TEXT_CONTROLS)
    return value.strip()


def _invisible(ch: str) -> bool:
    return (
        ch.isspace() or ch in _BLANK_LOOKING or unicodedata.category(ch) in ("Cf", "Mn", "Mc", "Me")
    )


def is_blank(text: str) -> bool:
    """True when ``text`` shows nothing: only whitespace, zero-width and other format
    characters (category Cf), or combining marks with nothing to combine with."""
    return all(_invisible(ch) for ch in text)


def name(value: object, field: str = "name") -> str:
    """A name: 1-200 characters after trimming, not made only of invisible characters."""
    text = _text(value, field)
    if is_blank(text):
        raise ValidationError(field, "must not be empty")
    if len(text) > NAME_MAX:
        raise ValidationError(field, f"must be at most {NAME_MAX} characters")
    return text


def email(value: object, field: str = "email") -> str:
    """An address with a single ``@`` and a dotted domain, at most 254 characters, and so is
    its :func:`email_key` (lower-casing may lengthen it: ``"İ"`` becomes two characters)."""
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
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValidationError(field, "needs a dotted domain after the @, like shop.example")
    if len(email_key(text)) > EMAIL_MAX:
        raise ValidationError(field, f"must be at most {EMAIL_MAX} characters in lower case")
    return text


def email_key(address: str) -> str:
    """The form in which two addresses are compared for uniqueness."""
    return address.lower()


def phone(value: object, field: str = "phone") -> str | None:
    """Optional: digits with ``+ - ( ) .`` and spaces, 7-15 digits, at most 40 characters.
    Empty means none."""
    if value is None:
        return None
    text = _text(value, field)
    if not text:
        return None
    if len(text) > PHONE_MAX:
        raise ValidationError(field, f"must be at most {PHONE_MAX} characters")
    if not _PHONE_CHARS.fullmatch(text):
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
    if not _SKU_CHARS.fullmatch(text):
        raise ValidationError(field, "must not contain spaces")
    return text


def note(value: object, field: str = "note") -> str | None:
    """Optional free text of a stock movement, at most 500 characters; line breaks and tabs
    are allowed, other control characters are not."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    _unicode_checked(value, field, _NOTE_CONTROLS)
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
    return int(value)


def stock(value: object, field: str = "stock") -> int:
    return whole_number(value, field, minimum=0, maximum=MAX_STOCK)


def quantity(value: object, field: str = "quantity") -> int:
    return whole_number(value, field, minimum=1, maximum=MAX_QUANTITY)


def record_id(value: object, field: str) -> int:
    """An id given by the caller; a wrong type is a validation error, not a crash.

    An ``int`` outside ``1 .. 2**63 - 1`` names no record on any backend: it raises
    :class:`NotFound` for the entity (``field`` without its ``_id``), like an unknown id."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "must be a whole number id")
    if not ID_MIN <= value <= ID_MAX:
        number = int(value)
        # an int past Python's 4300-digit limit cannot even be printed in the message
        shown: object = number if number.bit_length() <= 1024 else "(a number too large)"
        error = NotFound(field.removesuffix("_id"), shown)
        error.record_id = number
        raise error
    return int(value)


def utc_timestamp(value: object, field: str) -> datetime:
    """A timezone-aware ``datetime``, converted to UTC, from 0001-01-02 up to the end of
    9999-12-30 (UTC): a day of room at each end, so a step of a day either way stays a valid
    ``datetime``."""
    if not isinstance(value, datetime):
        raise ValidationError(field, "must be a date and time")
    try:
        offset = value.utcoffset()
    except (ValueError, TypeError, OverflowError):
        raise ValidationError(field, "has a time zone that gives no valid offset") from None
    if offset is None:
        raise ValidationError(field, "must carry a time zone (use UTC)")
    try:
        moment = value.astimezone(UTC)
    except (OverflowError, ValueError, TypeError):
        moment = None
    if moment is None or not EARLIEST <= moment < LATEST:
        raise ValidationError(field, "must be between 0001-01-02 and 9999-12-30 (UTC)")
    return moment


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
