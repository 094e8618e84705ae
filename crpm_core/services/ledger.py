"""The stock ledger: every change of a product's stock is one row, written in the same
transaction as the change itself, so a product's changes always sum to its stock. Every
writer of stock (the services, the importer) records through this module, with the acting
user of its unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from crpm_core.domain import MovementKind
from crpm_core.persistence.tables import products, stock_movements
from crpm_core.services.unit_of_work import UnitOfWork

_INSERT = insert(stock_movements).values(
    product_id=bindparam("product_id"),
    kind=bindparam("kind"),
    change=bindparam("change"),
    stock_after=bindparam("stock_after"),
    at=bindparam("at", type_=stock_movements.c.at.type),
    note=bindparam("note"),
    purchase_id=bindparam("purchase_id"),
    actor=bindparam("actor"),
)


def stock_of(conn: Connection, product_id: int) -> int:
    row = conn.execute(select(products.c.stock).where(products.c.id == product_id)).first()
    return 0 if row is None else int(row[0])


def movement(
    uow: UnitOfWork,
    *,
    product_id: int,
    kind: MovementKind,
    change: int,
    stock_after: int,
    at: datetime | None = None,
    note: str | None = None,
    purchase_id: int | None = None,
) -> dict[str, Any]:
    """One ledger row, stamped with the unit of work's actor (and its clock, unless ``at``)."""
    return {
        "product_id": product_id,
        "kind": kind,
        "change": change,
        "stock_after": stock_after,
        "at": uow.now() if at is None else at,
        "note": note,
        "purchase_id": purchase_id,
        "actor": uow.actor,
    }


def record(uow: UnitOfWork, **fields: Any) -> None:
    """Write one movement (see :func:`movement` for the fields)."""
    uow.conn.execute(_INSERT, movement(uow, **fields))


def record_many(uow: UnitOfWork, rows: Sequence[dict[str, Any]]) -> None:
    """Write movements made with :func:`movement` in one statement."""
    if rows:
        uow.conn.execute(_INSERT, list(rows))
