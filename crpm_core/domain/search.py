"""How a search finds a record, the same on every backend.

Each customer and product stores a *search key*: its searchable fields folded (compatibility
decomposition, accents and other combining marks dropped, Unicode case folding), so that
"σίσυφος" finds "ΣΊΣΥΦΟΣ", "istanbul" finds "İSTANBUL" and "jose" finds "José" on SQLite,
PostgreSQL and MariaDB alike. A phone is also kept as its digits alone, after a marker, so
"+15550100" finds "+1 555 0100". The database compares the folded key byte for byte.
"""

from __future__ import annotations

import unicodedata

SEPARATOR = "\x1f"
"""Between fields: a search never matches across two of them."""
DIGITS_MARK = "\x1e"
"""Before the digits of the phone, the key's last part."""


def fold(text: str) -> str:
    """``text`` as searches compare it: no accents, no case, compatibility forms unified."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", bare.casefold())


def digits(text: str) -> str:
    """The ASCII digits of ``text``, in order."""
    return "".join(ch for ch in text if "0" <= ch <= "9")


def key(*fields: str | None, phone: str | None = None) -> str:
    """The stored search key of a record: its folded fields, then the phone's digits."""
    parts = [fold(f) for f in fields if f]
    if phone:
        parts.append(fold(phone))
    return SEPARATOR.join(parts) + DIGITS_MARK + (digits(phone) if phone else "")


def phone_like(term: str) -> bool:
    """A search term that looks like (part of) a phone number: matched on digits alone."""
    return len(digits(term)) >= 3 and all(ch in "0123456789+-(). " for ch in term)
