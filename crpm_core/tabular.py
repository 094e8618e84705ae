"""Values as table cells: one text form, one formula guard and one CSV writer for every CSV
the project writes (``crpm export``, ``crpm report --format csv`` and the app's downloads).

>>> from decimal import Decimal
>>> from crpm_core import tabular
>>> tabular.cell(Decimal("12.50")), tabular.cell(None), tabular.cell(True)
('12.50', '', 'true')
>>> tabular.guard("=1+1"), tabular.unguard(tabular.guard("'quoted"))
("'=1+1", "'quoted")
>>> tabular.csv_bytes(["name", "change"], [["@Cup", -4]], bom=False)
b"name,change\\r\\n'@Cup,-4\\r\\n"

Spreadsheets run a cell that starts with ``= + - @``, a tab or a carriage return as a
formula (CSV injection). :func:`guard` puts a ``'`` before such text, and before text that
already starts with ``'``, so that :func:`unguard` (what an import applies) gives back exactly
what was written. Only text is guarded: numbers are data, a stock change of ``-4`` stays
``-4``. This module imports neither SQLAlchemy nor NiceGUI.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Final, Protocol

__all__ = ["FORMULA_STARTS", "cell", "csv_bytes", "guard", "unguard", "write_csv"]

FORMULA_STARTS: Final = frozenset("=+-@\t\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""

_GUARDED_STARTS: Final = FORMULA_STARTS | {"'"}


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


def cell(value: object) -> str:
    """The text of a value in a CSV file or a plain table.

    ``None`` is empty; money (``Decimal``) is plain (``12.50``, never ``1.25E+1``); a bool is
    ``true``/``false``; times and dates are ISO 8601; numbers and text are as they are.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


class _Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def write_csv(
    stream: _Writable,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    guard_formulas: bool = True,
    text_columns: Collection[str | int] | None = None,
    lineterminator: str = "\r\n",
) -> int:
    """Write ``header`` and ``rows`` as CSV to ``stream``; return the number of rows.

    Each value is written as :func:`cell` gives it. With ``guard_formulas`` the text cells
    are guarded (:func:`guard`): by default every ``str`` value (and the header) is text and
    anything else (numbers, money, times) is data, written as it is. ``text_columns`` (names
    from ``header`` or positions) says instead which columns hold text, for rows whose
    values are all strings already. Rows are written one at a time: memory stays flat.
    """
    writer = csv.writer(stream, lineterminator=lineterminator)
    writer.writerow([guard(h) for h in header] if guard_formulas else header)
    count = 0
    if not guard_formulas:
        for row in rows:
            writer.writerow([cell(v) for v in row])
            count += 1
        return count
    if text_columns is not None:
        names = {name: i for i, name in enumerate(header)}
        text = {names[c] if isinstance(c, str) else c for c in text_columns}
        for row in rows:
            cells = [cell(v) for v in row]
            for i in text:
                cells[i] = guard(cells[i])
            writer.writerow(cells)
            count += 1
        return count
    for row in rows:
        writer.writerow([guard(v) if isinstance(v, str) else cell(v) for v in row])
        count += 1
    return count


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    bom: bool = True,
    guard_formulas: bool = True,
) -> bytes:
    """A whole CSV file as UTF-8 bytes, for a download: :func:`write_csv` with ``\\r\\n``
    line ends and, by default, a byte order mark (so spreadsheets read accents right)."""
    out = io.StringIO()
    write_csv(out, header, rows, guard_formulas=guard_formulas)
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")
