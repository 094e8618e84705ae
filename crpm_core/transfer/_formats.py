"""The CSV formats: columns, the formula guard, cell parsing, and the values an import reports."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Final, Literal

import attrs

from crpm_core.domain import validation as v
from crpm_core.errors import ValidationError

Kind = Literal["customers", "products", "purchases"]
KINDS: Final[tuple[Kind, ...]] = ("customers", "products", "purchases")

COLUMNS: Final[dict[Kind, tuple[str, ...]]] = {
    "customers": ("name", "email", "phone"),
    "products": ("sku", "name", "price", "stock"),
    "purchases": ("customer_email", "product_sku", "quantity", "unit_price", "purchased_at"),
}
"""The header of each kind of file, in the order an export writes them."""

FORMULA_STARTS: Final = frozenset("=+-@\t\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""

_GUARDED_STARTS: Final = FORMULA_STARTS | {"'"}
_WHOLE: Final = re.compile(r"[+-]?[0-9]{1,30}")


def guard(cell: str) -> str:
    """Neutralise a cell for spreadsheets: prefix ``'`` when it starts like a formula.

    A cell that already starts with ``'`` gets one more, so that :func:`unguard` gives back
    exactly what was written: ``guard`` then ``unguard`` is the identity on every string.
    """
    if cell and cell[0] in _GUARDED_STARTS:
        return "'" + cell
    return cell


def unguard(cell: str) -> str:
    """Undo :func:`guard`: drop one leading ``'`` that precedes a formula character or ``'``.

    Any other leading ``'`` is kept (``'Ohana`` stays ``'Ohana``).
    """
    if len(cell) > 1 and cell[0] == "'" and cell[1] in _GUARDED_STARTS:
        return cell[1:]
    return cell


class RowError(ValidationError):
    """A bad line of an imported file: ``line`` (1 is the header), ``field`` names the column."""

    def __init__(self, line: int, column: str | None, message: str) -> None:
        super().__init__(column or "file", message)
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@attrs.frozen
class Progress:
    """Where an import is: ``phase`` "checking" (every row is validated before anything is
    written) then "writing"; ``rows`` done in this phase; ``fraction`` of the phase, or
    ``None`` when the size of the input is unknown."""

    phase: Literal["checking", "writing"]
    rows: int
    fraction: float | None


ProgressCallback = Callable[[Progress], None]


@attrs.frozen
class ImportResult:
    kind: Kind
    rows: int
    stock_moved: bool = False


def whole_number(cell: str, field: str) -> int:
    """Digits (with an optional sign) to an ``int``; the range is checked by the caller."""
    text = cell.strip()
    if not _WHOLE.fullmatch(text):
        raise ValidationError(field, f"{text!r} is not a whole number")
    return int(text)


def timestamp(cell: str, field: str) -> datetime:
    """ISO 8601 with a time zone (``2024-05-01T09:30:00Z``, ``…+02:00``) to aware UTC.

    A time without a zone is refused rather than guessed: the same wall-clock time means
    different instants in different shops, and a wrong guess would silently shift reports.
    """
    text = cell.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            field, f"{text!r} is not an ISO 8601 date and time like 2024-05-01T09:30:00Z"
        ) from None
    if value.tzinfo is None:
        raise ValidationError(
            field, f"{text!r} has no time zone; add one, like 2024-05-01T09:30:00Z or +02:00"
        )
    return v.utc_timestamp(value, field)


class StockShortage(RowError):
    """With stock moving, the file sells more of a product than is in stock."""

    def __init__(self, line: int, sku: str, requested: int, available: int) -> None:
        super().__init__(
            line,
            "quantity",
            f"product {sku} has {available:,} in stock; the rows up to here sell {requested:,}",
        )
        self.sku = sku
        self.requested = requested
        self.available = available
