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
from crpm_core.persistence.tables import (
    customers,
    orders,
    products,
    purchases,
    stock_movements,
)

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


# -- the counter (issue 12): first paint of the sale screen, and "Complete sale" to receipt --

COUNTER_USER = ("bench", "bench-password-1")
FIRST_NAMES = ["Zoë", "Seán", "Ana", "José", "Maeve", "Łucja", "Nguyễn", "Ahmed", "Ingrid", "Chloé"]
LAST_NAMES = ["O'Brien", "García", "Ní Bhriain", "Kowalska", "Müller", "Yılmaz", "Okafor", "Wang"]


def build_counter_shop(path: Path, n_customers: int, n_products: int, n_orders: int) -> None:
    """A shop for the counter, written in bulk: real-looking names and phones with their search
    keys, SKUs, and ``n_orders`` one-line orders over the last year (history kept without
    moving stock, so each product's ledger is its opening stock)."""
    from crpm_core.domain import search

    if path.exists():
        path.unlink()
    with crpm_core.connect(f"sqlite:///{path}") as crm:  # the schema, by the migrations
        crm.users.add(username=COUNTER_USER[0], password=COUNTER_USER[1], role="owner")
    rng = random.Random(12)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=365)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("PRAGMA synchronous=OFF"))
        rows = []
        for i in range(1, n_customers + 1):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {i}"
            email = f"customer{i}@example.com"
            phone = f"+353 {rng.randrange(10, 99)} {rng.randrange(100, 999)} {i % 10_000:04d}"
            rows.append(
                {
                    "id": i,
                    "name": name,
                    "email": email,
                    "email_key": email,
                    "phone": phone,
                    "active": True,
                    "created_at": start,
                    "search_key": search.key(name, email, phone=phone),
                }
            )
        for at in range(0, len(rows), CHUNK):
            conn.execute(insert(customers), rows[at : at + CHUNK])
        prices = {p: rng.randrange(100, 10_000) for p in range(1, n_products + 1)}
        conn.execute(
            insert(products),
            [
                {
                    "id": p,
                    "sku": f"SKU-{p:05d}",
                    "name": f"Product {p:05d}",
                    "price_minor": prices[p],
                    "stock": 1_000,
                    "active": True,
                    "created_at": start,
                    "search_key": search.key(f"Product {p:05d}", f"SKU-{p:05d}"),
                }
                for p in prices
            ],
        )
        conn.execute(
            insert(stock_movements),
            [
                {
                    "product_id": p,
                    "at": start,
                    "kind": "initial",
                    "change": 1_000,
                    "stock_after": 1_000,
                    "note": None,
                    "purchase_id": None,
                }
                for p in prices
            ],
        )
        times = sorted(
            start + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(n_orders)
        )
        heads, lines = [], []
        for n, at in enumerate(times, start=1):
            cid, pid, qty = rng.randrange(1, n_customers + 1), rng.randrange(1, n_products + 1), 1
            heads.append({"id": n, "customer_id": cid, "placed_at": at})
            lines.append(
                {
                    "id": n,
                    "customer_id": cid,
                    "product_id": pid,
                    "quantity": qty,
                    "unit_price_minor": prices[pid],
                    "total_minor": prices[pid] * qty,
                    "purchased_at": at,
                    "cancelled_at": None,
                    "stock_moved": False,
                    "order_id": n,
                }
            )
        for at in range(0, len(heads), CHUNK):
            conn.execute(insert(orders), heads[at : at + CHUNK])
            conn.execute(insert(purchases), lines[at : at + CHUNK])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _page_data_sql(path: Path) -> float:
    """The sale screen's data, hand-written: the first 20 active customers and products by
    name (with their counts), the count of orders and the newest 10 with their lines, and the
    names those need (plain sqlite3, the same statements in spirit as the library's)."""
    import sqlite3

    began = time.perf_counter()
    con = sqlite3.connect(path)
    for table in ("customers", "products"):
        con.execute(f"SELECT count(*) FROM {table} WHERE active").fetchone()
        con.execute(f"SELECT * FROM {table} WHERE active ORDER BY name, id LIMIT 20").fetchall()
    con.execute("SELECT count(*) FROM orders").fetchone()
    heads = con.execute("SELECT * FROM orders ORDER BY placed_at DESC, id DESC LIMIT 10").fetchall()
    ids = [h[0] for h in heads]
    marks = ",".join("?" * len(ids))
    lines = con.execute(f"SELECT * FROM purchases WHERE order_id IN ({marks})", ids).fetchall()
    con.execute(
        f"SELECT id, name FROM customers WHERE id IN ({','.join('?' * len(heads))})",
        [h[2] for h in heads],
    ).fetchall()
    con.execute(
        f"SELECT id, name FROM products WHERE id IN ({','.join('?' * len(lines))})",
        [line[2] for line in lines],
    ).fetchall()
    con.execute("SELECT * FROM settings").fetchall()
    con.close()
    return time.perf_counter() - began


def _page_data_library(crm: crpm_core.CRPM) -> float:
    """The same data through crpm_core, as the page asks for it (one open handle)."""
    began = time.perf_counter()
    crm.settings.get()
    crm.customers.list(active=True, limit=20)
    crm.products.list(active=True, limit=20)
    page = crm.orders.list(limit=10)
    for order in page.items:
        crm.customers.get(order.customer_id)
        for line in order.lines:
            crm.products.get(line.product_id)
    return time.perf_counter() - began


def time_counter(
    path: Path, repeat: int, n_customers: int, n_products: int
) -> dict[str, list[float]]:
    """In Chromium: the sale screen's first paint (from navigation to "Complete sale" and the
    first page of orders on screen), a customer search as typed, and a 3-line sale from the
    click on "Complete sale" to the receipt's link on screen, then the receipt PDF itself."""
    import shutil

    from playwright.sync_api import expect, sync_playwright

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.pop("DISPLAY", None)
    repo = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (repo, env.get("PYTHONPATH", "")) if p)
    proc = subprocess.Popen(
        [sys.executable, "-m", "crpm_ui.main", "--db", f"sqlite:///{path}", "--port", str(port)],
        cwd=path.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    found: dict[str, list[float]] = {
        "first paint": [],
        "customer search": [],
        "complete sale to receipt link": [],
        "receipt PDF": [],
    }
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _get(base + "/login")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the app did not start") from None
                time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=shutil.which("chromium"), args=["--headless", "--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
            page.goto(base + "/login?redirect_to=/purchases")
            page.get_by_label("Username").fill(COUNTER_USER[0])
            page.get_by_label("Password").fill(COUNTER_USER[1])
            page.get_by_label("Password").press("Enter")
            expect(page.get_by_role("button", name="Complete sale")).to_be_visible(timeout=60_000)
            rng = random.Random(5)
            for _ in range(repeat):
                began = time.perf_counter()
                page.goto(base + "/purchases")
                expect(page.get_by_role("button", name="Complete sale")).to_be_visible()
                expect(page.get_by_role("link", name="Open order").first).to_be_visible()
                found["first paint"].append(time.perf_counter() - began)
                page.wait_for_function("() => window.socket?.connected === true")

                picker = page.get_by_label("Customer (name, email or phone)")
                picker.click()
                wanted = rng.randrange(1, n_customers + 1)
                began = time.perf_counter()
                page.keyboard.type(f"customer{wanted}@")
                option = page.get_by_role("option").filter(has_text=f"customer{wanted}@")
                expect(option).to_be_visible()
                found["customer search"].append(time.perf_counter() - began)
                option.click()
                sku = page.get_by_label("Scan or type a SKU, then Enter")
                for pid in rng.sample(range(1, n_products + 1), 3):
                    sku.fill(f"SKU-{pid:05d}")
                    sku.press("Enter")
                    expect(sku).to_have_value("")
                expect(page.get_by_role("listitem")).to_have_count(3)
                began = time.perf_counter()
                page.get_by_role("button", name="Complete sale").click()
                link = page.get_by_role("link", name="Receipt (PDF)")
                expect(link).to_be_visible()
                found["complete sale to receipt link"].append(time.perf_counter() - began)
                href = str(link.get_attribute("href"))
                began = time.perf_counter()
                response = page.request.get(base + href)
                assert response.ok and response.body().startswith(b"%PDF"), href
                found["receipt PDF"].append(time.perf_counter() - began)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return found


def counter_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="the counter: first paint and sale to receipt")
    parser.add_argument("--counter", action="store_true")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--reuse", action="store_true", help="keep an existing database file")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"counter-{args.customers}-{args.products}-{args.orders}.db"
    if not (args.reuse and path.exists()):
        began = time.perf_counter()
        build_counter_shop(path, args.customers, args.products, args.orders)
        print(f"built {path} in {time.perf_counter() - began:.1f} s", flush=True)
    sql = [_page_data_sql(path) for _ in range(args.repeat)]
    with crpm_core.connect(f"sqlite:///{path}", migrate_schema=False) as crm:
        lib = [_page_data_library(crm) for _ in range(args.repeat + 1)][1:]
    timings = time_counter(path, args.repeat, args.customers, args.products)
    print(
        f"\n{args.customers:,} customers, {args.products:,} products, {args.orders:,} orders; "
        f"SQLite; {os.cpu_count()} cores; {args.repeat} runs\n"
    )
    print("| step | first (s) | median (s) | max (s) |")
    print("|---|---:|---:|---:|")
    for step, times in timings.items():
        print(f"| {step} | {times[0]:.3f} | {statistics.median(times):.3f} | {max(times):.3f} |")
    ratio = statistics.median(lib) / statistics.median(sql)
    print(
        f"\nthe sale screen's data: crpm_core {statistics.median(lib) * 1000:.1f} ms, "
        f"hand-written SQL {statistics.median(sql) * 1000:.1f} ms (ratio {ratio:.1f})"
    )


if __name__ == "__main__":
    if "--counter" in sys.argv[1:]:
        counter_main(sys.argv[1:])
    else:
        main()
