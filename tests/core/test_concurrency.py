"""Eight processes race for the last 100 units: exactly 100 are sold and nothing is lost."""

from __future__ import annotations

import multiprocessing as mp
import time
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL

import crpm_core
from crpm_core import CRPM, errors
from crpm_core.persistence.tables import purchases
from tests.helpers import ledger_sum

RACERS = 8
UNITS = 100


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
def test_eight_processes_sell_exactly_the_stock(crm: CRPM, db_url: URL) -> None:
    customers = [
        crm.customers.add(name=f"Racer {i}", email=f"racer{i}@example.com") for i in range(RACERS)
    ]
    product = crm.products.add(name="Last tickets", price="12.34", stock=UNITS)
    url = db_url.render_as_string(hide_password=False)

    ctx = mp.get_context("spawn")
    manager = ctx.Manager()
    start = manager.Barrier(RACERS)
    with ctx.Pool(RACERS) as pool:
        pending = [pool.apply_async(_buyer, (url, c.id, product.id, start)) for c in customers]
        results = [p.get(timeout=300) for p in pending]
    manager.shutdown()

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
