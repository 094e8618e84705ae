"""The core's text rules as JSON Schema patterns, built from the core's own functions.

Each pattern accepts only text that ``crpm_core.domain.validation`` accepts, so a request that
fits the OpenAPI document is never refused for its shape. The character classes are computed
once from the same predicates the core uses (control, bidirectional and invisible characters),
and written with the escapes Python's ``re``, Rust's ``regex`` (pydantic) and ECMA-262 agree on.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from crpm_core.domain import staff
from crpm_core.domain import validation as v

__all__ = [
    "email_pattern",
    "name_pattern",
    "note_pattern",
    "password_pattern",
    "phone_pattern",
    "search_pattern",
    "token_pattern",
    "username_pattern",
]

_LAST = 0x10FFFF
_SPACE = re.compile(r"\s")


def _escape(code: int) -> str:
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


_KINDS = ("text", "note", "visible", "solid", "local", "label")
_TEXT, _NOTE, _VISIBLE, _SOLID, _LOCAL, _LABEL = (1 << i for i in range(len(_KINDS)))
_ALL = (1 << len(_KINDS)) - 1
_UNASSIGNED = frozenset({"Cn", "Co"})


@cache
def _classes() -> dict[str, str]:
    """The character class of each kind of text, in one pass over every code point.

    Each is written as the characters it excludes (``[^...]``): a few thousand, where the
    characters it includes are a million, which generators of test data (Hypothesis) would
    otherwise list one by one. Surrogates are left out of the list: no JSON text or URL
    decoded as UTF-8 can carry one, and Rust's regex engine (pydantic's) cannot name them."""
    parts: dict[str, list[str]] = {kind: [] for kind in _KINDS}
    starts: list[int | None] = [None] * len(_KINDS)
    previous = _ALL
    for code in range(_LAST + 2):
        if 0xD800 <= code <= 0xDFFF:
            continue
        mask = _kinds_of(chr(code)) if code <= _LAST else _ALL
        if mask == previous:
            continue
        for i, kind in enumerate(_KINDS):
            bit = 1 << i
            begun = starts[i]
            if not mask & bit and begun is None:
                starts[i] = code
            elif mask & bit and begun is not None:
                last = code - 1 if code != 0xE000 else 0xD7FF
                parts[kind].append(
                    _escape(begun) if begun == last else f"{_escape(begun)}-{_escape(last)}"
                )
                starts[i] = None
        previous = mask
    return {kind: "[^" + "".join(found) + "]" for kind, found in parts.items()}


def _kinds_of(ch: str) -> int:
    """Which kinds of text the core lets ``ch`` into (``validation._unicode_checked``,
    ``is_blank``, ``sku``, ``email``), as bits."""
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF or ch in v.BIDI_CONTROLS:
        return 0
    if code < 32 or code == 127:
        if ch == "\t":
            return _TEXT | _NOTE
        return _NOTE if ch in "\n\r" else 0
    if unicodedata.category(ch) in _UNASSIGNED:
        # an unassigned or private-use code point is no space, not blank-looking and its own
        # lower case: every kind of text takes it (the slow checks below run only for the
        # 150,000 assigned characters)
        return _ALL
    kinds = _TEXT | _NOTE
    if not v.is_blank(ch):
        kinds |= _VISIBLE
    if not ch.isspace() and not _SPACE.match(ch):
        kinds |= _SOLID
        # lower-casing must not lengthen an address ("İ" becomes two characters)
        if ch != "@" and len(ch.lower()) == 1:
            kinds |= _LOCAL
            if ch != ".":
                kinds |= _LABEL
    return kinds


@cache
def name_pattern() -> str:
    """A name: text with at least one visible character (``validation.name``)."""
    c = _classes()
    return f"^{c['text']}*{c['visible']}{c['text']}*$"


@cache
def search_pattern() -> str:
    """Free text: no control or bidirectional characters (``validation.search``)."""
    return f"^{_classes()['text']}*$"


@cache
def note_pattern() -> str:
    """A note: text with line breaks and tabs allowed (``validation.note``)."""
    return f"^{_classes()['note']}*$"


@cache
def solid_pattern() -> str:
    """A SKU or an order's ref: text without spaces (``validation.sku``)."""
    return f"^{_classes()['solid']}+$"


@cache
def email_pattern() -> str:
    """One ``@``, a name before it, a dotted domain after it (``validation.email``)."""
    local, label = _classes()["local"], _classes()["label"]
    return f"^{local}+@{label}+(\\.{label}+)+$"


def phone_pattern() -> str:
    """Digits with ``+ - ( ) .`` and spaces, 7 to 15 digits (``validation.phone``)."""
    other = r"[ ()+\-.]"
    return f"^{other}*([0-9]{other}*){{{v.PHONE_MIN_DIGITS},{v.PHONE_MAX_DIGITS}}}$"


def username_pattern() -> str:
    """``staff.USERNAME``: lower-case letters, digits and ``. _ @ -``."""
    return staff.USERNAME.pattern


def password_pattern() -> str:
    """Any text without NUL (``staff.password``)."""
    return r"^[\x01-\uD7FF\uE000-\U0010FFFF]*$"


def token_pattern() -> str:
    return r"^[!-~]+$"
