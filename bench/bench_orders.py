"""Order throughput: ``crm.orders.place`` against plain sqlite3 / psycopg, same statements.

Both sides place the same baskets (orders of 1, 5 and 20 lines over 100 products, quantities
1-3, lines in random order) in one transaction per order, with the statements the library
emits: share-lock the customer, lock the products ``FOR UPDATE`` in id order, check them,
insert the order, take each product's stock with a conditional ``UPDATE`` (``executemany`` when
there are several), insert the lines (one ``INSERT ... RETURNING id`` per line on SQLite, one
multi-row ``INSERT ... RETURNING`` on PostgreSQL), write one ledger row per line
(``executemany``), then the rollups (read the shop's time zone, share-locked on PostgreSQL;
one ``INSERT ... ON CONFLICT DO UPDATE`` upsert each into ``sales_days``, ``product_sales_days``,
``product_sales_months`` and ``product_sales`` (``executemany`` for several products) and
``customer_sales``), the audit
row, commit; the library builds the order it returns from what it wrote. SQLite:
a file in WAL mode, ``synchronous=NORMAL``, foreign keys on and ``BEGIN IMMEDIATE`` per order
(the library's pragmas). PostgreSQL: READ COMMITTED and the same ``lock_timeout``. The locking
clauses are left out on SQLite, as the library does; on SQLite the rollups' money is added with
the library's ``crpm_add`` (exact beyond 64 bits), registered on the plain connection too.

Every run starts from a copy of the same database (schema made by the library, one
customer, the products); a few untimed orders warm both sides up. Each run is checked:
the lines written and the stock taken are what was asked for, stock equals the ledger, and
the rollups hold the lines' figures.
Then one order of ``--big-lines`` lines (distinct products) is timed on each side.

    python bench/bench_orders.py [--orders 2000] [--repeat 5] [--postgres-url URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import crpm_core
from crpm_core.domain import calendar
from crpm_core.persistence.dialects import normalize_url
from crpm_core.persistence.dialects.sqlite_functions import register as register_sqlite_functions

PG_ADMIN = os.environ.get(
    "CRPM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BASKET_PRODUCTS = 100  # the baskets of the throughput runs draw from these
STOCK = 1_000_000
WARMUP = 5
BUSY_MILLIS = 60_000  # the library's default busy timeout / lock_timeout

Basket = list[tuple[int, int]]


# --------------------------------------------------------------------------- the work


def baskets(seed: int, n: int, size: int, product_ids: Sequence[int]) -> list[Basket]:
    """``n`` orders of ``size`` distinct products, quantities 1-3, in random line order."""
    rng = random.Random(seed)
    pool = list(product_ids[:BASKET_PRODUCTS])
    return [[(pid, rng.randint(1, 3)) for pid in rng.sample(pool, size)] for _ in range(n)]


def big_basket(product_ids: Sequence[int], size: int) -> Basket:
    rng = random.Random(size)
    ids = list(product_ids[:size])
    rng.shuffle(ids)
    return [(pid, 1) for pid in ids]


def _totals(lines: Basket) -> dict[int, int]:
    totals: dict[int, int] = {}
    for pid, qty in lines:
        totals[pid] = totals.get(pid, 0) + qty
    return totals


def _check(cid_active: Any, found: dict[int, Any], totals: dict[int, int]) -> None:
    # The same refusals as rules.check_order; the bench never trips them.
    if cid_active is None or not cid_active[0]:
        raise RuntimeError("customer missing or inactive")
    for pid, units in totals.items():
        row = found.get(pid)
        if row is None or not row[1] or row[2] < units:
            raise RuntimeError(f"product {pid} missing, inactive or short")


# SQLite: the statements SQLAlchemy renders for the library (see services/orders.py).
SQ_CUSTOMER = "SELECT customers.active FROM customers WHERE customers.id = ?"
SQ_PRODUCT = (
    "SELECT products.id, products.active, products.stock, products.price_minor"
    " FROM products WHERE products.id = ?"
)
SQ_PRODUCTS = (
    "SELECT products.id, products.active, products.stock, products.price_minor"
    " FROM products WHERE products.id IN ({}) ORDER BY products.id"
)
SQ_ORDER = "INSERT INTO orders (ref, customer_id, placed_at, note) VALUES (?, ?, ?, ?)"
SQ_TAKE = (
    "UPDATE products SET stock=(products.stock - ?) WHERE products.id = ?"
    " AND products.active = 1 AND products.stock >= ?"
)
SQ_LINE = (
    "INSERT INTO purchases (customer_id, product_id, quantity, unit_price_minor, total_minor,"
    " purchased_at, order_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
SQ_MOVE = (
    "INSERT INTO stock_movements (product_id, at, kind, change, stock_after, note,"
    " purchase_id, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _upsert(
    table: str, keys: Sequence[str], added: Sequence[str], *, ph: str, add: str, times: str = ""
) -> str:
    """The rollups' upsert as SQLAlchemy renders it (rollup_sql.upsert_add): add every
    figure; ``times`` holds the earliest/latest CASEs of customer_sales."""
    columns = [*keys, *added]
    values = ", ".join(ph.format(c) for c in columns)
    sets = ", ".join(
        f"{c} = {add.format(old=f'{table}.{c}', new=f'excluded.{c}')}"
        if c == "revenue_minor"
        else f"{c} = ({table}.{c} + excluded.{c})"
        for c in added
        if not c.endswith("_at")
    )
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"
        f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}{times}"
    )


def _keep(column: str, cmp: str) -> str:
    t, e = f"customer_sales.{column}", f"excluded.{column}"
    return (
        f", {column} = CASE WHEN ({t} IS NULL) THEN {e} WHEN ({e} IS NULL) THEN {t}"
        f" WHEN ({e} {cmp} {t}) THEN {e} ELSE {t} END"
    )


FIGURES = ("lines", "units", "returned", "revenue_minor")
CUSTOMER_FIGURES = (*FIGURES, "orders", "kept_orders", "first_at", "last_at", "last_kept_at")
KEEP_TIMES = _keep("first_at", "<") + _keep("last_at", ">") + _keep("last_kept_at", ">")


def rollup_statements(ph: str, add: str) -> dict[str, str]:
    return {
        "days": _upsert("sales_days", ["day"], [*FIGURES, "orders"], ph=ph, add=add),
        "product_days": _upsert(
            "product_sales_days", ["day", "product_id"], FIGURES, ph=ph, add=add
        ),
        "product_months": _upsert(
            "product_sales_months", ["month", "product_id"], FIGURES, ph=ph, add=add
        ),
        "products": _upsert("product_sales", ["product_id"], FIGURES, ph=ph, add=add),
        "customer": _upsert(
            "customer_sales", ["customer_id"], CUSTOMER_FIGURES, ph=ph, add=add, times=KEEP_TIMES
        ),
    }


SQ_ZONE = "SELECT settings.timezone FROM settings WHERE settings.id = ?"
SQ_ROLLUP = rollup_statements("?", "crpm_add({old}, {new})")
SQ_AUDIT = (
    "INSERT INTO audit_log (at, actor, action, entity, entity_id, changes)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


def rollup_rows(
    day: date, at: Any, cid: int, lines: Basket, prices: dict[int, int]
) -> tuple[
    tuple[Any, ...],
    list[tuple[Any, ...]],
    list[tuple[Any, ...]],
    list[tuple[Any, ...]],
    tuple[Any, ...],
]:
    """What rollups.add writes for one new order: its day, its products (per day, per month
    and all time, in product order) and its customer."""
    per: dict[int, list[int]] = {}
    for pid, qty in lines:
        row = per.setdefault(pid, [0, 0, 0])
        row[0] += 1
        row[1] += qty
        row[2] += prices[pid] * qty
    n, units, revenue = len(lines), sum(r[1] for r in per.values()), sum(r[2] for r in per.values())
    product_days = [(day, pid, r[0], r[1], 0, r[2]) for pid, r in sorted(per.items())]
    month = day[:8] + "01" if isinstance(day, str) else day.replace(day=1)
    product_months = [(month, *row[1:]) for row in product_days]
    products = [(pid, r[0], r[1], 0, r[2]) for pid, r in sorted(per.items())]
    return (
        (day, n, units, 0, revenue, 1),
        product_days,
        product_months,
        products,
        (cid, n, units, 0, revenue, 1, 1, at, at, at),
    )


def audit_changes(order_id: int, cid: int, lines: Basket, ids: Sequence[int], at: datetime,
                  prices: dict[int, int]) -> str:  # fmt: skip
    """The audit row's JSON, as services/orders.audited and the audit trail write it."""
    total = sum(prices[pid] * q for pid, q in lines)
    return json.dumps(
        {
            "customer_id": [None, cid],
            "lines": [
                None,
                [
                    [i, pid, q, f"{prices[pid] / 100:.2f}"]
                    for i, (pid, q) in zip(ids, lines, strict=True)
                ],
            ],
            "note": [None, None],
            "placed_at": [None, at.replace(tzinfo=UTC).isoformat()],
            "ref": [None, None],
            "total": [None, f"{total / 100:.2f}"],
        },
        sort_keys=True,
    )


def sqlite_connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None, timeout=BUSY_MILLIS / 1000)
    con.execute("PRAGMA foreign_keys=ON")
    con.execute(f"PRAGMA busy_timeout={BUSY_MILLIS}")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    register_sqlite_functions(con)
    return con


def sqlite_order(con: sqlite3.Connection, cid: int, lines: Basket) -> None:
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    totals = _totals(lines)
    con.execute("BEGIN IMMEDIATE")
    try:
        buyer = con.execute(SQ_CUSTOMER, (cid,)).fetchone()
        if len(totals) == 1:
            rows = con.execute(SQ_PRODUCT, (next(iter(totals)),)).fetchall()
        else:
            ids = sorted(totals)
            rows = con.execute(SQ_PRODUCTS.format(", ".join("?" * len(ids))), ids).fetchall()
        found = {r[0]: r for r in rows}
        _check(buyer, found, totals)
        order_id = con.execute(SQ_ORDER, (None, cid, now, None)).lastrowid
        takes = [(totals[pid], pid, totals[pid]) for pid in sorted(totals)]
        if len(takes) == 1:
            taken = con.execute(SQ_TAKE, takes[0]).rowcount
        else:
            taken = con.executemany(SQ_TAKE, takes).rowcount
        if taken != len(takes):
            raise RuntimeError("stock changed")
        rows_in = [
            (cid, pid, q, found[pid][3], found[pid][3] * q, now, order_id) for pid, q in lines
        ]
        if len(rows_in) == 1:
            line_ids = [con.execute(SQ_LINE, rows_in[0]).lastrowid]
        else:
            returning = SQ_LINE + " RETURNING id"
            line_ids = [con.execute(returning, r).fetchone()[0] for r in rows_in]
        left = {pid: found[pid][2] for pid in totals}
        moves = []
        for (pid, qty), line_id in zip(lines, line_ids, strict=True):
            left[pid] -= qty
            moves.append((pid, now, "sale", -qty, left[pid], None, line_id, "system"))
        if len(moves) == 1:
            con.execute(SQ_MOVE, moves[0])
        else:
            con.executemany(SQ_MOVE, moves)
        zone = (con.execute(SQ_ZONE, (1,)).fetchone() or (None,))[0]  # no row: the default
        at = datetime.fromisoformat(now).replace(tzinfo=UTC)
        day = calendar.local_day(at, calendar.zone(zone or "UTC")).isoformat()
        prices = {pid: found[pid][3] for pid in totals}
        d, pd, pm, pp, c = rollup_rows(day, now, cid, lines, prices)
        con.execute(SQ_ROLLUP["days"], d)
        if len(pd) == 1:
            con.execute(SQ_ROLLUP["product_days"], pd[0])
            con.execute(SQ_ROLLUP["product_months"], pm[0])
            con.execute(SQ_ROLLUP["products"], pp[0])
        else:
            con.executemany(SQ_ROLLUP["product_days"], pd)
            con.executemany(SQ_ROLLUP["product_months"], pm)
            con.executemany(SQ_ROLLUP["products"], pp)
        con.execute(SQ_ROLLUP["customer"], c)
        changes = audit_changes(order_id, cid, lines, line_ids, at, prices)
        stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        con.execute(SQ_AUDIT, (stamp, "system", "place", "order", order_id, changes))
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


# PostgreSQL: the same, with the locking clauses and psycopg's placeholders.
PG_CUSTOMER = SQ_CUSTOMER.replace("?", "%s") + " FOR SHARE"
PG_PRODUCT = SQ_PRODUCT.replace("?", "%s") + " FOR UPDATE"
PG_PRODUCTS = SQ_PRODUCTS + " FOR UPDATE"
PG_ORDER = SQ_ORDER.replace("?", "%s") + " RETURNING orders.id"
PG_TAKE = (
    "UPDATE products SET stock=(products.stock - %s) WHERE products.id = %s"
    " AND products.active AND products.stock >= %s"
)
PG_LINE = SQ_LINE.replace("?", "%s") + " RETURNING purchases.id"
# Several lines: one statement, ids returned in the order of the rows given (SQLAlchemy's
# "insertmanyvalues" form with a sentinel counter, which is what the library sends).
PG_LINES = (
    "INSERT INTO purchases (customer_id, product_id, quantity, unit_price_minor, total_minor,"
    " purchased_at, order_id) SELECT p0, p1, p2, p3, p4, p5, p6 FROM (VALUES {})"
    " AS imp_sen(p0, p1, p2, p3, p4, p5, p6, sen_counter) ORDER BY sen_counter"
    " RETURNING purchases.id"
)
PG_LINES_ROW = (
    "(%s::BIGINT, %s::BIGINT, %s::INTEGER, %s::BIGINT, %s::BIGINT,"
    " %s::TIMESTAMP WITHOUT TIME ZONE, %s::BIGINT, {})"
)
PG_MOVE = SQ_MOVE.replace("?", "%s")
PG_ZONE = SQ_ZONE.replace("?", "%s") + " FOR SHARE"
PG_ROLLUP = rollup_statements("%s", "({old} + {new})")
PG_AUDIT = SQ_AUDIT.replace("?", "%s") + " RETURNING audit_log.id"


def pg_connect(dsn: str) -> Any:
    import psycopg

    con = psycopg.connect(dsn, options=f"-c lock_timeout={BUSY_MILLIS}")
    con.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
    return con


def pg_order(con: Any, cid: int, lines: Basket) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    totals = _totals(lines)
    try:
        cur = con.cursor()
        buyer = cur.execute(PG_CUSTOMER, (cid,)).fetchone()
        if len(totals) == 1:
            rows = cur.execute(PG_PRODUCT, (next(iter(totals)),)).fetchall()
        else:
            ids = sorted(totals)
            rows = cur.execute(PG_PRODUCTS.format(", ".join(["%s"] * len(ids))), ids).fetchall()
        found = {r[0]: r for r in rows}
        _check(buyer, found, totals)
        (order_id,) = cur.execute(PG_ORDER, (None, cid, now, None)).fetchone()
        takes = [(totals[pid], pid, totals[pid]) for pid in sorted(totals)]
        if len(takes) == 1:
            taken = cur.execute(PG_TAKE, takes[0]).rowcount
        else:
            cur.executemany(PG_TAKE, takes)
            taken = cur.rowcount
        if taken != len(takes):
            raise RuntimeError("stock changed")
        rows_in = [
            (cid, pid, q, found[pid][3], found[pid][3] * q, now, order_id) for pid, q in lines
        ]
        if len(rows_in) == 1:
            line_ids = [cur.execute(PG_LINE, rows_in[0]).fetchone()[0]]
        else:
            values = ", ".join(PG_LINES_ROW.format(i) for i in range(len(rows_in)))
            flat = [x for r in rows_in for x in r]
            line_ids = [r[0] for r in cur.execute(PG_LINES.format(values), flat).fetchall()]
        left = {pid: found[pid][2] for pid in totals}
        moves = []
        for (pid, qty), line_id in zip(lines, line_ids, strict=True):
            left[pid] -= qty
            moves.append((pid, now, "sale", -qty, left[pid], None, line_id, "system"))
        if len(moves) == 1:
            cur.execute(PG_MOVE + " RETURNING stock_movements.id", moves[0]).fetchone()
        else:
            cur.executemany(PG_MOVE, moves)
        zone = (cur.execute(PG_ZONE, (1,)).fetchone() or (None,))[0]
        day = calendar.local_day(now.replace(tzinfo=UTC), calendar.zone(zone or "UTC"))
        prices = {pid: found[pid][3] for pid in totals}
        d, pd, pm, pp, c = rollup_rows(day, now, cid, lines, prices)
        cur.execute(PG_ROLLUP["days"], d)
        if len(pd) == 1:
            cur.execute(PG_ROLLUP["product_days"], pd[0])
            cur.execute(PG_ROLLUP["product_months"], pm[0])
            cur.execute(PG_ROLLUP["products"], pp[0])
        else:
            cur.executemany(PG_ROLLUP["product_days"], pd)
            cur.executemany(PG_ROLLUP["product_months"], pm)
            cur.executemany(PG_ROLLUP["products"], pp)
        cur.execute(PG_ROLLUP["customer"], c)
        changes = audit_changes(order_id, cid, lines, line_ids, now, prices)
        stamp = datetime.now(UTC).replace(tzinfo=None)
        cur.execute(PG_AUDIT, (stamp, "system", "place", "order", order_id, changes)).fetchone()
    except BaseException:
        con.rollback()
        raise
    con.commit()


# --------------------------------------------------------------------------- databases


@dataclass
class Backend:
    """A prepared database (schema, one customer, the products) and fresh copies of it."""

    name: str
    customer_id: int
    product_ids: list[int]
    copy: Callable[[str], Any]  # a context manager yielding a library URL
    raw_connect: Callable[[str], Any]
    raw_order: Callable[[Any, int, Basket], None]


def _populate(url: str, n_products: int) -> tuple[int, list[int]]:
    with crpm_core.connect(url) as crm:
        cid = crm.customers.add(name="Bench", email="bench@example.com").id
        pids = [
            crm.products.add(name=f"Product {i}", price=f"{1 + i % 50}.99", stock=STOCK).id
            for i in range(n_products)
        ]
    return cid, pids


@contextmanager
def sqlite_backend(tmp: Path, n_products: int) -> Iterator[Backend]:
    template = tmp / "template.db"
    cid, pids = _populate(f"sqlite:///{template}", n_products)
    con = sqlite3.connect(template)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()

    @contextmanager
    def copy(tag: str) -> Iterator[str]:
        path = tmp / f"{tag}.db"
        shutil.copyfile(template, path)
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    def raw_connect(url: str) -> sqlite3.Connection:
        return sqlite_connect(Path(url.removeprefix("sqlite:///")))

    yield Backend("SQLite", cid, pids, copy, raw_connect, sqlite_order)


@contextmanager
def postgres_backend(admin_url: str, n_products: int) -> Iterator[Backend]:
    from sqlalchemy import create_engine, text

    admin_u = normalize_url(admin_url)
    admin = create_engine(admin_u, isolation_level="AUTOCOMMIT")
    stem = f"crpm_bench_orders_{uuid.uuid4().hex[:8]}"
    made: list[str] = []

    def sql(statement: str) -> None:
        with admin.connect() as conn:
            conn.execute(text(statement))

    def url_of(name: str) -> str:
        return admin_u.set(database=name).render_as_string(hide_password=False)

    try:
        template = f"{stem}_template"
        sql(f"CREATE DATABASE {template} ENCODING 'UTF8' TEMPLATE template0")
        made.append(template)
        cid, pids = _populate(url_of(template), n_products)

        @contextmanager
        def copy(tag: str) -> Iterator[str]:
            name = f"{stem}_{tag}"
            sql(f"CREATE DATABASE {name} TEMPLATE {template}")
            try:
                yield url_of(name)
            finally:
                sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

        def raw_connect(url: str) -> Any:
            return pg_connect(url.replace("postgresql+psycopg://", "postgresql://"))

        yield Backend("PostgreSQL", cid, pids, copy, raw_connect, pg_order)
    finally:
        for name in made:
            sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def verify(backend: Backend, url: str, placed: Sequence[Basket]) -> None:
    """The run did all its work: every line written, the stock taken, stock = ledger."""
    con = backend.raw_connect(url)
    try:
        lines, units = con.execute(
            "SELECT COUNT(*), COALESCE(SUM(quantity), 0) FROM purchases"
        ).fetchone()
        (orders,) = con.execute("SELECT COUNT(*) FROM orders").fetchone()
        (stock,) = con.execute("SELECT SUM(stock) FROM products").fetchone()
        (ledger,) = con.execute("SELECT SUM(change) FROM stock_movements").fetchone()
        (moves,) = con.execute(
            "SELECT COUNT(*) FROM stock_movements WHERE kind = 'sale'"
        ).fetchone()
        rolled = [
            tuple(int(x) for x in con.execute(sql).fetchone())
            for sql in (
                "SELECT SUM(lines), SUM(units), SUM(orders) FROM sales_days",
                "SELECT SUM(lines), SUM(units), COUNT(*) FROM product_sales_days",
                "SELECT SUM(lines), SUM(units), COUNT(*) FROM product_sales",
                "SELECT SUM(lines), SUM(units), SUM(orders) FROM customer_sales",
                "SELECT SUM(lines), SUM(units), COUNT(*) FROM product_sales_months",
            )
        ]
        (audits,) = con.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'place'").fetchone()
    finally:
        con.close()
    want_lines = sum(len(b) for b in placed)
    want_units = sum(q for b in placed for _, q in b)
    total = STOCK * len(backend.product_ids)
    assert orders == len(placed), (orders, len(placed))
    assert lines == want_lines == moves, (lines, want_lines, moves)
    assert units == want_units and stock == total - want_units == ledger, (units, stock, ledger)
    assert rolled[0] == (want_lines, want_units, len(placed)) == rolled[3], rolled
    assert rolled[1][:2] == rolled[2][:2] == rolled[4][:2] == (want_lines, want_units), rolled
    assert audits == len(placed), (audits, len(placed))


# --------------------------------------------------------------------------- runs


CHUNK = 50  # orders each side places in turn: raw, library, raw, library, ...


@contextmanager
def sides(backend: Backend, tag: str) -> Iterator[tuple[Callable[[Basket], None], ...]]:
    """Two fresh copies of the database, one placing orders through ``crm.orders.place``
    and one with the driver and the same statements; each checked with :func:`verify`."""
    cid = backend.customer_id
    raw_done: list[Basket] = []
    lib_done: list[Basket] = []
    with backend.copy(f"raw_{tag}") as raw_url, backend.copy(f"lib_{tag}") as lib_url:
        con = backend.raw_connect(raw_url)
        try:
            with crpm_core.connect(lib_url) as crm:

                def raw(lines: Basket) -> None:
                    backend.raw_order(con, cid, lines)
                    raw_done.append(lines)

                def lib(lines: Basket) -> None:
                    crm.orders.place(customer_id=cid, lines=lines)
                    lib_done.append(lines)

                yield raw, lib
        finally:
            con.close()
        verify(backend, raw_url, raw_done)
        verify(backend, lib_url, lib_done)


def timed(place: Callable[[Basket], None], orders: Sequence[Basket]) -> list[float]:
    times = []
    for lines in orders:
        started = time.perf_counter()
        place(lines)
        times.append(time.perf_counter() - started)
    return times


@dataclass
class Result:
    backend: str
    lines: int
    lib: float  # seconds per order (median over the runs)
    raw: float
    ratio: float  # median over the runs of each run's library time / plain time


def throughput(backend: Backend, size: int, n: int, repeat: int) -> Result:
    """``repeat`` runs of ``n`` orders per side; within a run the two sides take turns,
    ``CHUNK`` orders each, so a change in the machine's load hits both alike."""
    lib, raw = [], []
    for r in range(repeat):
        warm = baskets(10_000 + 100 * size + r, WARMUP, size, backend.product_ids)
        orders = baskets(100 * size + r, n, size, backend.product_ids)
        with sides(backend, f"{size}_{r}") as (raw_place, lib_place):
            for lines in warm:
                raw_place(lines)
                lib_place(lines)
            raw_t = lib_t = 0.0
            for i in range(0, n, CHUNK):
                raw_t += sum(timed(raw_place, orders[i : i + CHUNK]))
                lib_t += sum(timed(lib_place, orders[i : i + CHUNK]))
            raw.append(raw_t / n)
            lib.append(lib_t / n)
    return Result(
        backend.name,
        size,
        statistics.median(lib),
        statistics.median(raw),
        statistics.median(a / b for a, b in zip(lib, raw, strict=True)),
    )


def big_order(backend: Backend, size: int, repeat: int) -> Result:
    """One order of ``size`` distinct products, placed ``repeat`` times by each side in turn."""
    lines = big_basket(backend.product_ids, size)
    warm = baskets(7, WARMUP, 5, backend.product_ids)
    lib, raw = [], []
    with sides(backend, "big") as (raw_place, lib_place):
        for small in warm:
            raw_place(small)
            lib_place(small)
        for _ in range(repeat):
            raw += timed(raw_place, [lines])
            lib += timed(lib_place, [lines])
    return Result(
        backend.name,
        size,
        statistics.median(lib),
        statistics.median(raw),
        statistics.median(a / b for a, b in zip(lib, raw, strict=True)),
    )


# --------------------------------------------------------------------------- report


def machine_line(pg_version: str | None) -> str:
    parts = [
        f"machine: {platform.machine()}, {os.cpu_count()} cores",
        f"Python {platform.python_version()}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    if pg_version:
        parts.append(f"PostgreSQL {pg_version}")
    return ", ".join(parts)


def pg_server_version(admin_url: str) -> str:
    import psycopg

    dsn = normalize_url(admin_url).render_as_string(hide_password=False)
    with psycopg.connect(dsn.replace("postgresql+psycopg://", "postgresql://")) as con:
        return str(con.execute("SHOW server_version").fetchone()[0]).split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000, help="timed orders per size and run")
    parser.add_argument("--repeat", type=int, default=5, help="runs per size and side (median)")
    parser.add_argument("--sizes", default="1,5,20", help="lines per order, comma-separated")
    parser.add_argument("--big-lines", type=int, default=1000, help="lines of the big order")
    parser.add_argument("--big-repeat", type=int, default=5, help="times the big order is placed")
    parser.add_argument("--postgres-url", default=PG_ADMIN, help="admin URL of the server")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    n_products = max(BASKET_PRODUCTS, args.big_lines, *sizes)

    pg_version = None if args.no_postgres else pg_server_version(args.postgres_url)
    results: list[Result] = []
    bigs: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp, sqlite_backend(Path(tmp), n_products) as backend:
        results += [throughput(backend, s, args.orders, args.repeat) for s in sizes]
        bigs.append(big_order(backend, args.big_lines, args.big_repeat))
    if not args.no_postgres:
        with postgres_backend(args.postgres_url, n_products) as backend:
            results += [throughput(backend, s, args.orders, args.repeat) for s in sizes]
            bigs.append(big_order(backend, args.big_lines, args.big_repeat))

    print(machine_line(pg_version))
    print(
        f"{args.orders} orders per size, median of {args.repeat} runs, one transaction per order;"
        f" a {args.big_lines:,}-line order placed {args.big_repeat} times (median)"
    )
    print()
    print("| backend | lines/order | crpm_core orders/s | plain orders/s |", end=" ")
    print("crpm_core ms/order | plain ms/order | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.backend} | {r.lines} | {1 / r.lib:,.0f} | {1 / r.raw:,.0f} |", end=" ")
        print(f"{r.lib * 1e3:.2f} | {r.raw * 1e3:.2f} | {r.ratio:.2f}x |")
    print()
    print(f"| backend | {args.big_lines:,}-line order | crpm_core s | plain s | ratio |")
    print("|---|---|---:|---:|---:|")
    for r in bigs:
        print(f"| {r.backend} | {r.lines:,} lines | {r.lib:.3f} | {r.raw:.3f} | {r.ratio:.2f}x |")
    print()
    for r in results:
        if r.lines == 5:
            verdict = "met" if r.ratio <= 3 else "NOT met"
            print(f"goal: 5-line order within 3x of plain SQL on {r.backend}: {verdict}", end=" ")
            print(f"({r.ratio:.2f}x)")
    for r in bigs:
        if r.backend == "SQLite":
            verdict = "met" if r.lib < 1 else "NOT met"
            print(f"goal: {r.lines:,}-line order under 1 s on SQLite: {verdict} ({r.lib:.3f} s)")


if __name__ == "__main__":
    main()
