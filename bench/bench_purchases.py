"""Purchase throughput: ``crm.purchases.record`` against plain sqlite3 doing the same work.

Both sides run the same statements in one transaction per purchase on a SQLite file in WAL
mode (check the customer, check the product, take the stock with a conditional UPDATE, read
the price, insert the purchase, insert the ledger row, commit) with the same pragmas.
The ratio is what the library's layers (validation, SQLAlchemy Core, frozen values) cost.

    python bench/bench_purchases.py [--purchases 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import crpm_core


def library_run(path: Path, n: int) -> float:
    with crpm_core.connect(f"sqlite:///{path}") as crm:
        c = crm.customers.add(name="Bench", email="bench@example.com")
        p = crm.products.add(name="Widget", price="1.99", stock=n)
        started = time.perf_counter()
        for _ in range(n):
            crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1)
        elapsed = time.perf_counter() - started
        assert crm.products.get(p.id).stock == 0
    return elapsed


def raw_run(path: Path, n: int) -> float:
    # Same schema as the library's (created by it), then plain sqlite3 for the sales.
    with crpm_core.connect(f"sqlite:///{path}") as crm:
        cid = crm.customers.add(name="Bench", email="bench@example.com").id
        pid = crm.products.add(name="Widget", price="1.99", stock=n).id
    con = sqlite3.connect(path, isolation_level=None, timeout=60)
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA busy_timeout=60000")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    for _ in range(n):
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        con.execute("BEGIN IMMEDIATE")
        (active,) = con.execute("SELECT active FROM customers WHERE id = ?", (cid,)).fetchone()
        assert active
        row = con.execute("SELECT active, stock FROM products WHERE id = ?", (pid,)).fetchone()
        assert row[0] and row[1] >= 1
        cur = con.execute(
            "UPDATE products SET stock = stock - ? WHERE id = ? AND active AND stock >= ?",
            (1, pid, 1),
        )
        assert cur.rowcount == 1
        price, stock = con.execute(
            "SELECT price_minor, stock FROM products WHERE id = ?", (pid,)
        ).fetchone()
        purchase_id = con.execute(
            "INSERT INTO purchases (customer_id, product_id, quantity, unit_price_minor,"
            " total_minor, purchased_at, cancelled_at) VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (cid, pid, 1, price, price, now),
        ).lastrowid
        con.execute(
            "INSERT INTO stock_movements (product_id, at, kind, change, stock_after, note,"
            " purchase_id) VALUES (?, ?, 'sale', -1, ?, NULL, ?)",
            (pid, now, stock, purchase_id),
        )
        con.execute(
            "SELECT * FROM purchases WHERE id = ?", (purchase_id,)
        ).fetchone()  # the library returns the stored purchase too
        con.execute("COMMIT")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--purchases", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.purchases
    lib, raw = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            raw.append(raw_run(Path(tmp) / f"raw{i}.db", n))
            lib.append(library_run(Path(tmp) / f"lib{i}.db", n))
    lib_rate = n / statistics.median(lib)
    raw_rate = n / statistics.median(raw)
    python = platform.python_version()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {python},", end=" ")
    print(f"SQLite {sqlite3.sqlite_version}")
    print(f"{n} purchases, median of {args.repeat} runs, one transaction per purchase")
    print("| side | purchases/s | µs per purchase |")
    print("|---|---:|---:|")
    print(f"| crpm_core `purchases.record` | {lib_rate:,.0f} | {1e6 / lib_rate:,.0f} |")
    print(f"| plain sqlite3, same statements | {raw_rate:,.0f} | {1e6 / raw_rate:,.0f} |")
    print(f"ratio (library time / sqlite3 time): {raw_rate / lib_rate:.2f}x")


if __name__ == "__main__":
    main()
