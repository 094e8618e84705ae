"""Rows to domain values, and the shared query helpers of listings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, Select, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from crpm_core.domain import (
    Customer,
    Order,
    Page,
    Product,
    Purchase,
    PurchaseLine,
    StockMovement,
    from_minor,
)
from crpm_core.domain import search as folding

T = TypeVar("T")
Row = Mapping[Any, Any]


def customer(row: Row) -> Customer:
    return Customer(
        id=int(row["id"]),
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        active=bool(row["active"]),
        created_at=row["created_at"],
    )


def product(row: Row) -> Product:
    return Product(
        id=int(row["id"]),
        sku=row["sku"],
        name=row["name"],
        price=from_minor(row["price_minor"]),
        stock=int(row["stock"]),
        active=bool(row["active"]),
        created_at=row["created_at"],
        reorder_point=None if row["reorder_point"] is None else int(row["reorder_point"]),
    )


def purchase(row: Row) -> Purchase:
    return Purchase(
        id=int(row["id"]),
        customer_id=int(row["customer_id"]),
        product_id=int(row["product_id"]),
        quantity=int(row["quantity"]),
        unit_price=from_minor(row["unit_price_minor"]),
        total=from_minor(row["total_minor"]),
        purchased_at=row["purchased_at"],
        cancelled_at=row["cancelled_at"],
        order_id=int(row["order_id"] or 0),
        returned_quantity=int(row["returned_quantity"]),
    )


def order(row: Row, lines: Sequence[Purchase]) -> Order:
    """An order row with its lines. Their totals are net of returns, and so is the order's,
    which counts the lines still live (a line cancelled on its own is no longer paid for); a
    cancelled order keeps the total it had when it was cancelled."""
    counted = lines if row["cancelled_at"] is not None else [x for x in lines if not x.cancelled]
    return Order(
        id=int(row["id"]),
        ref=row["ref"],
        customer_id=int(row["customer_id"]),
        placed_at=row["placed_at"],
        lines=tuple(lines),
        total=sum((line.total for line in counted), from_minor(0)),
        cancelled_at=row["cancelled_at"],
        note=row["note"],
    )


def purchase_line(row: Row) -> PurchaseLine:
    return PurchaseLine(
        purchase_id=int(row["id"]),
        purchased_at=row["purchased_at"],
        customer_id=int(row["customer_id"]),
        product_id=int(row["product_id"]),
        product_name=row["product_name"],
        quantity=int(row["quantity"]),
        unit_price=from_minor(row["unit_price_minor"]),
        total=from_minor(row["total_minor"]),
        cancelled=row["cancelled_at"] is not None,
        customer_name=row["customer_name"],
        returned_quantity=int(row["returned_quantity"]),
        order_id=int(row["order_id"] or 0),
    )


def stock_movement(row: Row) -> StockMovement:
    return StockMovement(
        id=int(row["id"]),
        product_id=int(row["product_id"]),
        at=row["at"],
        kind=row["kind"],
        change=int(row["change"]),
        stock_after=int(row["stock_after"]),
        note=row["note"],
        purchase_id=None if row["purchase_id"] is None else int(row["purchase_id"]),
        actor=row["actor"],
    )


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every CRPM table has a generated key
        raise RuntimeError("the database reported no generated key")
    return int(key[0])


def search_match(key: ColumnElement[Any], term: str) -> ColumnElement[bool]:
    """The folded search key contains the folded ``term`` (or, for a term like a phone
    number, the phone's digits contain the term's): the same answer on every backend."""
    condition: ColumnElement[bool] = key.like(_contains(folding.fold(term)), escape="\\")
    if folding.phone_like(term):
        digits = f"%{folding.DIGITS_MARK}%{folding.digits(term)}%"
        condition = or_(condition, key.like(digits, escape="\\"))
    return condition


def _contains(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def paged(
    conn: Connection,
    query: Select[Any],
    *,
    order: Sequence[ColumnElement[Any]],
    offset: int,
    limit: int,
    convert: Callable[[Row], T],
) -> Page[T]:
    """Run ``query`` for one page plus a count of every match."""
    total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery()))
    count = int(total.scalar_one())
    rows = conn.execute(query.order_by(*order).offset(offset).limit(limit)).mappings()
    return Page(items=tuple(convert(r) for r in rows), total=count, offset=offset, limit=limit)
