"""The stock ledger: every change of a product's stock is one row, written in the same
transaction as the change itself, so a product's changes always sum to its stock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select

from crpm_core.domain import MovementKind
from crpm_core.persistence.tables import products, stock_movements

_INSERT = insert(stock_movements).values(
    product_id=bindparam("product_id"),
    kind=bindparam("kind"),
    change=bindparam("change"),
    stock_after=bindparam("stock_after"),
    at=bindparam("at", type_=stock_movements.c.at.type),
    note=bindparam("note"),
    purchase_id=bindparam("purchase_id"),
)


def stock_of(conn: Connection, product_id: int) -> int:
    row = conn.execute(select(products.c.stock).where(products.c.id == product_id)).first()
    return 0 if row is None else int(row[0])


def record(
    conn: Connection,
    *,
    product_id: int,
    kind: MovementKind,
    change: int,
    stock_after: int,
    at: datetime,
    note: str | None = None,
    purchase_id: int | None = None,
) -> None:
    conn.execute(
        _INSERT,
        {
            "product_id": product_id,
            "kind": kind,
            "change": change,
            "stock_after": stock_after,
            "at": at,
            "note": note,
            "purchase_id": purchase_id,
        },
    )
