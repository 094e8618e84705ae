"""Exports: one streamed SELECT per file, written row by row in constant memory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from crpm_core.api import Services
from crpm_core.domain import from_minor
from crpm_core.domain import validation as v
from crpm_core.errors import ValidationError
from crpm_core.persistence.tables import customers, orders, products, purchases, stock_movements
from crpm_core.services._common import in_range
from crpm_core.tabular import write_csv
from crpm_core.transfer._files import Target, output
from crpm_core.transfer._formats import COLUMNS, KINDS, OPTIONAL_COLUMNS, Kind

YIELD = 2_000
"""Rows fetched from the database at a time (a server-side cursor where there is one)."""

_c, _p, _s = customers.c, products.c, purchases.c
QUERIES: dict[Kind, Select[Any]] = {
    "customers": select(_c.name, _c.email, _c.phone).order_by(_c.id),
    "products": select(_p.sku, _p.name, _p.price_minor, _p.stock).order_by(_p.id),
    "purchases": select(
        _c.email,
        _p.sku,
        _s.quantity,
        _s.unit_price_minor,
        _s.purchased_at,
        orders.c.ref,
        _s.returned_quantity,
        # the order's number within the file: 1, 2, 3… in the order the orders come, so the
        # lines of an order are grouped again on import, and a round trip gives the same file
        func.dense_rank().over(order_by=_s.order_id),
    )
    .join_from(purchases, customers, _c.id == _s.customer_id)
    .join(products, _p.id == _s.product_id)
    .outerjoin(orders, orders.c.id == _s.order_id)
    .where(_s.cancelled_at.is_(None))
    .order_by(_s.order_id, _s.id),
}
"""What each export reads, in the order of ``HEADERS``; oldest record first (purchases: by
order, then line)."""

HEADERS: dict[Kind, tuple[str, ...]] = {k: COLUMNS[k] + OPTIONAL_COLUMNS[k] for k in KINDS}
"""An export writes every column, the optional ones too, so it imports again as it was."""

CELLS: dict[Kind, Callable[[Sequence[Any]], list[object]]] = {
    "customers": lambda r: [r[0], r[1], r[2]],
    "products": lambda r: [r[0], r[1], from_minor(r[2]), int(r[3])],
    "purchases": lambda r: [
        r[0],
        r[1],
        int(r[2]),
        from_minor(r[3]),
        r[4],
        r[5],
        int(r[6]),
        None if r[7] is None else int(r[7]),
    ],
}
"""Each row's values in the order of ``HEADERS``; :func:`crpm_core.tabular.write_csv` writes
them (``None`` empty, money plain, times ISO 8601) and guards the text ones only."""


def run(crm: Services, kind: Kind, target: Target, *, guard_formulas: bool = True) -> int:
    """Write every record of ``kind`` as CSV to ``target``; return how many."""
    crm.scope.require("transfer.export")
    if kind not in KINDS:
        raise ValidationError("kind", "must be customers, products or purchases")
    query = QUERIES[kind].execution_options(yield_per=YIELD)
    with output(target) as stream, crm.scope(write=False) as uow:
        rows = map(CELLS[kind], uow.conn.execute(query))
        return write_csv(stream, HEADERS[kind], rows, guard_formulas=guard_formulas)


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


def run_movements(
    crm: Services,
    target: Target,
    *,
    product_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    guard_formulas: bool = True,
) -> int:
    """Write the stock ledger (optionally one product's, within ``[start, end)``) as CSV."""
    crm.scope.require("transfer.export")
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
    query = query.execution_options(yield_per=YIELD)
    with output(target) as stream, crm.scope(write=False) as uow:
        conn = uow.conn
        # Only text is guarded: a change of -4 is a number, not a formula.
        rows = (
            [*r[:4], int(r[4]), int(r[5]), r[6], None if r[7] is None else int(r[7])]
            for r in conn.execute(query)
        )
        return write_csv(stream, MOVEMENT_COLUMNS, rows, guard_formulas=guard_formulas)
