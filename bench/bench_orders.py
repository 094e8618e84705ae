"""Order throughput: ``crm.orders.place`` against plain sqlite3 / psycopg, same statements.

Both sides place the same baskets (orders of 1, 5 and 20 lines over 100 products, quantities
1-3, lines in random order) in one transaction per order, with the statements the library
emits: share-lock the customer, lock the products ``FOR UPDATE`` in id order, check them,
insert the order, take each product's stock with a conditional ``UPDATE`` (``executemany`` when
there are several), insert the lines (one ``INSERT ... RETURNING id`` per line on SQLite, one
multi-row ``INSERT ... RETURNING`` on PostgreSQL), write one ledger row per line
(``executemany``), commit; the library builds the order it returns from what it wrote. SQLite:
a file in WAL mode, ``synchronous=NORMAL``, foreign keys on and ``BEGIN IMMEDIATE`` per order
(the library's pragmas). PostgreSQL: READ COMMITTED and the same ``lock_timeout``. The locking
clauses are left out on SQLite, as the library does.

Every run starts from a copy of the same database (schema made by the library, one
customer, the products); a few untimed orders warm both sides up. Each run is checked:
the lines written and the stock taken are what was asked for, and stock equals the ledger.
Then one order of ``--big-lines`` lines (distinct products) is timed on each side.

    python bench/bench_orders.py [--orders 2000] [--repeat 5] [--postgres-url URL | --no-postgres]
"""

from __future__ import annotations

import argparse
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import crpm_core
from crpm_core.persistence.dialects import normalize_url

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


def sqlite_connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None, timeout=BUSY_MILLIS / 1000)
    con.execute("PRAGMA foreign_keys=ON")
    con.execute(f"PRAGMA busy_timeout={BUSY_MILLIS}")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
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
    finally:
        con.close()
    want_lines = sum(len(b) for b in placed)
    want_units = sum(q for b in placed for _, q in b)
    total = STOCK * len(backend.product_ids)
    assert orders == len(placed), (orders, len(placed))
    assert lines == want_lines == moves, (lines, want_lines, moves)
    assert units == want_units and stock == total - want_units == ledger, (units, stock, ledger)


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
