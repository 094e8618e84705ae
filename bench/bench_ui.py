"""First-render time of every page of the app on a big shop (a benchmark, not a test).

    python bench/bench_ui.py                          # 100,000 customers, 1,000,000 purchases
    python bench/bench_ui.py --customers 20000 --purchases 200000

It writes a SQLite shop with bulk SQL (Core ``insert`` executemany; the stock ledger stays
consistent: every product's movements sum to its stock), starts ``crpm_ui.main`` on it as a
user would, and times the HTTP request of each page: NiceGUI pages await their data before
answering, so that time is the page's first render on the server. Target: under a second.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

import crpm_core
from crpm_core.persistence.tables import customers, products, purchases, stock_movements

ROUTES = ["/", "/customers", "/products", "/purchases", "/analytics"]
TARGET_S = 1.0
CHUNK = 50_000


def build_shop(path: Path, n_customers: int, n_purchases: int, n_products: int) -> None:
    """A shop with a year of sales, written in bulk."""
    if path.exists():
        path.unlink()
    crpm_core.connect(f"sqlite:///{path}").close()  # the schema, by the migrations
    rng = random.Random(11)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=365)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("PRAGMA synchronous=OFF"))
        rows = [
            {
                "id": i,
                "name": f"Customer {i:06d}",
                "email": f"customer{i}@example.com",
                "email_key": f"customer{i}@example.com",
                "phone": None,
                "active": True,
                "created_at": start,
            }
            for i in range(1, n_customers + 1)
        ]
        for at in range(0, len(rows), CHUNK):
            conn.execute(insert(customers), rows[at : at + CHUNK])
        prices = {p: rng.randrange(100, 10_000) for p in range(1, n_products + 1)}
        weights = [1 / rank for rank in range(1, n_products + 1)]
        times = sorted(
            start + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(n_purchases)
        )
        chosen = rng.choices(range(1, n_products + 1), weights, k=n_purchases)
        sold = dict.fromkeys(prices, 0)
        sales = []
        for pid, (n, at) in zip(chosen, enumerate(times, start=1), strict=True):
            qty = rng.choice((1, 1, 2, 3))
            sold[pid] += qty
            sales.append((n, rng.randrange(1, n_customers + 1), pid, qty, at))
        left = {p: rng.randrange(0, 60) for p in prices}  # some end up low on stock
        conn.execute(
            insert(products),
            [
                {
                    "id": p,
                    "sku": f"SKU-{p:05d}",
                    "name": f"Product {p:05d}",
                    "price_minor": prices[p],
                    "stock": left[p],
                    "active": True,
                    "created_at": start,
                }
                for p in prices
            ],
        )
        stock = {p: sold[p] + left[p] for p in prices}  # opening stock covers every sale
        conn.execute(
            insert(stock_movements),
            [
                {
                    "product_id": p,
                    "at": start,
                    "kind": "initial",
                    "change": stock[p],
                    "stock_after": stock[p],
                    "note": None,
                    "purchase_id": None,
                }
                for p in prices
            ],
        )
        for at in range(0, len(sales), CHUNK):
            batch = sales[at : at + CHUNK]
            conn.execute(
                insert(purchases),
                [
                    {
                        "id": n,
                        "customer_id": c,
                        "product_id": p,
                        "quantity": q,
                        "unit_price_minor": prices[p],
                        "total_minor": prices[p] * q,
                        "purchased_at": t,
                        "cancelled_at": None,
                    }
                    for n, c, p, q, t in batch
                ],
            )
            moves = []
            for n, _c, p, q, t in batch:
                stock[p] -= q
                moves.append(
                    {
                        "product_id": p,
                        "at": t,
                        "kind": "sale",
                        "change": -q,
                        "stock_after": stock[p],
                        "note": None,
                        "purchase_id": n,
                    }
                )
            conn.execute(insert(stock_movements), moves)
        assert stock == left, "the ledger must end at the stock"
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> float:
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
        assert response.status == 200, url
    return time.perf_counter() - began


def time_pages(path: Path, repeat: int) -> dict[str, list[float]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.pop("DISPLAY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "crpm_ui.main", "--db", f"sqlite:///{path}", "--port", str(port)],
        cwd=path.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _get(base + "/customers")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the app did not start") from None
                time.sleep(0.2)
        return {route: [_get(base + route) for _ in range(repeat)] for route in ROUTES}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--reuse", action="store_true", help="keep an existing database file")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"ui-{args.customers}-{args.purchases}.db"
    if not (args.reuse and path.exists()):
        began = time.perf_counter()
        build_shop(path, args.customers, args.purchases, args.products)
        print(f"built {path} in {time.perf_counter() - began:.1f} s", flush=True)
    timings = time_pages(path, args.repeat)
    print(
        f"\n{args.customers:,} customers, {args.purchases:,} purchases, {args.products:,} "
        f"products; SQLite; {os.cpu_count()} cores; {args.repeat} requests per page\n"
    )
    print(f"| page         | first (s) | median (s) | max (s) | under {TARGET_S:.0f} s |")
    print("|--------------|-----------|------------|---------|-----------|")
    for route, times in timings.items():
        ok = "yes" if statistics.median(times) < TARGET_S else "NO"
        print(
            f"| {route:<12} | {times[0]:9.3f} | {statistics.median(times):10.3f} "
            f"| {max(times):7.3f} | {ok:<9} |"
        )


if __name__ == "__main__":
    main()
