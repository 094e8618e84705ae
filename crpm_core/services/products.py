"""Products: add, view, update, restock, correct stock, deactivate/reactivate, delete."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from crpm_core.domain import Page, Product, parse_money, rules, staff, to_minor
from crpm_core.domain import search as folding
from crpm_core.domain import validation as v
from crpm_core.errors import Conflict, ValidationError
from crpm_core.persistence import mappers
from crpm_core.persistence.tables import products, purchases, stock_movements
from crpm_core.services import ledger
from crpm_core.services._common import (
    UNSET,
    fetch_one,
    order_clause,
    refuse_if_used,
    set_active,
)
from crpm_core.services.settings import current_settings
from crpm_core.services.unit_of_work import Scope, UnitOfWork

ORDERABLE = {
    "name": products.c.name,
    "sku": products.c.sku,
    "price": products.c.price_minor,
    "stock": products.c.stock,
    "created_at": products.c.created_at,
    "id": products.c.id,
}


def new_row(
    *,
    name: object,
    price: object,
    stock: object,
    sku: object,
    created_at: datetime,
    reorder_point: object = None,
) -> dict[str, Any]:
    """A new product's row, every field checked: the one rule for ``add`` and the importer."""
    clean_sku = v.sku(sku)
    clean_name = v.name(name)
    return {
        "sku": clean_sku,
        "name": clean_name,
        "price_minor": to_minor(parse_money(price)),
        "stock": v.stock(stock),
        "active": True,
        "created_at": created_at,
        "reorder_point": rules.reorder_point(reorder_point),
        "search_key": folding.key(clean_name, clean_sku),
    }


def sku_taken(sku: str | None) -> Conflict:
    """The refusal of a SKU another product has."""
    return Conflict(f"the SKU {sku} is already used by another product", field="sku")


def opening_stock(uow: UnitOfWork, product_id: int, stock: int, at: datetime) -> dict[str, Any]:
    """A new product's first ledger row: its opening stock, as an "initial" movement."""
    return {
        "product_id": product_id,
        "kind": "initial",
        "change": stock,
        "stock_after": stock,
        "at": at,
    }


class Products:
    """``crm.products``: every method is one unit of work."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def add(
        self,
        *,
        name: str,
        price: object,
        stock: int = 0,
        sku: str | None = None,
        reorder_point: int | None = None,
    ) -> Product:
        """Add a product; its opening stock is the ledger's first ("initial") movement.
        ``reorder_point``: low stock at or below it (``None``: the shop's default)."""
        self._scope.require("products.add")
        with self._scope() as uow:
            now = uow.now()
            values = new_row(
                name=name,
                price=price,
                stock=stock,
                sku=sku,
                created_at=now,
                reorder_point=reorder_point,
            )
            _ensure_sku_free(uow.conn, values["sku"], None)
            try:
                result = uow.conn.execute(insert(products).values(**values))
            except IntegrityError:
                raise sku_taken(values["sku"]) from None
            pid = mappers.inserted_id(result)
            ledger.record(uow, **opening_stock(uow, pid, values["stock"], now))
            added = _get(uow.conn, pid)
            uow.audit("add", "product", pid, staff.changes(None, audited(added)))
            return added

    def get(self, product_id: int) -> Product:
        self._scope.require("products.read")
        pid = v.record_id(product_id, "product_id")
        with self._scope(write=False) as uow:
            return _get(uow.conn, pid)

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
        low: bool = False,
    ) -> Page[Product]:
        """One page of products; ``search`` matches name or SKU, ignoring case and accents.

        ``low=True`` keeps only the active products at or below their reorder point (as
        :meth:`low_stock`); ``low_stock=n`` those with at most ``n`` in stock.
        """
        self._scope.require("products.read")
        off, lim = v.paging(offset, limit)
        wanted = v.flag(active, "active")
        order = order_clause(
            ORDERABLE, order_by, descending, products.c.id, dialect_name=self._scope.dialect_name
        )
        text = v.search(search)
        threshold = None if low_stock is None else v.stock(low_stock, "low_stock")
        only_low = v.flag(low, "low")
        query = select(products)
        if text:
            query = query.where(mappers.search_match(products.c.search_key, text))
        if wanted is not None:
            query = query.where(products.c.active == wanted)
        if threshold is not None:
            query = query.where(products.c.stock <= threshold)
        with self._scope(write=False) as uow:
            if only_low:
                query = query.where(_is_low(uow.conn))
            return mappers.paged(
                uow.conn, query, order=order, offset=off, limit=lim, convert=mappers.product
            )

    def low_stock(self) -> builtins.list[Product]:
        """The active products at or below their reorder point (their own, else the shop's
        ``low_stock_default``), emptiest first."""
        self._scope.require("products.read")
        with self._scope(write=False) as uow:
            query = (
                select(products)
                .where(_is_low(uow.conn))
                .order_by(products.c.stock, products.c.name, products.c.id)
            )
            return [mappers.product(r) for r in uow.conn.execute(query).mappings()]

    def update(
        self,
        product_id: int,
        *,
        name: object = UNSET,
        price: object = UNSET,
        sku: object = UNSET,
        stock: object = UNSET,
        reorder_point: object = UNSET,
        note: object = None,
    ) -> Product:
        """Change only the fields given. A new price applies to later sales only;
        ``stock=`` is a stock-count correction, written to the ledger as an adjustment;
        ``reorder_point=None`` falls back to the shop's default."""
        self._scope.require("products.update")
        if stock is not UNSET:
            self._scope.require("products.set_stock")
        pid = v.record_id(product_id, "product_id")
        values: dict[str, Any] = {}
        if name is not UNSET:
            values["name"] = v.name(name)
        if price is not UNSET:
            values["price_minor"] = to_minor(parse_money(price))
        if sku is not UNSET:
            values["sku"] = v.sku(sku)
        if reorder_point is not UNSET:
            values["reorder_point"] = rules.reorder_point(reorder_point)
        new_stock = None if stock is UNSET else v.stock(stock)
        text = v.note(note)
        with self._scope() as uow:
            conn = uow.conn
            before = _get(conn, pid, for_update=True)
            if "sku" in values:
                _ensure_sku_free(conn, values["sku"], pid)
            if values:
                values["search_key"] = folding.key(
                    values.get("name", before.name), values.get("sku", before.sku)
                )
                try:
                    conn.execute(update(products).where(products.c.id == pid).values(values))
                except IntegrityError:
                    raise sku_taken(values["sku"]) from None
            if new_stock is not None:
                _adjust(uow, pid, new_stock, text)
            after = _get(conn, pid)
            changed = staff.changes(audited(before), audited(after))
            if new_stock is not None and text:
                changed["note"] = [None, text]
            uow.audit("update", "product", pid, changed)
            return after

    def restock(self, product_id: int, quantity: int, *, note: str | None = None) -> Product:
        """Receive ``quantity`` (>= 1) more units."""
        self._scope.require("products.restock")
        pid = v.record_id(product_id, "product_id")
        qty = v.whole_number(quantity, "quantity", minimum=1, maximum=v.MAX_STOCK)
        text = v.note(note)
        with self._scope() as uow:
            before = _get(uow.conn, pid, for_update=True)
            result = uow.conn.execute(
                update(products)
                .where(products.c.id == pid, products.c.stock + qty <= v.MAX_STOCK)
                .values(stock=products.c.stock + qty)
            )
            if result.rowcount != 1:
                raise ValidationError("quantity", f"would take the stock above {v.MAX_STOCK:,}")
            after = ledger.stock_of(uow.conn, pid)
            ledger.record(
                uow, product_id=pid, kind="restock", change=qty, stock_after=after, note=text
            )
            changed: dict[str, list[object]] = {"stock": [before.stock, after]}
            if text:
                changed["note"] = [None, text]
            uow.audit("restock", "product", pid, changed)
            return _get(uow.conn, pid)

    def set_stock(self, product_id: int, stock: int, *, note: str | None = None) -> Product:
        """Correct the stock to a counted value (>= 0); the difference is an adjustment."""
        self._scope.require("products.set_stock")
        pid = v.record_id(product_id, "product_id")
        counted = v.stock(stock)
        text = v.note(note)
        with self._scope() as uow:
            before = _get(uow.conn, pid, for_update=True)
            _adjust(uow, pid, counted, text)
            changed: dict[str, list[object]] = {"stock": [before.stock, counted]}
            if text:
                changed["note"] = [None, text]
            uow.audit("set_stock", "product", pid, changed)
            return _get(uow.conn, pid)

    def deactivate(self, product_id: int) -> Product:
        """Keep the product and its history, but sell it no more."""
        self._scope.require("products.deactivate")
        return set_active(
            self._scope, products, product_id, False, "product", mappers.product, "deactivate"
        )

    def reactivate(self, product_id: int) -> Product:
        self._scope.require("products.reactivate")
        return set_active(
            self._scope, products, product_id, True, "product", mappers.product, "reactivate"
        )

    def delete(self, product_id: int) -> None:
        """Remove a product never sold, with its stock ledger; a sold one is refused."""
        self._scope.require("products.delete")
        pid = v.record_id(product_id, "product_id")
        with self._scope() as uow:
            conn = uow.conn
            gone = _get(conn, pid, for_update=True)
            refuse_if_used(
                conn,
                purchases.c.product_id,
                pid,
                f"product {pid} has been sold and cannot be deleted; deactivate instead",
            )
            conn.execute(stock_movements.delete().where(stock_movements.c.product_id == pid))
            conn.execute(products.delete().where(products.c.id == pid))
            uow.audit("delete", "product", pid, staff.changes(audited(gone), None))


def audited(p: Product) -> dict[str, object]:
    """The fields of a product the audit trail records."""
    return {
        "name": p.name,
        "sku": p.sku,
        "price": p.price,
        "stock": p.stock,
        "reorder_point": p.reorder_point,
        "active": p.active,
    }


def _is_low(conn: Connection) -> ColumnElement[bool]:
    """``Product.is_low`` as SQL, with the shop's default as it is stored now."""
    default = current_settings(conn).low_stock_default
    point = func.coalesce(products.c.reorder_point, default)
    return and_(products.c.active, products.c.stock <= point)


def _adjust(uow: UnitOfWork, pid: int, counted: int, note: str | None) -> None:
    before = ledger.stock_of(uow.conn, pid)
    uow.conn.execute(update(products).where(products.c.id == pid).values(stock=counted))
    ledger.record(
        uow,
        product_id=pid,
        kind="adjustment",
        change=counted - before,
        stock_after=counted,
        note=note,
    )


def _get(conn: Connection, pid: int, *, for_update: bool = False) -> Product:
    return fetch_one(conn, products, pid, "product", mappers.product, for_update=for_update)


def _ensure_sku_free(conn: Connection, sku: str | None, own_id: int | None) -> None:
    if sku is None:
        return
    query = select(products.c.id).where(products.c.sku == sku)
    if own_id is not None:
        query = query.where(products.c.id != own_id)
    if conn.execute(query).first() is not None:
        raise sku_taken(sku)
