"""Purchases: record (stock moves in the same transaction), cancel, history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Select, bindparam, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from crpm_core.domain import Page, Purchase, PurchaseLine, rules
from crpm_core.domain import validation as v
from crpm_core.errors import Conflict, NotFound
from crpm_core.persistence import mappers
from crpm_core.persistence.tables import customers, products, purchases
from crpm_core.services import ledger
from crpm_core.services._common import fetch_one, in_range
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


# Statements of the hot path, built once: each call only binds new values.
_INSERT_PURCHASE = insert(purchases).values(
    customer_id=bindparam("cid"),
    product_id=bindparam("pid"),
    quantity=bindparam("qty"),
    unit_price_minor=bindparam("price"),
    total_minor=bindparam("total"),
    purchased_at=bindparam("at", type_=purchases.c.purchased_at.type),
    cancelled_at=None,
)
_TAKE_STOCK = (
    update(products)
    .where(
        products.c.id == bindparam("pid"), products.c.active, products.c.stock >= bindparam("qty")
    )
    .values(stock=products.c.stock - bindparam("qty"))
)
# The customer is share-locked (it cannot be deleted or deactivated before we commit) and the
# product locked for update (its price, stock and state cannot change under us). SQLite's
# BEGIN IMMEDIATE already excludes every other writer; there the clauses are left out.
_CUSTOMER = (
    select(customers.c.active).where(customers.c.id == bindparam("cid")).with_for_update(read=True)
)
_PRODUCT = (
    select(products.c.active, products.c.stock, products.c.price_minor)
    .where(products.c.id == bindparam("pid"))
    .with_for_update()
)
_PURCHASE = select(purchases).where(purchases.c.id == bindparam("id"))


def insert_purchase(
    conn: Connection,
    *,
    customer_id: int,
    product_id: int,
    quantity: int,
    unit_price_minor: int,
    purchased_at: datetime,
) -> int:
    """Write the purchase row (a separate step so tests can inject a failure here)."""
    result = conn.execute(
        _INSERT_PURCHASE,
        {
            "cid": customer_id,
            "pid": product_id,
            "qty": quantity,
            "price": unit_price_minor,
            "total": unit_price_minor * quantity,
            "at": purchased_at,
        },
    )
    return mappers.inserted_id(result)


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
        """Sell ``quantity`` units: check both parties are active, take the stock with a
        conditional update, snapshot the unit price, write the purchase and its ledger row."""
        cid = v.record_id(customer_id, "customer_id")
        pid = v.record_id(product_id, "product_id")
        qty = v.quantity(quantity)
        at = v.optional_timestamp(purchased_at, "purchased_at")
        with self._scope() as uow:
            conn = uow.conn
            buyer = conn.execute(_CUSTOMER, {"cid": cid}).first()
            item = conn.execute(_PRODUCT, {"pid": pid}).first()
            rules.check_sale(
                cid,
                None if buyer is None else rules.Party(bool(buyer.active)),
                pid,
                None if item is None else rules.Party(bool(item.active), int(item.stock)),
                qty,
            )
            assert item is not None  # checked above
            taken = conn.execute(_TAKE_STOCK, {"pid": pid, "qty": qty})
            if taken.rowcount != 1:  # pragma: no cover - the row is locked since the check
                raise Conflict(
                    f"product {pid} changed during the sale; nothing was sold, try again"
                )
            now = uow.now()
            purchase_id = insert_purchase(
                conn,
                customer_id=cid,
                product_id=pid,
                quantity=qty,
                unit_price_minor=int(item.price_minor),
                purchased_at=at or now,
            )
            ledger.record(
                uow,
                product_id=pid,
                kind="sale",
                change=-qty,
                stock_after=int(item.stock) - qty,
                at=now,
                purchase_id=purchase_id,
            )
            return mappers.purchase(conn.execute(_PURCHASE, {"id": purchase_id}).mappings().one())

    def get(self, purchase_id: int) -> Purchase:
        pid = v.record_id(purchase_id, "purchase_id")
        with self._scope(write=False) as uow:
            return _get(uow.conn, pid)

    def cancel(self, purchase_id: int) -> Purchase:
        """Undo a sale: stock comes back, revenue drops it, history keeps it (marked)."""
        pid = v.record_id(purchase_id, "purchase_id")
        with self._scope() as uow:
            conn = uow.conn
            now = uow.now()
            row = (
                conn.execute(select(purchases).where(purchases.c.id == pid).with_for_update())
                .mappings()
                .first()
            )
            if row is None:
                raise NotFound("purchase", pid)
            bought = mappers.purchase(row)
            done = conn.execute(
                update(purchases)
                .where(purchases.c.id == pid, purchases.c.cancelled_at.is_(None))
                .values(cancelled_at=now)
            )
            if done.rowcount != 1:
                raise Conflict(f"purchase {pid} is already cancelled")
            if row["stock_moved"]:  # history imported without moving stock gives none back
                conn.execute(
                    update(products)
                    .where(products.c.id == bought.product_id)
                    .values(stock=products.c.stock + bought.quantity)
                )
                ledger.record(
                    uow,
                    product_id=bought.product_id,
                    kind="cancel",
                    change=bought.quantity,
                    stock_after=ledger.stock_of(conn, bought.product_id),
                    at=now,
                    purchase_id=pid,
                )
            return _get(conn, pid)

    def history(self, customer_id: int) -> list[PurchaseLine]:
        """Every purchase of a customer, newest first, cancelled ones marked."""
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


def _get(conn: Connection, pid: int, *, for_update: bool = False) -> Purchase:
    return fetch_one(conn, purchases, pid, "purchase", mappers.purchase, for_update=for_update)
