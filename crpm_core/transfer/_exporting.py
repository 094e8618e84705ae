"""Exports: one streamed SELECT per file, written row by row in constant memory."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from crpm_core.api import CRPM
from crpm_core.domain import from_minor
from crpm_core.domain import validation as v
from crpm_core.errors import ValidationError
from crpm_core.persistence.tables import customers, products, purchases, stock_movements
from crpm_core.services._common import in_range
from crpm_core.transfer._files import Target, output
from crpm_core.transfer._formats import COLUMNS, KINDS, Kind, guard

YIELD = 2_000
"""Rows fetched from the database at a time (a server-side cursor where there is one)."""

_c, _p, _s = customers.c, products.c, purchases.c
QUERIES: dict[Kind, Select[Any]] = {
    "customers": select(_c.name, _c.email, _c.phone).order_by(_c.id),
    "products": select(_p.sku, _p.name, _p.price_minor, _p.stock).order_by(_p.id),
    "purchases": select(_c.email, _p.sku, _s.quantity, _s.unit_price_minor, _s.purchased_at)
    .join_from(purchases, customers, _c.id == _s.customer_id)
    .join(products, _p.id == _s.product_id)
    .where(_s.cancelled_at.is_(None))
    .order_by(_s.id),
}
"""What each export reads, in the order of ``COLUMNS``; oldest record first."""

CELLS: dict[Kind, Callable[[Sequence[Any]], list[str]]] = {
    "customers": lambda r: [r[0], r[1], r[2] or ""],
    "products": lambda r: [r[0] or "", r[1], str(from_minor(r[2])), str(int(r[3]))],
    "purchases": lambda r: [
        r[0],
        r[1] or "",
        str(int(r[2])),
        str(from_minor(r[3])),
        r[4].isoformat(),
    ],
}


def run(crm: CRPM, kind: Kind, target: Target, *, guard_formulas: bool = True) -> int:
    """Write every record of ``kind`` as CSV to ``target``; return how many."""
    if kind not in KINDS:
        raise ValidationError("kind", "must be customers, products or purchases")
    cells = CELLS[kind]
    query = QUERIES[kind].execution_options(yield_per=YIELD)
    count = 0
    with output(target) as stream, crm.db.transaction(write=False) as conn:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS[kind])
        for row in conn.execute(query):
            values = cells(row)
            writer.writerow([guard(c) for c in values] if guard_formulas else values)
            count += 1
    return count


MOVEMENT_COLUMNS: tuple[str, ...] = (
    "at",
    "product_sku",
    "product_name",
    "kind",
    "change",
    "stock_after",
    "note",
    "purchase_id",
)
"""The stock ledger's export (for reading, not for importing), oldest movement first."""
TEXT_CELLS = (1, 2, 6)  # product_sku, product_name, note


def run_movements(
    crm: CRPM,
    target: Target,
    *,
    product_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    guard_formulas: bool = True,
) -> int:
    """Write the stock ledger (optionally one product's, within ``[start, end)``) as CSV."""
    m = stock_movements.c
    query = (
        select(m.at, _p.sku, _p.name, m.kind, m.change, m.stock_after, m.note, m.purchase_id)
        .join_from(stock_movements, products, _p.id == m.product_id)
        .order_by(m.at, m.id)
    )
    if product_id is not None:
        query = query.where(m.product_id == v.record_id(product_id, "product_id"))
    lo = v.optional_timestamp(start, "start")
    hi = v.optional_timestamp(end, "end")
    query = query.where(*in_range(m.at, lo, hi))
    count = 0
    with output(target) as stream, crm.db.transaction(write=False) as conn:
        writer = csv.writer(stream)
        writer.writerow(MOVEMENT_COLUMNS)
        for r in conn.execute(query.execution_options(yield_per=YIELD)):
            values = [
                r[0].isoformat(),
                r[1] or "",
                r[2],
                r[3],
                str(int(r[4])),
                str(int(r[5])),
                r[6] or "",
                "" if r[7] is None else str(int(r[7])),
            ]
            if guard_formulas:  # text cells only: "-4" is a number, not a formula
                for i in TEXT_CELLS:
                    values[i] = guard(values[i])
            writer.writerow(values)
            count += 1
    return count
