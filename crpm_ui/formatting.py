"""Numbers, money and times as the pages show them, and safe CSV files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

__all__ = ["FORMULA_PREFIXES", "csv_bytes", "date", "money", "neutralise", "when"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection)."""


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def when(value: datetime) -> str:
    """A UTC timestamp to the minute, as every table shows it."""
    return value.strftime("%Y-%m-%d %H:%M")


def date(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula, prefixed with a quote (OWASP).

    Numbers stay numbers: a negative stock change is data, not a formula.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A UTF-8 CSV file (with a byte-order mark, so spreadsheets read accents right)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow(["" if cell is None else neutralise(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")
