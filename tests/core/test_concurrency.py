"""Eight processes race for the last 100 units: exactly 100 are sold and nothing is lost.
Eight processes place baskets over the same products in random orders: no deadlock, no raw
error, nothing oversold, the ledger in step."""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL

import crpm_core
from crpm_core import CRPM, errors
from crpm_core.persistence.tables import purchases
from tests.helpers import ledger_sum

RACERS = 8
UNITS = 100


@pytest.fixture(scope="module")
def racers() -> Iterator[tuple[Any, Any]]:
    """Eight spawned processes (and a manager for their start barrier), started once for
    every race of this module: spawning them costs seconds, the races a fraction of that."""
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(RACERS) as pool:
        yield pool, manager


def _buyer(url: str, customer_id: int, product_id: int, start: object) -> dict[str, int]:
    """Buy one unit at a time until the stock runs out; count what happened."""
    outcome: Counter[str] = Counter()
    with crpm_core.connect(url, migrate_schema=False) as crm:
        start.wait(timeout=120)  # type: ignore[attr-defined]  # all racers connected: go
        while True:
            try:
                crm.purchases.record(customer_id=customer_id, product_id=product_id, quantity=1)
                outcome["bought"] += 1
                # A short pause, as between two customers at a till: without it one process can
                # re-take SQLite's write lock before the others wake from their busy wait.
                time.sleep(0.002)
            except errors.InsufficientStock:
                outcome["refused"] += 1
                return dict(outcome)


@pytest.mark.slow
def test_eight_processes_sell_exactly_the_stock(
    crm: CRPM, db_url: URL, racers: tuple[Any, Any]
) -> None:
    customers = [
        crm.customers.add(name=f"Racer {i}", email=f"racer{i}@example.com") for i in range(RACERS)
    ]
    product = crm.products.add(name="Last tickets", price="12.34", stock=UNITS)
    url = db_url.render_as_string(hide_password=False)

    pool, manager = racers
    start = manager.Barrier(RACERS)
    pending = [pool.apply_async(_buyer, (url, c.id, product.id, start)) for c in customers]
    results = [p.get(timeout=300) for p in pending]

    assert sum(r.get("bought", 0) for r in results) == UNITS
    assert sum(1 for r in results if r.get("bought")) >= 2  # they really raced
    assert all(r["refused"] == 1 for r in results)  # each racer stopped at the empty shelf
    assert crm.products.get(product.id).stock == 0
    assert ledger_sum(crm, product.id) == 0
    with crm.db.transaction(write=False) as conn:
        sold = conn.execute(select(func.sum(purchases.c.quantity))).scalar_one()
    assert int(sold) == UNITS
    assert crm.reports.sales_summary().revenue == product.price * UNITS
    moves = crm.reports.stock_movements(product_id=product.id, limit=1000).items
    assert sorted(m.stock_after for m in moves if m.kind == "sale") == list(range(UNITS))


# Eight processes place random baskets over the same few products, listed in random orders.
BASKET_PRODUCTS = 5
BASKET_STOCK = (300, 220, 400, 150, 350)  # 1,420 units: some 350 orders


def _shopper(url: str, customer_id: int, product_ids: list[int], seed: int, start: object) -> Any:
    """Place random baskets of 1-4 lines (products in a random order, sometimes one twice)
    until every product is seen empty; count what happened. Anything but InsufficientStock
    reaching this caller is noted, never raised: the parent asserts on it."""
    rng = random.Random(seed)
    sold: Counter[int] = Counter()
    orders: list[int] = []
    outcome: Counter[str] = Counter()
    unexpected: list[str] = []
    empty: set[int] = set()
    with crpm_core.connect(url, migrate_schema=False) as crm:
        start.wait(timeout=120)  # type: ignore[attr-defined]
        began = time.monotonic()
        deadline = began + 60
        while len(empty) < len(product_ids) and time.monotonic() < deadline:
            left = [p for p in product_ids if p not in empty]
            lines = [(rng.choice(left), rng.randint(1, 3)) for _ in range(rng.randint(1, 4))]
            rng.shuffle(lines)
            try:
                order = crm.orders.place(customer_id=customer_id, lines=lines)
            except errors.InsufficientStock as exc:
                outcome["short"] += 1
                if exc.available == 0:
                    empty.add(exc.product_id)
            except errors.Busy:
                outcome["busy"] += 1
            except Exception as exc:  # a raw error, or a CRPM error that has no place here
                unexpected.append(f"{type(exc).__module__}.{type(exc).__name__}: {exc}")
                if len(unexpected) >= 5:
                    break
            else:
                outcome["placed"] += 1
                orders.append(order.id)
                for pid, qty in lines:
                    sold[pid] += qty
                assert [(x.product_id, x.quantity) for x in order.lines] == lines
                time.sleep(0.001)
        outcome["gave up"] = int(len(empty) < len(product_ids) and not unexpected)
        outcome["ms"] = int(1000 * (time.monotonic() - began))
    return {"sold": dict(sold), "orders": orders, "outcome": dict(outcome), "raw": unexpected}


@pytest.mark.slow
def test_eight_processes_place_baskets_without_deadlock_or_overselling(
    crm: CRPM, db_url: URL, racers: tuple[Any, Any]
) -> None:
    customers = [
        crm.customers.add(name=f"Shopper {i}", email=f"shopper{i}@example.com").id
        for i in range(RACERS)
    ]
    products = [
        crm.products.add(name=f"Basket good {i}", price=f"{i + 1}.25", stock=stock)
        for i, stock in enumerate(BASKET_STOCK)
    ]
    ids = [p.id for p in products]
    url = db_url.render_as_string(hide_password=False)
    seed = random.randrange(2**32)

    pool, manager = racers
    start = manager.Barrier(RACERS)
    began = time.monotonic()
    pending = [
        pool.apply_async(_shopper, (url, cid, ids, seed + i, start))
        for i, cid in enumerate(customers)
    ]
    results = [p.get(timeout=120) for p in pending]  # a deadlock would hang here
    took = time.monotonic() - began

    why = f"seed {seed}"
    assert [r["raw"] for r in results] == [[]] * RACERS, why  # only CRPM's refusals
    busy = sum(r["outcome"].get("busy", 0) for r in results)
    assert busy == 0, f"{busy} orders refused as Busy ({why})"
    assert not any(r["outcome"]["gave up"] for r in results), f"shelves never emptied ({why})"
    placed = sum(r["outcome"].get("placed", 0) for r in results)
    assert sum(1 for r in results if r["outcome"].get("placed")) >= 2, why  # they raced
    assert placed == len({o for r in results for o in r["orders"]})
    assert crm.orders.list().total == placed

    sold = Counter[int]()
    for r in results:
        sold.update({int(k): v for k, v in r["sold"].items()})
    for product, initial in zip(products, BASKET_STOCK, strict=True):
        now = crm.products.get(product.id).stock
        assert now == 0, why  # every shelf ran out ...
        assert sold[product.id] == initial - now  # ... exactly: nothing oversold or lost
        assert ledger_sum(crm, product.id) == now
        moves = crm.reports.stock_movements(product_id=product.id, limit=1000).items
        running = 0  # each movement, in the order written, leaves the stock it says
        for m in sorted(moves, key=lambda m: m.id):
            running += m.change
            assert m.stock_after == running, (product.id, m)
    perf = {r.product_id: r for r in crm.reports.product_performance()}
    assert {pid: perf[pid].units_sold for pid in ids} == {pid: sold[pid] for pid in ids}
    summary = crm.reports.sales_summary()
    assert summary.order_count == placed
    assert summary.revenue == sum((p.price * sold[p.id] for p in products), Decimal("0.00"))
    assert took < 60, f"took {took:.1f} s"
