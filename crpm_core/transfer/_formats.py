"""The CSV formats: columns, cell parsing, and the values an import reports. The formula
guard (``FORMULA_STARTS``, ``guard``, ``unguard``) lives in :mod:`crpm_core.tabular`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Final, Literal

import attrs

from crpm_core.domain import validation as v
from crpm_core.errors import ValidationError
from crpm_core.tabular import FORMULA_STARTS as FORMULA_STARTS
from crpm_core.tabular import guard as guard
from crpm_core.tabular import unguard as unguard

Kind = Literal["customers", "products", "purchases"]
KINDS: Final[tuple[Kind, ...]] = ("customers", "products", "purchases")

COLUMNS: Final[dict[Kind, tuple[str, ...]]] = {
    "customers": ("name", "email", "phone"),
    "products": ("sku", "name", "price", "stock"),
    "purchases": ("customer_email", "product_sku", "quantity", "unit_price", "purchased_at"),
}
"""The header of each kind of file, in the order an export writes them."""

OPTIONAL_COLUMNS: Final[dict[Kind, tuple[str, ...]]] = {
    "customers": (),
    "products": (),
    "purchases": ("order_ref", "returned_quantity", "order_number"),
}
"""Columns a file may leave out: ``order_ref``, the shop's own order number (rows with the
same number form one order; a number already stored refuses the file), and
``returned_quantity``, units of the line that came back (default 0), and ``order_number``, an
order's number within the file (an export numbers its orders 1, 2, 3…): rows with the same
number are one order (the number is not stored; the database gives the order its own id)."""

_WHOLE: Final = re.compile(r"[+-]?[0-9]{1,30}")


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
