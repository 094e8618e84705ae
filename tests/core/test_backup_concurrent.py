"""A backup taken while four processes keep selling is one consistent snapshot: restored, its
every product's stock equals the sum of its ledger, every sale has its ledger row, every order
its lines. Sales are made to land between the tables the backup reads, so a backup that read
each table at a different moment would fail here."""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL

import crpm_core
from crpm_core import CRPM, backup, errors
from crpm_core.backup import _snapshot
from crpm_core.persistence.tables import orders, purchases, stock_movements
from tests.databases import temporary_database
from tests.helpers import ledger_sum

SELLERS = 4
SALES_BETWEEN_TABLES = 3
"""Sales the sellers must complete after each table the backup has read, before it reads on."""


def _seller(url: str, seed: int, sold: Any, stop: Any) -> int:
    """Sell baskets (and now and then cancel one or restock) until told to stop."""
    rng = random.Random(seed)
    done = 0
    with crpm_core.connect(url, migrate_schema=False) as crm:
        customers = [c.id for c in crm.customers.list(limit=100).items]
        products = [p.id for p in crm.products.list(limit=100).items]
        while not stop.is_set():
            basket = rng.sample(products, rng.randint(1, 3))
            try:
                order = crm.orders.place(
                    customer_id=rng.choice(customers),
                    lines=[(pid, rng.randint(1, 3)) for pid in basket],
                )
                if rng.random() < 0.1:
                    crm.orders.cancel(order.id)
                elif rng.random() < 0.1:
                    crm.products.restock(basket[0], 5)
            except (errors.InsufficientStock, errors.Busy):
                continue
            done += 1
            with sold.get_lock():
                sold.value += 1
    return done


@pytest.fixture
def sellers(crm: CRPM, db_url: URL) -> Iterator[tuple[Any, Any]]:
    """Four processes selling from a shop of 6 customers and 8 products until the test ends."""
    for i in range(6):
        crm.customers.add(name=f"Buyer {i} Ñ", email=f"buyer{i}@example.com")
    for i in range(8):
        crm.products.add(name=f"Item {i}", price=f"{i + 1}.25", stock=100_000, sku=f"I-{i}")
    ctx = mp.get_context("spawn")
    sold = ctx.Value("l", 0)
    stop = ctx.Event()
    url = db_url.render_as_string(hide_password=False)
    workers = [ctx.Process(target=_seller, args=(url, n, sold, stop)) for n in range(SELLERS)]
    for w in workers:
        w.start()
    try:
        yield sold, stop
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=120)
            if w.is_alive():  # pragma: no cover - a hung seller: end it, fail loudly
                w.terminate()
                raise AssertionError("a seller did not stop")


def _wait_for(sold: Any, count: int) -> None:
    deadline = time.monotonic() + 120
    while sold.value < count:
        if time.monotonic() > deadline:  # pragma: no cover
            raise AssertionError(f"the sellers sold {sold.value} of {count}")
        time.sleep(0.01)


def test_a_backup_taken_while_four_processes_sell_is_consistent(
    crm: CRPM, backend: str, sellers: tuple[Any, Any], tmp_path: Path, monkeypatch: Any
) -> None:
    sold, stop = sellers
    _wait_for(sold, 40)  # the shop is busy
    read = _snapshot._dump_table
    during: list[int] = []

    def slow_read(*args: Any) -> Any:
        entry = read(*args)
        at = sold.value
        _wait_for(sold, at + SALES_BETWEEN_TABLES)  # the shop sells between two tables
        during.append(sold.value - at)
        return entry

    monkeypatch.setattr(_snapshot, "_dump_table", slow_read)
    made = backup.write(crm, tmp_path / "busy.zip")
    stop.set()
    assert len(during) == len(made.tables) and min(during) >= SALES_BETWEEN_TABLES

    with crm.db.transaction(write=False) as conn:
        now_purchases = conn.execute(select(func.count()).select_from(purchases)).scalar_one()
    archived = {t.name: t.rows for t in made.tables}
    assert now_purchases > archived["purchases"] > 0  # it sold before, during and after

    with temporary_database(backend, tmp_path) as target:
        backup.restore(tmp_path / "busy.zip", target.render_as_string(hide_password=False))
        with crpm_core.connect(target) as restored:
            products = restored.products.list(limit=100).items
            assert len(products) == 8
            for product in products:
                assert product.stock == ledger_sum(restored, product.id), product.name
            with restored.db.transaction(write=False) as conn:
                lines = conn.execute(select(func.count()).select_from(purchases)).scalar_one()
                sales = conn.execute(
                    select(func.count(func.distinct(stock_movements.c.purchase_id))).where(
                        stock_movements.c.kind == "sale"
                    )
                ).scalar_one()
                bare = conn.execute(
                    select(func.count())
                    .select_from(orders)
                    .where(
                        ~select(purchases.c.id).where(purchases.c.order_id == orders.c.id).exists()
                    )
                ).scalar_one()
            assert lines == archived["purchases"] == sales
            assert bare == 0
            audit = restored.audit.list(limit=1).items[0]
            assert audit.action == "restore"
            assert restored.audit.list(limit=1).total == archived["audit_log"] + 1
