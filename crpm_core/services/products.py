"""Products: add, view, update, restock, correct stock, deactivate/reactivate, delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from crpm_core.domain import Page, Product, parse_money, to_minor
from crpm_core.domain import validation as v
from crpm_core.errors import Conflict, ValidationError
from crpm_core.persistence import mappers
from crpm_core.persistence.database import Database
from crpm_core.persistence.tables import products, purchases, stock_movements
from crpm_core.services import ledger
from crpm_core.services._common import (
    UNSET,
    Clock,
    fetch_one,
    order_clause,
    refuse_if_used,
    set_active,
)

ORDERABLE = {
    "name": products.c.name,
    "sku": products.c.sku,
    "price": products.c.price_minor,
    "stock": products.c.stock,
    "created_at": products.c.created_at,
    "id": products.c.id,
}


class Products:
    """``crm.products``: every method is one transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def add(self, *, name: str, price: object, stock: int = 0, sku: str | None = None) -> Product:
        """Add a product; its opening stock is the ledger's first ("initial") movement."""
        now = self._clock()
        values: dict[str, Any] = {
            "name": v.name(name),
            "price_minor": to_minor(parse_money(price)),
            "stock": v.stock(stock),
            "sku": v.sku(sku),
            "active": True,
            "created_at": now,
        }
        with self._db.transaction() as conn:
            _ensure_sku_free(conn, values["sku"], None)
            try:
                result = conn.execute(insert(products).values(**values))
            except IntegrityError:
                raise _sku_taken(values["sku"]) from None
            pid = mappers.inserted_id(result)
            ledger.record(
                conn,
                product_id=pid,
                kind="initial",
                change=values["stock"],
                stock_after=values["stock"],
                at=now,
            )
            return _get(conn, pid)

    def get(self, product_id: int) -> Product:
        pid = v.record_id(product_id, "product_id")
        with self._db.transaction(write=False) as conn:
            return _get(conn, pid)

    def list(
        self,
        *,
        search: str | None = None,
        active: bool | None = None,
        offset: int = 0,
        limit: int = 50,
        order_by: str = "name",
        descending: bool = False,
        low_stock: int | None = None,
    ) -> Page[Product]:
        """One page of products; ``search`` matches name or SKU.

        ``low_stock=n`` keeps only products with at most ``n`` in stock.
        """
        off, lim = v.paging(offset, limit)
        wanted = v.flag(active, "active")
        order = order_clause(
            ORDERABLE, order_by, descending, products.c.id, dialect_name=self._db.dialect_name
        )
        text = v.search(search)
        threshold = None if low_stock is None else v.stock(low_stock, "low_stock")
        with self._db.transaction(write=False) as conn:
            query = select(products)
            if text:
                cols = [products.c.name, products.c.sku]
                query = query.where(mappers.text_search(conn, cols, text))
            if wanted is not None:
                query = query.where(products.c.active == wanted)
            if threshold is not None:
                query = query.where(products.c.stock <= threshold)
            return mappers.paged(
                conn, query, order=order, offset=off, limit=lim, convert=mappers.product
            )

    def update(
        self,
        product_id: int,
        *,
        name: object = UNSET,
        price: object = UNSET,
        sku: object = UNSET,
        stock: object = UNSET,
        note: object = None,
    ) -> Product:
        """Change only the fields given. A new price applies to later sales only;
        ``stock=`` is a stock-count correction, written to the ledger as an adjustment."""
        pid = v.record_id(product_id, "product_id")
        values: dict[str, Any] = {}
        if name is not UNSET:
            values["name"] = v.name(name)
        if price is not UNSET:
            values["price_minor"] = to_minor(parse_money(price))
        if sku is not UNSET:
            values["sku"] = v.sku(sku)
        new_stock = None if stock is UNSET else v.stock(stock)
        text = v.note(note)
        with self._db.transaction() as conn:
            _get(conn, pid, for_update=True)
            if "sku" in values:
                _ensure_sku_free(conn, values["sku"], pid)
            if values:
                try:
                    conn.execute(update(products).where(products.c.id == pid).values(values))
                except IntegrityError:
                    raise _sku_taken(values["sku"]) from None
            if new_stock is not None:
                self._adjust(conn, pid, new_stock, text)
            return _get(conn, pid)

    def restock(self, product_id: int, quantity: int, *, note: str | None = None) -> Product:
        """Receive ``quantity`` (>= 1) more units."""
        pid = v.record_id(product_id, "product_id")
        qty = v.whole_number(quantity, "quantity", minimum=1, maximum=v.MAX_STOCK)
        text = v.note(note)
        with self._db.transaction() as conn:
            _get(conn, pid, for_update=True)
            result = conn.execute(
                update(products)
                .where(products.c.id == pid, products.c.stock + qty <= v.MAX_STOCK)
                .values(stock=products.c.stock + qty)
            )
            if result.rowcount != 1:
                raise ValidationError("quantity", f"would take the stock above {v.MAX_STOCK:,}")
            after = ledger.stock_of(conn, pid)
            ledger.record(
                conn,
                product_id=pid,
                kind="restock",
                change=qty,
                stock_after=after,
                at=self._clock(),
                note=text,
            )
            return _get(conn, pid)

    def set_stock(self, product_id: int, stock: int, *, note: str | None = None) -> Product:
        """Correct the stock to a counted value (>= 0); the difference is an adjustment."""
        pid = v.record_id(product_id, "product_id")
        counted = v.stock(stock)
        text = v.note(note)
        with self._db.transaction() as conn:
            _get(conn, pid, for_update=True)
            self._adjust(conn, pid, counted, text)
            return _get(conn, pid)

    def deactivate(self, product_id: int) -> Product:
        """Keep the product and its history, but sell it no more."""
        return set_active(self._db, products, product_id, False, "product", mappers.product)

    def reactivate(self, product_id: int) -> Product:
        return set_active(self._db, products, product_id, True, "product", mappers.product)

    def delete(self, product_id: int) -> None:
        """Remove a product never sold, with its stock ledger; a sold one is refused."""
        pid = v.record_id(product_id, "product_id")
        with self._db.transaction() as conn:
            _get(conn, pid, for_update=True)
            refuse_if_used(
                conn,
                purchases.c.product_id,
                pid,
                f"product {pid} has been sold and cannot be deleted; deactivate instead",
            )
            conn.execute(stock_movements.delete().where(stock_movements.c.product_id == pid))
            conn.execute(products.delete().where(products.c.id == pid))

    def _adjust(self, conn: Connection, pid: int, counted: int, note: str | None) -> None:
        before = ledger.stock_of(conn, pid)
        conn.execute(update(products).where(products.c.id == pid).values(stock=counted))
        ledger.record(
            conn,
            product_id=pid,
            kind="adjustment",
            change=counted - before,
            stock_after=counted,
            at=self._clock(),
            note=note,
        )


def _get(conn: Connection, pid: int, *, for_update: bool = False) -> Product:
    return fetch_one(conn, products, pid, "product", mappers.product, for_update=for_update)


def _sku_taken(sku: str | None) -> Conflict:
    return Conflict(f"the SKU {sku} is already used by another product", field="sku")


def _ensure_sku_free(conn: Connection, sku: str | None, own_id: int | None) -> None:
    if sku is None:
        return
    query = select(products.c.id).where(products.c.sku == sku)
    if own_id is not None:
        query = query.where(products.c.id != own_id)
    if conn.execute(query).first() is not None:
        raise _sku_taken(sku)
