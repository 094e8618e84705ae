"""Reports at scale: crpm_core against hand-written SQL on a lean schema, same data, same run.

    python bench/bench_reports.py                       # 1,000,000 purchases, SQLite and PostgreSQL
    python bench/bench_reports.py --purchases 100000 --backends sqlite
    python bench/bench_reports.py --purchases 10000000 --reuse --repeat 3
    python bench/bench_reports.py --chart docs/screenshots/report-times.png

The library reads its rollups (``sales_days``, ``product_sales_days``, ``product_sales``,
``customer_sales``, kept by every sale and by the import) and the raw rows only for the
partial days at a range's edges; the hand-written side aggregates the raw rows (with covering
indexes), so the ratio shows what the rollups buy at each size.

1. Generates N purchases (default 1,000,000 over 10,000 customers and 1,000 products, two
   years, skewed popularity) as CSV files.
2. Imports them with ``crpm import`` (timed) into a fresh database, and loads the same rows
   with plain sqlite3 / psycopg COPY into a lean hand-made schema with covering indexes (timed).
3. In a separate process (so its peak memory is the reporting's own), runs every report on
   both sides ``--repeat`` times and prints the median times, their ratio, whether the results
   are equal, and the process's peak RSS.

Each run writes its figures to ``--out``/results-BACKEND-N.json; ``--chart PNG`` draws the
report times of every cached result (needs matplotlib) and runs nothing. ``--reuse`` keeps
the two databases of a size (SQLite files under ``--out``, PostgreSQL databases named by
size) and their load times, and reuses them on the next run of that size.

Targets (issues 15 and 16): at 10M purchases every report the dashboard and analytics use
answers in under 100 ms with results equal to the hand-written SQL, and no slower than at 1M;
peak memory of the reporting process under 150 MB; the import within 3x of the raw load.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import crpm_core

T_END = datetime(2026, 1, 1, tzinfo=UTC)
KEEP = False  # --keep leaves the databases for a look with EXPLAIN
REUSE = False  # --reuse keeps them and loads them only once per size
PG_ADMIN = os.environ.get(
    "CRPM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)

# --------------------------------------------------------------------------- data


def generate(out: Path, customers: int, products: int, purchases: int, seed: int = 1) -> Path:
    """Write customers.csv, products.csv and purchases.csv (cached by size and seed)."""
    folder = out / f"data-{customers}-{products}-{purchases}-{seed}"
    if (folder / "purchases.csv").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    with open(folder / "customers.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "email", "phone"])
        for i in range(customers):
            w.writerow([f"Customer {i} O'Brien", f"customer{i}@example.com", f"555 01{i:06d}"])
    prices = []
    with open(folder / "products.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["sku", "name", "price", "stock"])
        for i in range(products):
            price = Decimal(rng.randrange(50, 20000)) / 100
            prices.append(price)
            w.writerow([f"SKU-{i:05d}", f"Product {i}", f"{price:.2f}", rng.randrange(0, 500)])
    # skewed popularity: a Zipf-like weight for products and customers
    product_w = [1 / (i + 1) ** 0.9 for i in range(products)]
    customer_w = [1 / (i + 1) ** 0.6 for i in range(customers)]
    span = 2 * 365 * 86400
    with open(folder / "purchases.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["customer_email", "product_sku", "quantity", "unit_price", "purchased_at"])
        batch = 10_000
        for start in range(0, purchases, batch):
            n = min(batch, purchases - start)
            ps = rng.choices(range(products), product_w, k=n)
            cs = rng.choices(range(customers), customer_w, k=n)
            for p, c in zip(ps, cs, strict=True):
                at = T_END - timedelta(seconds=rng.randrange(span))
                w.writerow(
                    [
                        f"customer{c}@example.com",
                        f"SKU-{p:05d}",
                        rng.choice((1, 1, 1, 2, 2, 3, 5)),
                        f"{prices[p]:.2f}",
                        at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    ]
                )
    return folder


# --------------------------------------------------------------------------- databases


@contextmanager
def database(backend: str, out: Path, tag: str) -> Iterator[str]:
    """A new empty database; SQLite files are kept under ``out`` and replaced each run."""
    if backend == "sqlite":
        path = out / f"{tag}.db"
        if not (REUSE and _loaded(out, backend, tag)):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    from sqlalchemy import create_engine, text

    keep = KEEP or REUSE
    name = f"crpm_bench_{tag}" if keep else f"crpm_bench_{tag}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        crpm_core.persistence.dialects.normalize_url(PG_ADMIN), isolation_level="AUTOCOMMIT"
    )
    if not (REUSE and _loaded(out, backend, tag)):
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"))
    try:
        url = crpm_core.persistence.dialects.normalize_url(PG_ADMIN).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _marker(out: Path, backend: str, tag: str) -> Path:
    return out / f"loaded-{backend}-{tag}.json"


def _loaded(out: Path, backend: str, tag: str) -> float | None:
    """The load time of a kept database of ``--reuse``, or None when it must be loaded."""
    marker = _marker(out, backend, tag)
    return float(json.loads(marker.read_text())["seconds"]) if marker.exists() else None


def load_once(out: Path, backend: str, tag: str, load: Callable[[], float]) -> float:
    """Run ``load`` (returning its seconds) unless ``--reuse`` finds it done before."""
    if REUSE:
        done = _loaded(out, backend, tag)
        if done is not None:
            print(f"{backend} {tag}: reusing the database loaded in {done:.1f} s", flush=True)
            return done
    seconds = load()
    if REUSE:
        _marker(out, backend, tag).write_text(json.dumps({"seconds": seconds}))
    return seconds


def library_import(url: str, folder: Path, peaks: Path | None = None) -> float:
    """``crpm import`` of the three files, each in its own process; the peak RSS of each
    import process (from ``wait4``) is written to ``peaks`` as JSON."""
    crpm = Path(sys.executable).with_name("crpm")
    started = time.perf_counter()
    peak_mb: dict[str, float] = {}
    for kind in ("customers", "products", "purchases"):
        proc = subprocess.Popen(
            [str(crpm), "--db", url, "import", kind, str(folder / f"{kind}.csv"), "--no-progress"],
            stdout=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, proc.args)
        peak_mb[kind] = usage.ru_maxrss / 1024
    seconds = time.perf_counter() - started
    if peaks is not None:
        peaks.write_text(json.dumps(peak_mb))
    return seconds


def copied_library_load(backend: str, url: str, raw_url: str, folder: Path) -> float:
    """``--library-load copy`` (for 10M purchases, where ``crpm import`` takes too long for a
    run): customers and products with ``crpm import``; the purchases (one order each, as the
    import makes them) copied in bulk from the raw database with the purchase and order
    indexes dropped and built again; then the rollups built from the rows by
    ``rollups.rebuild``, as a migration builds them. The reports then read the same rows and
    rollups an import would have left."""
    from zoneinfo import ZoneInfo

    from crpm_core.persistence.dialects import make_engine
    from crpm_core.services import rollups

    started = time.perf_counter()
    crpm = Path(sys.executable).with_name("crpm")
    for kind in ("customers", "products"):
        subprocess.run(
            [str(crpm), "--db", url, "import", kind, str(folder / f"{kind}.csv"), "--no-progress"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    orders_sql = "SELECT id, customer_id, purchased_at FROM purchases"
    purchases_sql = (
        "SELECT id, customer_id, product_id, quantity, total_minor / quantity, total_minor,"
        " purchased_at, false, id, 0 FROM purchases"
    )
    purchase_cols = (
        "id, customer_id, product_id, quantity, unit_price_minor, total_minor, purchased_at,"
        " stock_moved, order_id, returned_quantity"
    )
    if backend == "sqlite":
        con = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("ATTACH ? AS raw", (raw_url.removeprefix("sqlite:///"),))
        con.execute("BEGIN")
        indexes = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
            " AND tbl_name IN ('purchases', 'orders') AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            con.execute(f"DROP INDEX {name}")
        con.execute(
            "INSERT INTO orders (id, customer_id, placed_at) "
            + orders_sql.replace("purchases", "raw.purchases")
        )
        con.execute(
            f"INSERT INTO purchases ({purchase_cols}) "
            + purchases_sql.replace("false", "0").replace("FROM purchases", "FROM raw.purchases")
        )
        for _, sql in indexes:
            con.execute(sql)
        con.execute("COMMIT")
        con.close()
    else:
        import psycopg

        with (
            psycopg.connect(_pg_dsn(url)) as con,
            psycopg.connect(_pg_dsn(raw_url)) as raw,
        ):
            con.execute("SET session_replication_role = replica")  # no FK checks while copying
            indexes = con.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename IN"
                " ('purchases', 'orders') AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
                " WHERE c.conname = i.indexname)"
            ).fetchall()
            for name, _ in indexes:
                con.execute(f"DROP INDEX {name}")
            for table, cols, sql in (
                ("orders", "id, customer_id, placed_at", orders_sql),
                ("purchases", purchase_cols, purchases_sql),
            ):
                with (
                    raw.cursor().copy(f"COPY ({sql}) TO STDOUT") as src,
                    con.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as dst,
                ):
                    for data in src:
                        dst.write(data)
                con.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
            for _, sql in indexes:
                con.execute(sql)
            con.commit()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            rollups.rebuild(conn, ZoneInfo("UTC"))
    finally:
        engine.dispose()
    maintain(backend, url)
    return time.perf_counter() - started


LEAN_SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT, name TEXT NOT NULL,
                       price_minor BIGINT NOT NULL, stock BIGINT NOT NULL);
CREATE TABLE purchases (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL,
                        product_id INTEGER NOT NULL, quantity INTEGER NOT NULL,
                        total_minor BIGINT NOT NULL, purchased_at {ts} NOT NULL);
"""
LEAN_INDEXES = """
CREATE INDEX p_time ON purchases (purchased_at, customer_id, product_id, quantity, total_minor);
CREATE INDEX p_customer ON purchases (customer_id, total_minor, quantity);
CREATE INDEX p_product ON purchases (product_id, quantity, total_minor);
"""


def _lean_rows(
    folder: Path,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], Iterator[tuple[Any, ...]]]:
    emails: dict[str, int] = {}
    customers = []
    with open(folder / "customers.csv", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f), start=1):
            emails[row["email"]] = i
            customers.append((i, row["name"], row["email"]))
    skus: dict[str, int] = {}
    products = []
    with open(folder / "products.csv", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f), start=1):
            skus[row["sku"]] = i
            products.append(
                (i, row["sku"], row["name"], int(Decimal(row["price"]) * 100), int(row["stock"]))
            )

    def purchases() -> Iterator[tuple[Any, ...]]:
        with open(folder / "purchases.csv", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                q = int(row["quantity"])
                at = datetime.fromisoformat(row["purchased_at"]).replace(tzinfo=None)
                yield (
                    emails[row["customer_email"]],
                    skus[row["product_sku"]],
                    q,
                    int(Decimal(row["unit_price"]) * 100) * q,
                    at,
                )

    return customers, products, purchases()


def raw_load(backend: str, url: str, folder: Path) -> float:
    started = time.perf_counter()
    customers, products, purchases = _lean_rows(folder)
    if backend == "sqlite":
        con = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(LEAN_SCHEMA.format(ts="TEXT"))
        con.execute("BEGIN")
        con.executemany("INSERT INTO customers VALUES (?, ?, ?)", customers)
        con.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?)", products)
        con.executemany(
            "INSERT INTO purchases (customer_id, product_id, quantity, total_minor, purchased_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                (c, p, q, t, at.isoformat(sep=" ", timespec="microseconds"))
                for c, p, q, t, at in purchases
            ),
        )
        for statement in filter(str.strip, LEAN_INDEXES.split(";")):
            con.execute(statement)
        con.execute("COMMIT")
        con.close()
    else:
        import psycopg

        with psycopg.connect(_pg_dsn(url)) as con:
            con.execute(
                LEAN_SCHEMA.format(ts="TIMESTAMP").replace(
                    "INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"
                )
            )
            with con.cursor() as cur:
                with cur.copy("COPY customers (id, name, email) FROM STDIN") as cp:
                    for r in customers:
                        cp.write_row(r)
                with cur.copy("COPY products FROM STDIN") as cp:
                    for r in products:
                        cp.write_row(r)
                cols = "customer_id, product_id, quantity, total_minor, purchased_at"
                with cur.copy(f"COPY purchases ({cols}) FROM STDIN") as cp:
                    for r in purchases:
                        cp.write_row(r)
            con.execute(LEAN_INDEXES)
            con.commit()
    maintain(backend, url)
    return time.perf_counter() - started


def maintain(backend: str, url: str) -> None:
    """The same housekeeping on both sides: fresh planner statistics (and, on PostgreSQL,
    a vacuumed visibility map, which index-only scans need)."""
    if backend == "sqlite":
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        con.execute("ANALYZE")
        con.close()
    else:
        import psycopg

        with psycopg.connect(_pg_dsn(url), autocommit=True) as con:
            con.execute("VACUUM ANALYZE")


def _pg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# --------------------------------------------------------------------------- reports


def _money(minor: Any) -> Decimal:
    return (Decimal(int(minor)) / 100).quantize(Decimal("0.01"))


def hand_reports(backend: str, url: str, ranges: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    """The same figures as crm.reports, written by hand against the raw rows of the lean
    schema (UTC days: the shop's time zone is left at its default, UTC)."""
    if backend == "sqlite":
        con: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
        ph = "?"

        def at(x: datetime) -> Any:
            return x.replace(tzinfo=None).isoformat(sep=" ")

        day, month = "substr(purchased_at, 1, 10)", "substr(purchased_at, 1, 7) || '-01'"
    else:
        import psycopg

        con = psycopg.connect(_pg_dsn(url), autocommit=True)
        ph = "%s"

        def at(x: datetime) -> Any:
            return x.replace(tzinfo=None)

        day, month = (f"date_trunc('{x}', purchased_at)" for x in ("day", "month"))

    def q(sql: str, *args: Any) -> list[Any]:
        return list(con.execute(sql.replace("?", ph), args).fetchall())

    def within(span: tuple[datetime, datetime] | None) -> tuple[str, tuple[Any, ...]]:
        if span is None:
            return "", ()
        return " WHERE purchased_at >= ? AND purchased_at < ?", (at(span[0]), at(span[1]))

    def summary(span: tuple[datetime, datetime] | None) -> Callable[[], Any]:
        where, args = within(span)

        def run() -> Any:
            s = q(
                "SELECT SUM(total_minor), SUM(quantity), COUNT(*), COUNT(DISTINCT customer_id)"
                " FROM purchases" + where,
                *args,
            )[0]
            k = q("SELECT SUM(stock), SUM(stock * price_minor) FROM products")[0]
            return (_money(s[0] or 0), int(s[1] or 0), s[2], s[3], int(k[0]), _money(k[1]))

        return run

    def top() -> Any:
        rows = q(
            "SELECT t.customer_id, c.name, t.n, t.units, t.revenue FROM"
            " (SELECT customer_id, COUNT(*) AS n, SUM(quantity) AS units,"
            "  SUM(total_minor) AS revenue"
            "  FROM purchases GROUP BY customer_id ORDER BY revenue DESC, customer_id LIMIT 10) t"
            " JOIN customers c ON c.id = t.customer_id ORDER BY t.revenue DESC, t.customer_id"
        )
        return [(r[0], r[1], r[2], int(r[3]), _money(r[4])) for r in rows]

    def products(span: tuple[datetime, datetime] | None) -> Callable[[], Any]:
        where, args = within(span)

        def run() -> Any:
            rows = q(
                "SELECT p.id, p.name, COALESCE(t.units, 0) AS u, COALESCE(t.revenue, 0) AS r,"
                " p.stock FROM products p LEFT JOIN (SELECT product_id, SUM(quantity) AS units,"
                " SUM(total_minor) AS revenue FROM purchases" + where + " GROUP BY product_id) t"
                " ON t.product_id = p.id ORDER BY u DESC, r DESC, p.id",
                *args,
            )
            return [(r[0], r[1], int(r[2]), _money(r[3]), r[4]) for r in rows]

        return run

    def over(expr: str, span: tuple[datetime, datetime] | None) -> Callable[[], Any]:
        where, args = within(span)

        def run() -> Any:
            rows = q(
                f"SELECT {expr} AS period, SUM(total_minor), SUM(quantity) FROM purchases"
                + where
                + " GROUP BY period ORDER BY period",
                *args,
            )
            return [(str(r[0])[:10], _money(r[1]), int(r[2])) for r in rows]

        return run

    last30, part = ranges["last 30 days"], ranges["range"]
    return {
        "sales_summary (all time)": summary(None),
        "sales_summary (last 30 days)": summary(last30),
        "top_customers (all time)": top,
        "product_performance (all time)": products(None),
        "product_performance (range)": products(part),
        "sales_over_time day (last 30 days)": over(day, last30),
        "sales_over_time month (all time)": over(month, None),
    }


def library_reports(url: str, ranges: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    crm = crpm_core.connect(url)
    r = crm.reports

    def summary(span: tuple[datetime, datetime] | None) -> Callable[[], Any]:
        lo, hi = span or (None, None)

        def run() -> Any:
            s = r.sales_summary(start=lo, end=hi)
            return (
                s.revenue,
                s.units_sold,
                s.purchase_count,
                s.buyer_count,
                s.stock_units,
                s.stock_value,
            )

        return run

    def top() -> Any:
        return [
            (t.customer_id, t.name, t.purchase_count, t.units, t.revenue) for t in r.top_customers()
        ]

    def products(span: tuple[datetime, datetime] | None) -> Callable[[], Any]:
        lo, hi = span or (None, None)

        def run() -> Any:
            return [
                (p.product_id, p.name, p.units_sold, p.revenue, p.stock)
                for p in r.product_performance(start=lo, end=hi)
            ]

        return run

    def over(bucket: Any, span: tuple[datetime, datetime] | None) -> Callable[[], Any]:
        lo, hi = span or (None, None)

        def run() -> Any:
            return [
                (p.period_start.date().isoformat(), p.revenue, p.units_sold)
                for p in r.sales_over_time(bucket=bucket, start=lo, end=hi)
                if p.purchase_count  # the hand SQL does not fill empty periods
            ]

        return run

    last30, part = ranges["last 30 days"], ranges["range"]
    return {
        "sales_summary (all time)": summary(None),
        "sales_summary (last 30 days)": summary(last30),
        "top_customers (all time)": top,
        "product_performance (all time)": products(None),
        "product_performance (range)": products(part),
        "sales_over_time day (last 30 days)": over("day", last30),
        "sales_over_time month (all time)": over("month", None),
    }


# The dashboard's window: the last 30 whole (UTC) days before the end of the data. The other
# range is 11 months with partial days at both edges (7:00 and 13:30), read from raw rows.
RANGES = {
    "last 30 days": (T_END - timedelta(days=30), T_END),
    "range": (
        T_END - timedelta(days=365) + timedelta(hours=7),
        T_END - timedelta(days=30) + timedelta(hours=13, minutes=30),
    ),
}


def report_phase(backend: str, lib_url: str, raw_url: str, repeat: int) -> dict[str, Any]:
    """Runs in its own process: times every report on both sides, compares the results."""
    lib, raw = library_reports(lib_url, RANGES), hand_reports(backend, raw_url, RANGES)
    start_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reset = _reset_peak()  # importing crpm_core alone peaks high (see docs/performance.md)
    rows = []
    for name, lib_call in lib.items():
        raw_call = raw[name]
        lib_result, raw_result = lib_call(), raw_call()  # warm up, and compare
        lt, rt = [], []
        for _ in range(repeat):
            t = time.perf_counter()
            raw_call()
            rt.append(time.perf_counter() - t)
            t = time.perf_counter()
            lib_call()
            lt.append(time.perf_counter() - t)
        if lib_result != raw_result:
            print(f"NOT EQUAL: {name}: library {str(lib_result)[:300]}", file=sys.stderr)
            print(f"           hand SQL {str(raw_result)[:300]}", file=sys.stderr)
        rows.append(
            {
                "report": name,
                "library_ms": statistics.median(lt) * 1000,
                "sql_ms": statistics.median(rt) * 1000,
                "equal": lib_result == raw_result,
            }
        )
    # Resetting VmHWM resets ru_maxrss too: the peak since the start is the larger of the two.
    peak_mb = max(start_peak_mb, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {
        "rows": rows,
        "peak_mb": peak_mb,  # since the process started, imports included
        "startup_peak_mb": start_peak_mb,  # after importing and connecting, before any report
        "reports_peak_mb": _status_mb("VmHWM") if reset else None,  # while the reports ran
    }


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def _reset_peak() -> bool:
    """Reset the process's peak RSS (Linux: VmHWM), so the reports' own peak can be read."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _phase_entry(queue: Any, *args: Any) -> None:
    queue.put(report_phase(*args))


# --------------------------------------------------------------------------- main


def draw_chart(out: Path, png: Path) -> None:
    """Report times against purchases, log-log, one panel per backend: the library (solid)
    and the hand-written SQL on raw rows (dashed), from every results-*.json under ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    found: dict[str, dict[int, dict[str, Any]]] = {}
    for path in sorted(out.glob("results-*-*.json")):
        _, backend, n = path.stem.split("-")
        found.setdefault(backend, {})[int(n)] = json.loads(path.read_text())
    backends = [b for b in ("sqlite", "postgresql") if b in found]
    fig, axes = plt.subplots(1, len(backends), figsize=(6.5 * len(backends), 5.6), squeeze=False)
    for ax, backend in zip(axes[0], backends, strict=True):
        sizes = sorted(found[backend])
        names = [row["report"] for row in found[backend][sizes[-1]]["rows"]]
        colors = plt.get_cmap("tab10")
        for i, name in enumerate(names):
            lib, raw, xs = [], [], []
            for n in sizes:
                row = next((r for r in found[backend][n]["rows"] if r["report"] == name), None)
                if row is not None:
                    xs.append(n)
                    lib.append(row["library_ms"])
                    raw.append(row["sql_ms"])
            ax.plot(xs, lib, "o-", color=colors(i), label=name)
            ax.plot(xs, raw, "x--", color=colors(i), alpha=0.6)
        ax.axhline(100, color="red", linewidth=0.8, linestyle=":")
        ax.text(sizes[0], 110, "100 ms target", color="red", fontsize=8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("purchases")
        ax.set_ylabel("median ms (log)")
        title = "SQLite" if backend == "sqlite" else "PostgreSQL"
        ax.set_title(f"{title}: crpm_core on rollups (solid) vs hand SQL on raw rows (dashed)",
                     fontsize=9)  # fmt: skip
        ax.grid(True, which="both", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    print(f"chart: {png}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=1_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("/tmp/crpm-bench"))
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the databases and reuse them next time"
    )
    parser.add_argument(
        "--library-load",
        choices=("import", "copy"),
        default="import",
        help="fill the library's database with `crpm import` (timed against the raw load), or"
        " copy the raw rows in bulk and build the rollups (for 10M: the import takes too long)",
    )
    parser.add_argument("--chart", type=Path, help="draw the cached results to this PNG, and stop")
    args = parser.parse_args()
    global KEEP, REUSE
    KEEP, REUSE = args.keep, args.reuse
    args.out.mkdir(parents=True, exist_ok=True)
    if args.chart:
        draw_chart(args.out, args.chart)
        return

    t = time.perf_counter()
    folder = generate(args.out, args.customers, args.products, args.purchases)
    print(f"data: {folder} ({time.perf_counter() - t:.1f}s)", flush=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version};"
        f" {args.purchases:,} purchases, {args.customers:,}"
        f" customers, {args.products:,} products; median of {args.repeat};"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    results: dict[str, Any] = {}
    ctx = mp.get_context("spawn")
    size = f"{args.customers}_{args.products}_{args.purchases}"
    for backend in args.backends.split(","):
        lib_tag, raw_tag = f"library_{size}", f"raw_{size}"
        if args.library_load == "copy":
            lib_tag += "_copy"
        with (
            database(backend, args.out, lib_tag) as lib_url,
            database(backend, args.out, raw_tag) as raw_url,
        ):
            peaks = args.out / f"import-peak-{backend}-{lib_tag}.json"

            def load_library(url: str = lib_url, b: str = backend, p: Path = peaks) -> float:
                seconds = library_import(url, folder, p)
                maintain(b, url)
                return seconds

            raw = load_once(
                args.out, backend, raw_tag, lambda b=backend, u=raw_url: raw_load(b, u, folder)
            )
            if args.library_load == "copy":
                copied = load_once(
                    args.out,
                    backend,
                    lib_tag,
                    lambda b=backend, u=lib_url, r=raw_url: copied_library_load(b, u, r, folder),
                )
                print(f"library database copied from the raw rows in {copied:.1f} s")
                imp = None
            else:
                imp = load_once(args.out, backend, lib_tag, load_library)
            queue = ctx.Queue()
            proc = ctx.Process(
                target=_phase_entry, args=(queue, backend, lib_url, raw_url, args.repeat)
            )
            proc.start()
            phase = queue.get()
            proc.join()
        import_peak = json.loads(peaks.read_text()) if peaks.exists() else {}
        results[backend] = {
            "library_load": args.library_load,
            "import_s": imp,
            "import_peak_mb": import_peak,
            "raw_load_s": raw,
            "purchases": args.purchases,
            "load_average": os.getloadavg()[0],
            **phase,
        }
        (args.out / f"results-{backend}-{args.purchases}.json").write_text(
            json.dumps(results[backend], indent=2)
        )
        print(f"\n### {backend}\n")
        if imp is None:
            print(f"raw load: {raw:.1f} s (import not run: --library-load copy)")
        else:
            print(
                f"import with `crpm import`: {imp:.1f} s; raw load: {raw:.1f} s;"
                f" ratio {imp / raw:.2f}x"
            )
        if import_peak:
            shown = ", ".join(f"{k} {v:.0f} MB" for k, v in import_peak.items())
            print(f"peak RSS of the `crpm import` processes: {shown}")
        during = phase["reports_peak_mb"]
        print(
            f"peak memory of the reporting process: {phase['peak_mb']:.0f} MB since it started"
            f" ({phase['startup_peak_mb']:.0f} MB of it reached by importing and connecting);"
            f" peak RSS while the reports ran: {'?' if during is None else f'{during:.0f}'} MB\n"
        )
        print("| report | crpm_core ms | hand SQL ms | ratio | equal |")
        print("|---|---:|---:|---:|---|")
        for row in phase["rows"]:
            ratio = row["library_ms"] / row["sql_ms"] if row["sql_ms"] else float("nan")
            print(
                f"| {row['report']} | {row['library_ms']:.1f} | {row['sql_ms']:.1f} |"
                f" {ratio:.2f}x | {'yes' if row['equal'] else 'NO'} |"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
