"""Purchases: record (stock moves in the same transaction), cancel, history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from crpm_core.domain import Page, Purchase, PurchaseLine, staff
from crpm_core.domain import validation as v
from crpm_core.errors import Conflict, NotFound
from crpm_core.persistence import mappers
from crpm_core.persistence.tables import customers, products, purchases
from crpm_core.services import ledger, rollups
from crpm_core.services._common import fetch_one, in_range
from crpm_core.services.orders import (
    cancel_lines,
    close_if_all_cancelled,
    last_live_lines,
    place_order,
)
from crpm_core.services.unit_of_work import Scope


def line_query() -> Select[tuple[object, ...]]:
    """Purchases with the product's and customer's names, as histories show them."""
    return (
        select(
            purchases,
            products.c.name.label("product_name"),
            customers.c.name.label("customer_name"),
        )
        .join(products, products.c.id == purchases.c.product_id)
        .join(customers, customers.c.id == purchases.c.customer_id)
    )


NEWEST_FIRST: list[ColumnElement[object]] = [purchases.c.purchased_at.desc(), purchases.c.id.desc()]


class Purchases:
    """``crm.purchases``: every method is one unit of work."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def record(
        self,
        *,
        customer_id: int,
        product_id: int,
        quantity: int,
        purchased_at: datetime | None = None,
    ) -> Purchase:
        """Sell ``quantity`` units: an order of one line (see ``crm.orders.place``): both
        parties active, the stock taken with a conditional update, the unit price
        snapshotted, the purchase and its ledger row written, or nothing."""
        self._scope.require("orders.place")
        cid = v.record_id(customer_id, "customer_id")
        pid = v.record_id(product_id, "product_id")
        qty = v.quantity(quantity)
        at = v.optional_timestamp(purchased_at, "purchased_at")
        with self._scope() as uow:
            order = place_order(
                uow, customer_id=cid, lines=[(pid, qty)], purchased_at=at, note=None, ref=None
            )
            sold = order.lines[0]
            uow.audit("record", "purchase", sold.id, staff.changes(None, audited(sold)))
            return sold

    def get(self, purchase_id: int) -> Purchase:
        self._scope.require("orders.read")
        pid = v.record_id(purchase_id, "purchase_id")
        with self._scope(write=False) as uow:
            return _get(uow.conn, pid)

    def cancel(self, purchase_id: int) -> Purchase:
        """Undo a sale: the units not yet returned come back, revenue drops it, history keeps
        it (marked). Cancelling every line of an order cancels the order."""
        self._scope.require("purchases.cancel")
        pid = v.record_id(purchase_id, "purchase_id")
        with self._scope() as uow:
            row = _locked(uow.conn, pid)
            if row["cancelled_at"] is not None:
                raise Conflict(f"purchase {pid} is already cancelled")
            closing = last_live_lines(uow.conn, int(row["order_id"]), 1)
            cancel_lines(uow, [row], order_closed=closing)
            close_if_all_cancelled(uow, int(row["order_id"]))
            rollups.rebuild_customers(uow.conn, [int(row["customer_id"])])
            done = _get(uow.conn, pid)
            uow.audit(
                "cancel", "purchase", pid, {"cancelled_at": [None, staff.plain(done.cancelled_at)]}
            )
            return done

    def return_items(self, purchase_id: int, quantity: int, *, note: str | None = None) -> Purchase:
        """Take back ``quantity`` units of one line: they go back to stock (a ``return``
        ledger row carries ``note``), ``returned_quantity`` grows and the line's total and
        every report drop them. More than was sold and not yet returned, or a line that is
        cancelled, is a ``Conflict``; two returns racing for the same units never give back
        more than was sold."""
        self._scope.require("purchases.return_items")
        pid = v.record_id(purchase_id, "purchase_id")
        qty = v.quantity(quantity)
        text = v.note(note)
        with self._scope() as uow:
            conn = uow.conn
            row = _locked(conn, pid)
            if row["cancelled_at"] is not None:
                raise Conflict(f"purchase {pid} is cancelled; nothing of it can be returned")
            left = int(row["quantity"]) - int(row["returned_quantity"])
            if qty > left:
                raise Conflict(
                    f"purchase {pid} has {left} unit{'s' if left != 1 else ''} left to return; "
                    f"{qty} requested",
                    field="quantity",
                )
            done = conn.execute(
                update(purchases)
                .where(
                    purchases.c.id == pid,
                    purchases.c.cancelled_at.is_(None),
                    purchases.c.returned_quantity + qty <= purchases.c.quantity,
                )
                .values(
                    returned_quantity=purchases.c.returned_quantity + qty,
                    total_minor=purchases.c.total_minor - purchases.c.unit_price_minor * qty,
                )
            )
            if done.rowcount != 1:  # pragma: no cover - the row is locked since the check
                raise Conflict(f"purchase {pid} changed meanwhile; nothing was returned")
            if row["stock_moved"]:
                product_id = int(row["product_id"])
                conn.execute(
                    update(products)
                    .where(products.c.id == product_id)
                    .values(stock=products.c.stock + qty)
                )
                ledger.record(
                    uow,
                    product_id=product_id,
                    kind="return",
                    change=qty,
                    stock_after=ledger.stock_of(conn, product_id),
                    note=text,
                    purchase_id=pid,
                )
            # after the stock: every writer locks a product before its rollups
            rollups.add(
                conn,
                rollups.shop_zone(conn),
                [
                    rollups.Line(
                        row["purchased_at"],
                        int(row["customer_id"]),
                        int(row["product_id"]),
                        0,
                        -qty,
                        qty,
                        -qty * int(row["unit_price_minor"]),
                    )
                ],
            )
            rollups.rebuild_customers(conn, [int(row["customer_id"])])
            back = _get(conn, pid)
            changed: dict[str, list[object]] = {
                "returned_quantity": [int(row["returned_quantity"]), back.returned_quantity]
            }
            if text:
                changed["note"] = [None, text]
            uow.audit("return_items", "purchase", pid, changed)
            return back

    def history(self, customer_id: int) -> list[PurchaseLine]:
        """Every purchase of a customer, newest first, cancelled ones marked."""
        self._scope.require("orders.read")
        cid = v.record_id(customer_id, "customer_id")
        with self._scope(write=False) as uow:
            fetch_one(uow.conn, customers, cid, "customer", mappers.customer)
            query = line_query().where(purchases.c.customer_id == cid).order_by(*NEWEST_FIRST)
            return [mappers.purchase_line(r) for r in uow.conn.execute(query).mappings()]

    def list(
        self,
        *,
        customer_id: int | None = None,
        product_id: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
        include_cancelled: bool = True,
    ) -> Page[PurchaseLine]:
        """One page of purchases, newest first; ``start`` inclusive, ``end`` exclusive."""
        self._scope.require("orders.read")
        off, lim = v.paging(offset, limit)
        conditions: list[ColumnElement[bool]] = []
        if customer_id is not None:
            cid = v.record_id(customer_id, "customer_id")
            conditions.append(purchases.c.customer_id == cid)
        if product_id is not None:
            conditions.append(purchases.c.product_id == v.record_id(product_id, "product_id"))
        lo = v.optional_timestamp(start, "start")
        hi = v.optional_timestamp(end, "end")
        conditions.extend(in_range(purchases.c.purchased_at, lo, hi))
        if not v.flag(include_cancelled, "include_cancelled"):
            conditions.append(purchases.c.cancelled_at.is_(None))
        # Every purchase has exactly one customer and product, so the count needs no join.
        count = select(func.count()).select_from(purchases).where(*conditions)
        page = line_query().where(*conditions).order_by(*NEWEST_FIRST).offset(off).limit(lim)
        with self._scope(write=False) as uow:
            total = int(uow.conn.execute(count).scalar_one())
            rows = uow.conn.execute(page).mappings()
            items = tuple(mappers.purchase_line(r) for r in rows)
        return Page(items=items, total=total, offset=off, limit=lim)


def audited(p: Purchase) -> dict[str, object]:
    """The fields of a sale the audit trail records."""
    return {
        "order_id": p.order_id,
        "customer_id": p.customer_id,
        "product_id": p.product_id,
        "quantity": p.quantity,
        "unit_price": p.unit_price,
        "total": p.total,
        "purchased_at": p.purchased_at,
    }


def _locked(conn: Connection, pid: int) -> Any:
    row = (
        conn.execute(select(purchases).where(purchases.c.id == pid).with_for_update())
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("purchase", pid)
    return row


def _get(conn: Connection, pid: int, *, for_update: bool = False) -> Purchase:
    return fetch_one(conn, purchases, pid, "purchase", mappers.purchase, for_update=for_update)
