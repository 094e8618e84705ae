"""Imports: check every row, then write them all in batches, in one transaction."""

from __future__ import annotations

import functools
import os
import pickle
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from crpm_core.api import CRPM
from crpm_core.domain import parse_money, to_minor
from crpm_core.domain import validation as v
from crpm_core.errors import Conflict, ValidationError
from crpm_core.persistence import dialects
from crpm_core.persistence.tables import customers, products, purchases, stock_movements
from crpm_core.services import ledger
from crpm_core.services._common import utc_now
from crpm_core.transfer._files import Source, read_text, records
from crpm_core.transfer._formats import (
    COLUMNS,
    KINDS,
    ImportResult,
    Kind,
    Progress,
    ProgressCallback,
    RowError,
    StockShortage,
    timestamp,
    whole_number,
)

BATCH = 5_000
"""Rows per INSERT call; SQLAlchemy splits them further into multi-row statements."""
CHECK_REPORT_EVERY = 2_000
LOOKUP_YIELD = 10_000

Row = dict[str, Any]


class _Importer:
    """One kind of file: how a row is parsed, checked against the rest, and written."""

    kind: ClassVar[Kind]
    table: ClassVar[Table]

    def __init__(self, conn: Connection, now: datetime) -> None:
        self.now = now

    def parse(self, cells: list[str]) -> Row:
        """The row's values for INSERT; raises ``ValidationError`` naming the column."""
        raise NotImplementedError

    def check(self, line: int, row: Row) -> None:
        """Rules across rows and against the database (duplicates, stock)."""

    def prepare(self, conn: Connection) -> None:
        """After every row passed its checks, before the first row is written."""

    def write(self, conn: Connection, batch: list[Row]) -> None:
        raise NotImplementedError


class _Customers(_Importer):
    kind = "customers"
    table = customers

    def __init__(self, conn: Connection, now: datetime) -> None:
        super().__init__(conn, now)
        query = select(customers.c.email_key).execution_options(yield_per=LOOKUP_YIELD)
        self.taken: set[str] = set(conn.execute(query).scalars())
        self.seen: dict[str, int] = {}

    def parse(self, cells: list[str]) -> Row:
        name, email, phone = cells
        clean_name = v.name(name, "name")
        address = v.email(email, "email")
        return {
            "name": clean_name,
            "email": address,
            "email_key": v.email_key(address),
            "phone": v.phone(phone, "phone"),
            "active": True,
            "created_at": self.now,
        }

    def check(self, line: int, row: Row) -> None:
        key, address = row["email_key"], row["email"]
        if key in self.taken:
            raise RowError(line, "email", f"{address} is already used by a customer (any case)")
        first = self.seen.setdefault(key, line)
        if first != line:
            raise RowError(line, "email", f"{address} repeats line {first} (ignoring case)")

    def write(self, conn: Connection, batch: list[Row]) -> None:
        dialects.insert_many(conn, customers, batch)


class _Products(_Importer):
    kind = "products"
    table = products

    def __init__(self, conn: Connection, now: datetime) -> None:
        super().__init__(conn, now)
        query = (
            select(products.c.sku)
            .where(products.c.sku.is_not(None))
            .execution_options(yield_per=LOOKUP_YIELD)
        )
        self.taken: set[str] = set(conn.execute(query).scalars())
        self.seen: dict[str, int] = {}

    def parse(self, cells: list[str]) -> Row:
        sku, name, price, stock = cells
        clean_sku = v.sku(sku, "sku")
        clean_name = v.name(name, "name")
        price_minor = to_minor(parse_money(price, "price"))
        return {
            "sku": clean_sku,
            "name": clean_name,
            "price_minor": price_minor,
            "stock": v.stock(whole_number(stock, "stock"), "stock"),
            "active": True,
            "created_at": self.now,
        }

    def check(self, line: int, row: Row) -> None:
        sku = row["sku"]
        if sku is None:
            return
        if sku in self.taken:
            raise RowError(line, "sku", f"{sku} is already used by a product")
        first = self.seen.setdefault(sku, line)
        if first != line:
            raise RowError(line, "sku", f"{sku} repeats line {first}")

    def write(self, conn: Connection, batch: list[Row]) -> None:
        """Each new product's opening stock is its ledger's "initial" movement."""
        added = conn.execute(insert(products).returning(products.c.id, products.c.stock), batch)
        moves = [
            {
                "product_id": int(pid),
                "kind": "initial",
                "change": int(stock),
                "stock_after": int(stock),
                "at": self.now,
                "note": None,
                "purchase_id": None,
            }
            for pid, stock in added
        ]
        if moves:
            conn.execute(insert(stock_movements), moves)


class _Purchases(_Importer):
    """Purchases name their customer by email (any case) and their product by SKU."""

    kind = "purchases"
    table = purchases

    def __init__(self, conn: Connection, now: datetime, *, move_stock: bool, note: str) -> None:
        super().__init__(conn, now)
        self.move_stock = move_stock
        self.note = note
        self.customer_ids: dict[str, int] = {}
        self.inactive_customers: set[int] = set()
        query: Any = select(customers.c.email_key, customers.c.id, customers.c.active)
        for key, cid, active in conn.execute(query.execution_options(yield_per=LOOKUP_YIELD)):
            self.customer_ids[key] = int(cid)
            if not active:
                self.inactive_customers.add(int(cid))
        self.product_ids: dict[str, int] = {}
        self.inactive_products: set[int] = set()
        self.stock: dict[int, int] = {}
        self.skus: dict[int, str] = {}
        query = select(products.c.sku, products.c.id, products.c.active, products.c.stock).where(
            products.c.sku.is_not(None)
        )
        for sku, pid, active, stock in conn.execute(
            query.execution_options(yield_per=LOOKUP_YIELD)
        ):
            self.product_ids[sku] = int(pid)
            self.stock[int(pid)] = int(stock)
            self.skus[int(pid)] = sku
            if not active:
                self.inactive_products.add(int(pid))
        self.sold: dict[int, int] = {}
        self.sales: dict[int, int] = {}

    def parse(self, cells: list[str]) -> Row:
        email, sku, quantity, unit_price, purchased_at = cells
        return {
            "customer_id": self._customer(email),
            "product_id": self._product(sku),
            **self._amounts(quantity, unit_price),
            "purchased_at": timestamp(purchased_at, "purchased_at"),
            "stock_moved": self.move_stock,
        }

    def _customer(self, email: str) -> int:
        # A known address is valid (it was when the customer was added); the full
        # validation runs only to explain an address that is not found.
        customer_id = self.customer_ids.get(v.email_key(email.strip(" \t")))
        if customer_id is None:
            address = v.email(email, "customer_email")
            customer_id = self.customer_ids.get(v.email_key(address))
            if customer_id is None:
                raise ValidationError("customer_email", f"no customer has the email {address}")
        return customer_id

    def _product(self, sku: str) -> int:
        product_id = self.product_ids.get(sku.strip(" \t"))
        if product_id is None:
            product_sku = v.sku(sku, "product_sku")
            if product_sku is None:
                raise ValidationError("product_sku", "must not be empty")
            product_id = self.product_ids.get(product_sku)
            if product_id is None:
                raise ValidationError("product_sku", f"no product has the SKU {product_sku}")
        return product_id

    @staticmethod
    @functools.lru_cache(maxsize=65_536)
    def _amounts(quantity: str, unit_price: str) -> Row:
        """Checked once per distinct pair: a shop's files repeat the same few prices and
        quantities, and a refused pair raises (errors are never cached). Read-only result."""
        qty = v.quantity(whole_number(quantity, "quantity"), "quantity")
        price = to_minor(parse_money(unit_price, "unit_price"))
        return {"quantity": qty, "unit_price_minor": price, "total_minor": price * qty}

    def check(self, line: int, row: Row) -> None:
        """With stock moving, the rules of a sale: both parties active, enough stock."""
        if not self.move_stock:
            return
        cid, pid = row["customer_id"], row["product_id"]
        if cid in self.inactive_customers:
            raise RowError(line, "customer_email", "the customer is inactive and cannot buy")
        if pid in self.inactive_products:
            raise RowError(line, "product_sku", "the product is inactive and cannot be sold")
        sold = self.sold.get(pid, 0) + row["quantity"]
        if sold > self.stock[pid]:
            raise StockShortage(line, self.skus[pid], sold, self.stock[pid])
        self.sold[pid] = sold
        self.sales[pid] = self.sales.get(pid, 0) + 1

    def prepare(self, conn: Connection) -> None:
        """Take each product's units at once, with one "sale" movement per product."""
        for pid, units in sorted(self.sold.items()):
            taken = conn.execute(
                update(products)
                .where(products.c.id == pid, products.c.active, products.c.stock >= units)
                .values(stock=products.c.stock - units)
            )
            if taken.rowcount != 1:
                raise Conflict(
                    f"product {self.skus[pid]} changed during the import (stock or active); "
                    "nothing was imported, try again"
                )
            ledger.record(
                conn,
                product_id=pid,
                kind="sale",
                change=-units,
                stock_after=ledger.stock_of(conn, pid),
                at=self.now,
                note=v.note(f"{self.note}: {self.sales[pid]:,} purchases"),
            )

    def write(self, conn: Connection, batch: list[Row]) -> None:
        dialects.insert_many(conn, purchases, batch)


def run(
    crm: CRPM,
    kind: Kind,
    source: Source,
    *,
    move_stock: bool = False,
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import one file of ``kind``: all rows or, on the first bad one, none."""
    if kind not in KINDS:
        raise ValidationError("kind", "must be customers, products or purchases")
    moment = utc_now() if now is None else v.utc_timestamp(now, "now")
    report = progress or _quiet
    name = str(source) if isinstance(source, str | os.PathLike) else getattr(source, "name", "")
    try:
        with _Spool() as spool, crm.db.transaction() as conn:
            importer = _make(kind, conn, moment, move_stock=move_stock, name=str(name))
            with read_text(source) as (text, fraction):
                for line, cells in records(text, COLUMNS[kind]):
                    row = _parse(importer, line, cells)
                    importer.check(line, row)
                    spool.add(row)
                    if spool.count % CHECK_REPORT_EVERY == 0:
                        report(Progress("checking", spool.count, fraction()))
            report(Progress("checking", spool.count, 1.0))
            importer.prepare(conn)
            written = 0
            with dialects.bulk_load(conn, importer.table, spool.count):
                for batch in spool.batches():
                    importer.write(conn, batch)
                    written += len(batch)
                    report(Progress("writing", written, written / spool.count))
    except IntegrityError as exc:
        raise Conflict(
            f"the database changed during the import of {kind} (another user added the same "
            "email or SKU?); nothing was imported, try again"
        ) from exc
    return ImportResult(kind=kind, rows=written, stock_moved=move_stock and kind == "purchases")


class _Spool:
    """Checked rows wait on disk, in batches, until every row has passed: memory stays flat
    and the file is read (and parsed) only once."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by __exit__
        self._batch: list[Row] = []
        self.count = 0

    def __enter__(self) -> _Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def add(self, row: Row) -> None:
        self._batch.append(row)
        self.count += 1
        if len(self._batch) == BATCH:
            self._flush()

    def batches(self) -> Iterator[list[Row]]:
        self._flush()
        self._file.seek(0)
        while True:
            try:
                batch: list[Row] = pickle.load(self._file)  # noqa: S301 - our own temp file
            except EOFError:
                return
            yield batch

    def _flush(self) -> None:
        if self._batch:
            pickle.dump(self._batch, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._batch = []


def _make(kind: Kind, conn: Connection, now: datetime, *, move_stock: bool, name: str) -> _Importer:
    if kind == "customers":
        return _Customers(conn, now)
    if kind == "products":
        return _Products(conn, now)
    return _Purchases(conn, now, move_stock=move_stock, note=f"import from {Path(name).name[:200]}")


def _parse(importer: _Importer, line: int, cells: list[str]) -> Row:
    try:
        return importer.parse(cells)
    except RowError:
        raise
    except ValidationError as exc:
        raise RowError(line, exc.field, exc.message) from None


def _quiet(_: Progress) -> None:
    pass
