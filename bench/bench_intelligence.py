"""Intelligence at scale: ``crm.reports.rfm`` and ``crm.reports.reorder_suggestions``
against hand-written SQL on the same database, same run.

    python bench/bench_intelligence.py                                # 100k customers, 1M purchases
    python bench/bench_intelligence.py --purchases 10000000 --backends sqlite
    python bench/bench_intelligence.py --customers 1000 --purchases 10000 --products 100
    python bench/bench_intelligence.py --purchases 10000000 --reuse --reports reorder

1. Creates the CRPM schema (``crpm_core.connect``) and fills it inside the database with one
   ``INSERT … SELECT`` per table (a recursive CTE on SQLite, ``generate_series`` on
   PostgreSQL): customers, products, orders of two lines each over two years, every 50th line
   partly returned, every 100th order cancelled. (Importing 10M rows through ``crpm import``
   is measured by bench_reports; here only the reports are.) Then the rollups the reports
   read (``customer_sales`` for rfm, ``product_sales_days`` for the reorder window) are built
   from those rows with ``rollups.rebuild``, as a migration does (timed apart). ``--reuse``
   keeps the filled database under ``--out`` (or on the server) for the next run of its size.
2. Runs ``rfm`` (every customer scored and put in a segment, as Python values) and
   ``reorder_suggestions(days=30)`` ``--repeat`` times, and the same aggregates written by
   hand on the raw rows with the raw driver (rows fetched, not turned into values), and
   prints the medians, their ratio and whether both sides agree (every customer's recency,
   frequency and money; every product's units in the window).

Goals (issue 16): rfm under 2 s at 100k customers and 10M purchases; reorder suggestions
under 200 ms at 10k products.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import bench_reports
from bench_reports import _pg_dsn, database, load_once, maintain

import crpm_core

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 86400
HASH = 2654435761  # Knuth's multiplicative hash: spreads ids without a random generator


# --------------------------------------------------------------------------- data


def fill(backend: str, url: str, customers: int, products: int, purchases: int) -> float:
    """Fill the CRPM tables of ``url``; returns the seconds it took."""
    started = time.perf_counter()
    crpm_core.connect(url).close()  # the schema, by Alembic
    orders = purchases // 2
    if backend == "sqlite":
        con = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("BEGIN")
        seq = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
        ts = (
            "strftime('%Y-%m-%d %H:%M:%S', '2026-01-01', '-' || "
            f"(({{x}} * {HASH}) % 4294967296 % {SPAN_SECONDS}) || ' seconds') || '.000000'"
        )
        con.execute(
            seq.format(n=customers)
            + "INSERT INTO customers (id, name, email, email_key, phone, active, created_at)"
            " SELECT i, 'Customer ' || i || ' O''Brien', 'c' || i || '@example.com',"
            " 'c' || i || '@example.com', NULL, 1, '2024-01-01 00:00:00.000000' FROM s"
        )
        con.execute(
            seq.format(n=products)
            + "INSERT INTO products (id, sku, name, price_minor, stock, active, created_at,"
            " reorder_point) SELECT i, 'SKU-' || i, 'Product ' || i, 50 + (i * 7919) % 20000,"
            " (i * 104729) % 400, 1, '2024-01-01 00:00:00.000000',"
            " CASE WHEN i % 3 = 0 THEN NULL ELSE (i * 31) % 40 END FROM s"
        )
        con.execute(
            seq.format(n=orders) + "INSERT INTO orders (id, customer_id, placed_at, cancelled_at)"
            f" SELECT i, 1 + ((i * {HASH}) % 4294967296) % {customers}, {ts.format(x='i')},"
            f" CASE WHEN i % 100 = 0 THEN {ts.format(x='i')} END FROM s"
        )
        con.execute(
            seq.format(n=orders * 2)
            + "INSERT INTO purchases (id, customer_id, product_id, quantity, unit_price_minor,"
            " total_minor, purchased_at, cancelled_at, order_id, returned_quantity)"
            " SELECT s.i, o.customer_id, p.id, 1 + s.i % 3, p.price_minor,"
            " (1 + s.i % 3 - CASE WHEN s.i % 50 = 0 THEN 1 ELSE 0 END) * p.price_minor,"
            " o.placed_at, o.cancelled_at, o.id, CASE WHEN s.i % 50 = 0 THEN 1 ELSE 0 END"
            f" FROM s JOIN orders o ON o.id = (s.i + 1) / 2"
            f" JOIN products p ON p.id = 1 + ((s.i * 40503) % 4294967296) % {products}"
        )
        con.execute("COMMIT")
        con.close()
    else:
        import psycopg

        ts = (
            f"timestamp '2026-01-01' - ((({{x}}::bigint * {HASH}) % 4294967296"
            f" % {SPAN_SECONDS}) * interval '1 second')"
        )
        with psycopg.connect(_pg_dsn(url)) as con:
            con.execute(
                "INSERT INTO customers (id, name, email, email_key, phone, active, created_at)"
                " SELECT i, 'Customer ' || i || ' O''Brien', 'c' || i || '@example.com',"
                " 'c' || i || '@example.com', NULL, true, timestamp '2024-01-01'"
                f" FROM generate_series(1, {customers}) i"
            )
            con.execute(
                "INSERT INTO products (id, sku, name, price_minor, stock, active, created_at,"
                " reorder_point) SELECT i, 'SKU-' || i, 'Product ' || i,"
                " 50 + (i * 7919) % 20000, (i * 104729) % 400, true, timestamp '2024-01-01',"
                " CASE WHEN i % 3 = 0 THEN NULL ELSE (i * 31) % 40 END"
                f" FROM generate_series(1, {products}) i"
            )
            con.execute(
                "INSERT INTO orders (id, customer_id, placed_at, cancelled_at)"
                f" SELECT i, 1 + ((i::bigint * {HASH}) % 4294967296) % {customers},"
                f" {ts.format(x='i')}, CASE WHEN i % 100 = 0 THEN {ts.format(x='i')} END"
                f" FROM generate_series(1, {orders}) i"
            )
            con.execute(
                "INSERT INTO purchases (id, customer_id, product_id, quantity, unit_price_minor,"
                " total_minor, purchased_at, cancelled_at, order_id, returned_quantity)"
                " SELECT s.i, o.customer_id, p.id, 1 + s.i % 3, p.price_minor,"
                " (1 + s.i % 3 - CASE WHEN s.i % 50 = 0 THEN 1 ELSE 0 END) * p.price_minor,"
                " o.placed_at, o.cancelled_at, o.id, CASE WHEN s.i % 50 = 0 THEN 1 ELSE 0 END"
                f" FROM generate_series(1, {orders * 2}) s(i)"
                " JOIN orders o ON o.id = (s.i + 1) / 2"
                f" JOIN products p ON p.id = 1 + ((s.i::bigint * 40503) % 4294967296) % {products}"
            )
            for table in ("customers", "products", "orders", "purchases"):
                con.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
            con.commit()
    maintain(backend, url)
    return time.perf_counter() - started


def build_rollups(backend: str, url: str) -> float:
    """The rollups of the rows :func:`fill` wrote, as a migration builds them."""
    from zoneinfo import ZoneInfo

    from crpm_core.persistence.dialects import make_engine
    from crpm_core.services import rollups

    started = time.perf_counter()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            rollups.rebuild(conn, ZoneInfo("UTC"))
    finally:
        engine.dispose()
    maintain(backend, url)
    return time.perf_counter() - started


# --------------------------------------------------------------------------- hand SQL

RFM_SQL = """
WITH totals AS (
  SELECT customer_id, SUM(total_minor) AS monetary,
         COUNT(DISTINCT CASE WHEN quantity > returned_quantity THEN order_id END) AS frequency,
         MAX(CASE WHEN quantity > returned_quantity THEN purchased_at END) AS last
  FROM purchases WHERE cancelled_at IS NULL AND purchased_at < {as_of}
  GROUP BY customer_id HAVING SUM(total_minor) > 0
), scored AS (
  SELECT customer_id, monetary, frequency, {days} AS recency_days FROM totals
)
SELECT s.customer_id, c.name, s.recency_days, s.frequency, s.monetary,
       RANK() OVER (ORDER BY s.recency_days DESC) AS r_rank,
       RANK() OVER (ORDER BY s.frequency) AS f_rank,
       RANK() OVER (ORDER BY s.monetary) AS m_rank,
       COUNT(*) OVER () AS n
FROM scored s JOIN customers c ON c.id = s.customer_id
ORDER BY s.customer_id
"""

REORDER_SQL = """
SELECT p.id, p.name, p.stock,
       COALESCE(p.reorder_point, (SELECT low_stock_default FROM settings), 5) AS point,
       COALESCE(sold.units, 0) AS units
FROM products p
LEFT JOIN (
  SELECT product_id, SUM(quantity - returned_quantity) AS units FROM purchases
  WHERE cancelled_at IS NULL AND purchased_at >= {start} AND purchased_at < {end}
  GROUP BY product_id
) sold ON sold.product_id = p.id
WHERE p.active
"""


def hand_queries(backend: str) -> tuple[str, str]:
    if backend == "sqlite":
        as_of = "'2026-01-01 00:00:00.000000'"
        days = (
            "CAST(julianday(date(" + as_of + ")) - julianday(date(last)) AS INTEGER)"
            " - CASE WHEN substr(last, 12) > substr(" + as_of + ", 12) THEN 1 ELSE 0 END"
        )
        start, end = "'2025-12-02 00:00:00.000000'", as_of
    else:
        as_of = "timestamp '2026-01-01'"
        days = (
            f"CAST({as_of} AS date) - CAST(last AS date)"
            f" - CASE WHEN CAST(last AS time) > CAST({as_of} AS time) THEN 1 ELSE 0 END"
        )
        start, end = "timestamp '2025-12-02'", as_of
    return RFM_SQL.format(as_of=as_of, days=days), REORDER_SQL.format(start=start, end=end)


def hand_connection(backend: str, url: str) -> Any:
    """One raw driver connection, kept for every hand-written query (as the library keeps
    its pool)."""
    if backend == "sqlite":
        return sqlite3.connect(url.removeprefix("sqlite:///"))
    import psycopg

    return psycopg.connect(_pg_dsn(url), autocommit=True)


def run_hand(con: Any, sql: str) -> list[Any]:
    return list(con.execute(sql).fetchall())


# --------------------------------------------------------------------------- timing


def median_seconds(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def bench(backend: str, args: argparse.Namespace, out: Path) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    tag = f"intel_{args.customers}_{args.products}_{args.purchases}"
    with database(backend, out, tag) as url:
        loaded = load_once(
            out,
            backend,
            tag,
            lambda: fill(backend, url, args.customers, args.products, args.purchases),
        )
        print(f"{backend}: filled in {loaded:.1f} s", flush=True)
        built = load_once(out, backend, tag + "_rollups", lambda: build_rollups(backend, url))
        print(f"{backend}: rollups built in {built:.1f} s", flush=True)
        crm = crpm_core.connect(url)
        hand = hand_connection(backend, url)
        rfm_sql, reorder_sql = hand_queries(backend)
        try:
            if "rfm" in args.reports:
                lib_s, segments = median_seconds(lambda: crm.reports.rfm(as_of=AS_OF), args.repeat)
                hand_s, raw = median_seconds(lambda: run_hand(hand, rfm_sql), args.repeat)
                equal = [
                    (s.customer_id, s.recency_days, s.frequency, int(s.monetary * 100))
                    for s in segments
                ] == [(int(r[0]), int(r[2]), int(r[3]), int(r[4])) for r in raw]
                rows.append(("rfm", f"{len(segments):,} customers", lib_s, hand_s, equal))
            if "reorder" in args.reports:
                lib_r, suggestions = median_seconds(
                    lambda: crm.reports.reorder_suggestions(days=30, as_of=AS_OF), args.repeat
                )
                hand_r, raw_r = median_seconds(lambda: run_hand(hand, reorder_sql), args.repeat)
                equal_r = sorted(
                    (s.product_id, s.daily_velocity * 30) for s in suggestions
                ) == sorted((int(r[0]), int(r[4])) for r in raw_r)
                size = f"{len(suggestions):,} products"
                rows.append(("reorder_suggestions", size, lib_r, hand_r, equal_r))
            print(f"{backend}: load average {os.getloadavg()[0]:.1f} after the runs", flush=True)
        finally:
            hand.close()
            crm.close()
    return [
        (backend, what, size, f"{lib * 1000:,.0f}", f"{hand * 1000:,.0f}", f"{lib / hand:.2f}x",
         "yes" if same else "NO")
        for what, size, lib, hand, same in rows
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--reports", default="rfm,reorder", help="which to time: rfm, reorder or both"
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/crpm-bench"))
    parser.add_argument(
        "--reuse", action="store_true", help="keep the filled database and reuse it next time"
    )
    args = parser.parse_args()
    bench_reports.REUSE = args.reuse
    args.out.mkdir(parents=True, exist_ok=True)
    print(
        f"{platform.machine()}, {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
        f"{args.customers:,} customers, {args.products:,} products, "
        f"{args.purchases:,} purchases, median of {args.repeat}"
    )
    table = []
    for backend in args.backends.split(","):
        table += bench(backend.strip(), args, args.out)
    print("\n| backend | report | size | crpm_core ms | hand SQL ms | ratio | same rows |")
    print("|---|---|---|---:|---:|---:|---|")
    for row in table:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
