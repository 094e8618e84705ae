"""Imports: an adapter over the same rules as the services.

Two phases. *Checking* runs in a read transaction, so sales go on meanwhile: every row is
parsed and checked with the services' own row builders and rules (``customers.new_row``,
``products.new_row``, ``rules.check_sale``), against the database and the rows before it,
and spooled to disk. *Writing* runs in one write transaction, under a lock that serialises
large imports: the rows go in batches, stock moves and the ledger is written through the
same ledger writer as a sale. A record another user changed between the phases (an email
taken, a product sold out or deactivated, a customer deleted) refuses the whole file.
"""

from __future__ import annotations

import functools
import os
import pickle
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from crpm_core.domain import calendar, parse_money, rules, to_minor
from crpm_core.domain import validation as v
from crpm_core.errors import Conflict, CRPMError, InactiveRecord, InsufficientStock, ValidationError
from crpm_core.persistence import dialects
from crpm_core.persistence.tables import customers, orders, products, purchases
from crpm_core.services import customers as customer_rules
from crpm_core.services import ledger, rollups
from crpm_core.services import products as product_rules
from crpm_core.services.unit_of_work import UnitOfWork
from crpm_core.transfer._files import Source, read_text, records
from crpm_core.transfer._formats import (
    COLUMNS,
    KINDS,
    OPTIONAL_COLUMNS,
    ImportResult,
    Kind,
    Progress,
    ProgressCallback,
    RowError,
    StockShortage,
    timestamp,
    whole_number,
)

if TYPE_CHECKING:
    from crpm_core.api import Services

BATCH = 5_000
"""Rows per INSERT call; SQLAlchemy splits them further into multi-row statements."""
CHECK_REPORT_EVERY = 2_000
LOOKUP_YIELD = 10_000
REF_CHUNK = 500

Row = dict[str, Any]
ENTITY: dict[Kind, str] = {"customers": "customer", "products": "product", "purchases": "purchase"}
"""The audit trail's entity of each kind of file."""


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

    def prepare(self, uow: UnitOfWork) -> None:
        """In the write transaction, before the first row is written: re-check what another
        user may have changed since the check, and move stock."""

    def write(self, uow: UnitOfWork, batch: list[Row]) -> None:
        raise NotImplementedError

    def finish(self, uow: UnitOfWork) -> None:
        """In the write transaction, after the last row is written."""


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
        return customer_rules.new_row(name=name, email=email, phone=phone, created_at=self.now)

    def check(self, line: int, row: Row) -> None:
        key, address = row["email_key"], row["email"]
        if key in self.taken:
            raise RowError(line, "email", f"{address} is already used by a customer (any case)")
        first = self.seen.setdefault(key, line)
        if first != line:
            raise RowError(line, "email", f"{address} repeats line {first} (ignoring case)")

    def write(self, uow: UnitOfWork, batch: list[Row]) -> None:
        dialects.insert_many(uow.conn, customers, batch)


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
        clean_sku = v.sku(sku, "sku")  # checked first, as the columns read
        return product_rules.new_row(
            sku=clean_sku,
            name=name,
            price=price,
            stock=whole_number(stock, "stock"),
            created_at=self.now,
        )

    def check(self, line: int, row: Row) -> None:
        sku = row["sku"]
        if sku is None:
            return
        if sku in self.taken:
            raise RowError(line, "sku", f"{sku} is already used by a product")
        first = self.seen.setdefault(sku, line)
        if first != line:
            raise RowError(line, "sku", f"{sku} repeats line {first}")

    def write(self, uow: UnitOfWork, batch: list[Row]) -> None:
        """Each new product's opening stock is its ledger's "initial" movement."""
        added = uow.conn.execute(insert(products).returning(products.c.id, products.c.stock), batch)
        ledger.record_many(
            uow,
            [
                ledger.movement(
                    uow, **product_rules.opening_stock(uow, int(pid), int(stock), self.now)
                )
                for pid, stock in added
            ],
        )


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
        query = select(orders.c.ref).where(orders.c.ref.is_not(None))
        self.stored_refs: set[str] = set(
            conn.execute(query.execution_options(yield_per=LOOKUP_YIELD)).scalars()
        )
        self.refs: dict[str, tuple[int, int]] = {}  # ref -> (first line, customer id)
        # an order's rows: by its number in the file it came from, else by its ref
        self.groups: dict[tuple[str, str], tuple[int, int, str | None, datetime]] = {}
        self.tally = rollups.CustomerTally()
        self.days = rollups.DayTally(calendar.zone("UTC"))  # the shop's zone in prepare()
        # an order of several rows (an order_number or order_ref) may span batches: its
        # customer, time and whether it keeps a unit, told to the tally at the end
        self.grouped: dict[int, tuple[int, datetime, bool]] = {}
        self.order_ids: dict[tuple[str, str], int] = {}  # group -> the order written for it
        self.ref_groups: dict[str, tuple[str, str] | None] = {}
        self.sold: dict[int, int] = {}
        self.sales: dict[int, int] = {}

    def parse(self, cells: list[str]) -> Row:
        email, sku, quantity, unit_price, purchased_at, order_ref, returned, number = cells
        ref = rules.order_ref(order_ref or None)
        group: tuple[str, str] | None = None
        if number.strip():
            group = (
                "number",
                str(
                    v.whole_number(
                        whole_number(number, "order_number"),
                        "order_number",
                        minimum=1,
                        maximum=2**63 - 1,
                    )
                ),
            )
        elif ref is not None:
            group = ("ref", ref)
        return {
            "customer_id": self._customer(email),
            "product_id": self._product(sku),
            **self._amounts(quantity, unit_price, returned),
            "purchased_at": timestamp(purchased_at, "purchased_at"),
            "stock_moved": self.move_stock,
            "order_ref": ref,
            "group": group,
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
    def _amounts(quantity: str, unit_price: str, returned: str) -> Row:
        """Checked once per distinct triple: a shop's files repeat the same few prices and
        quantities, and a refused one raises (errors are never cached). Read-only result.
        The line's total is net of the units returned, as a return leaves it."""
        qty = v.quantity(whole_number(quantity, "quantity"), "quantity")
        price = to_minor(parse_money(unit_price, "unit_price"))
        back = 0
        if returned.strip():
            back = v.whole_number(
                whole_number(returned, "returned_quantity"),
                "returned_quantity",
                minimum=0,
                maximum=qty,
            )
        return {
            "quantity": qty,
            "returned_quantity": back,
            "unit_price_minor": price,
            "total_minor": price * (qty - back),
        }

    def check(self, line: int, row: Row) -> None:
        """An order's number is new, and names one customer; with stock moving, the rules
        of a sale (``rules.check_sale``) hold for the rows up to here."""
        ref = row["order_ref"]
        if ref is not None:
            if ref in self.stored_refs:
                raise RowError(line, "order_ref", f"order {ref} is already stored")
            self.refs.setdefault(ref, (line, row["customer_id"]))
            first_group = self.ref_groups.setdefault(ref, row["group"])
            if first_group != row["group"]:
                first = self.refs[ref][0]
                raise RowError(
                    line, "order_ref", f"order {ref} is also another order (line {first})"
                )
        group = row["group"]
        if group is not None:
            first, buyer, its_ref, placed = self.groups.setdefault(
                group, (line, row["customer_id"], ref, row["purchased_at"])
            )
            name = f"order {group[1]}"
            if placed != row["purchased_at"]:
                raise RowError(
                    line,
                    "purchased_at",
                    f"{name} (line {first}) was placed at another time; an order's lines "
                    "share one purchased_at",
                )
            if buyer != row["customer_id"]:
                raise RowError(
                    line, "customer_email", f"{name} (line {first}) has another customer"
                )
            if its_ref != ref:
                raise RowError(line, "order_ref", f"{name} (line {first}) has another order_ref")
        if not self.move_stock:
            return
        cid, pid = row["customer_id"], row["product_id"]
        sold = self.sold.get(pid, 0) + row["quantity"] - row["returned_quantity"]
        try:
            rules.check_sale(
                cid,
                rules.Party(cid not in self.inactive_customers),
                pid,
                rules.Party(pid not in self.inactive_products, self.stock[pid]),
                sold,
            )
        except InactiveRecord as exc:
            column = "customer_email" if exc.entity == "customer" else "product_sku"
            raise RowError(line, column, f"the {exc.entity} is inactive") from None
        except InsufficientStock as exc:
            raise StockShortage(line, self.skus[pid], exc.requested, exc.available) from None
        self.sold[pid] = sold
        self.sales[pid] = self.sales.get(pid, 0) + 1

    def prepare(self, uow: UnitOfWork) -> None:
        """Refuse numbers stored since the check; take each product's units at once, with one
        "sale" movement per product (the same conditional update as a sale)."""
        conn = uow.conn
        self.days = rollups.DayTally(rollups.shop_zone(conn))
        refs = sorted(self.refs)
        for i in range(0, len(refs), REF_CHUNK):
            chunk = refs[i : i + REF_CHUNK]
            hit = conn.execute(
                select(orders.c.ref).where(orders.c.ref.in_(chunk)).limit(1)
            ).scalar()
            if hit is not None:
                raise RowError(self.refs[hit][0], "order_ref", f"order {hit} is already stored")
        for pid, units in sorted(self.sold.items()):
            if not units:  # every unit of its rows came back: nothing to take
                continue
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
                uow,
                product_id=pid,
                kind="sale",
                change=-units,
                stock_after=ledger.stock_of(conn, pid),
                at=self.now,
                note=v.note(f"{self.note}: {self.sales[pid]:,} purchases"),
            )

    def write(self, uow: UnitOfWork, batch: list[Row]) -> None:
        """Each row joins its order: the one of its ``order_number`` or else its
        ``order_ref`` (written with the first row that names it), else an order of its own."""
        new: list[Row] = []  # orders to write, in the order of their first row
        slot: list[int] = []  # for each row of the batch, its order's place in ``new``
        pending: dict[tuple[str, str], int] = {}
        groups: list[tuple[str, str] | None] = []
        for row in batch:
            ref = row.pop("order_ref")
            group = row.pop("group")
            groups.append(group)
            if group is not None and group in self.order_ids:
                row["order_id"] = self.order_ids[group]
                slot.append(-1)
                continue
            if group is not None and group in pending:
                slot.append(pending[group])
                continue
            if group is not None:
                pending[group] = len(new)
            slot.append(len(new))
            new.append(
                {"ref": ref, "customer_id": row["customer_id"], "placed_at": row["purchased_at"]}
            )
        if new:
            reserved = dialects.reserve_ids(uow.conn, orders, len(new))
            if reserved is None:
                statement = insert(orders).returning(orders.c.id, sort_by_parameter_order=True)
                ids = [int(i) for i in uow.conn.execute(statement, new).scalars()]
            else:  # ids known up front: the orders load as fast as their lines
                ids = reserved
                dialects.insert_many(
                    uow.conn, orders, [{"id": i, **o} for i, o in zip(ids, new, strict=True)]
                )
            for row, place in zip(batch, slot, strict=True):
                if place >= 0:
                    row["order_id"] = ids[place]
            for group, place in pending.items():
                self.order_ids[group] = ids[place]
        dialects.insert_many(uow.conn, purchases, batch)
        for row, group in zip(batch, groups, strict=True):
            cid, at = row["customer_id"], row["purchased_at"]
            units = row["quantity"] - row["returned_quantity"]
            back, total = row["returned_quantity"], row["total_minor"]
            self.days.line(rollups.Line(at, cid, row["product_id"], 1, units, back, total))
            self.tally.line(cid, at, units, back, total)
            if group is None:
                self.tally.order(cid, at, kept=units > 0)
            else:
                known = self.grouped.get(row["order_id"])
                self.grouped[row["order_id"]] = (cid, at, units > 0 or bool(known and known[2]))
        for order in new:
            self.days.order(order["placed_at"], 1)
        if self.days.full:
            self.days.write(uow.conn)

    def finish(self, uow: UnitOfWork) -> None:
        """The file's customers get its figures added to their rollups."""
        for cid, at, kept in self.grouped.values():
            self.tally.order(cid, at, kept=kept)
        self.tally.write(uow.conn)
        self.days.write(uow.conn)


def run(
    crm: Services,
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
    report = progress or _quiet
    crm.scope.require("transfer.import")
    name = str(source) if isinstance(source, str | os.PathLike) else getattr(source, "name", "")
    scope = crm.scope
    with _Spool() as spool:
        with scope(write=False) as uow:
            moment = uow.now() if now is None else v.utc_timestamp(now, "now")
            importer = _make(kind, uow.conn, moment, move_stock=move_stock, name=str(name))
            with read_text(source) as (text, fraction):
                for line, cells in records(text, COLUMNS[kind], OPTIONAL_COLUMNS[kind]):
                    row = _parse(importer, line, cells)
                    importer.check(line, row)
                    spool.add(row)
                    if spool.count % CHECK_REPORT_EVERY == 0:
                        report(Progress("checking", spool.count, fraction()))
        report(Progress("checking", spool.count, 1.0))
        try:
            with scope() as uow, dialects.bulk_lock(uow.conn):
                importer.prepare(uow)
                written = 0
                with dialects.bulk_load(uow.conn, importer.table, spool.count):
                    for batch in spool.batches():
                        importer.write(uow, batch)
                        written += len(batch)
                        report(Progress("writing", written, written / spool.count))
                importer.finish(uow)
                uow.audit(
                    "import",
                    ENTITY[kind],
                    None,
                    {"file": [None, Path(str(name)).name[:200] or None], "rows": [None, written]},
                )
        except Conflict as exc:
            if isinstance(exc.__cause__, IntegrityError):  # the database's own refusal
                raise Conflict(
                    f"the database changed during the import of {kind} (another user added the "
                    "same email or SKU, or removed a customer or product the file names?); "
                    "nothing was imported, try again"
                ) from exc
            raise
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
    except CRPMError as exc:  # e.g. a NotFound from a rule: still this line's fault
        raise RowError(line, None, exc.message) from None


def _quiet(_: Progress) -> None:
    pass
