"""The unit of work: several calls in one transaction, the handle's clock and actor on every
record, and a refusal (or a busy database) that leaves nothing behind."""

from __future__ import annotations

import io
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

import crpm_core
from crpm_core import CRPM, errors, transfer
from crpm_core.transfer import Progress
from tests.helpers import ledger_sum, snapshot

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def test_calls_in_a_block_commit_together(crm: CRPM) -> None:
    tea = crm.products.add(name="Tea", price="2.50", stock=10, sku="TEA")
    with crm.transaction() as tx:
        zoe = tx.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
        sale = tx.purchases.record(customer_id=zoe.id, product_id=tea.id, quantity=3)
        # the block sees its own writes before they are committed
        assert tx.products.get(tea.id).stock == 7
        assert tx.reports.sales_summary().revenue == Decimal("7.50")
    assert crm.customers.get(zoe.id).name == "Zoë O'Brien"
    assert crm.purchases.get(sale.id).total == Decimal("7.50")
    assert crm.products.get(tea.id).stock == 7 == ledger_sum(crm, tea.id)


def test_an_exception_in_a_block_rolls_every_call_back(crm: CRPM) -> None:
    tea = crm.products.add(name="Tea", price="2.50", stock=10, sku="TEA")
    before = snapshot(crm)
    with pytest.raises(errors.InsufficientStock), crm.transaction() as tx:
        zoe = tx.customers.add(name="Zoë", email="zoe@example.ie")
        tx.purchases.record(customer_id=zoe.id, product_id=tea.id, quantity=4)
        tx.products.restock(tea.id, 5, note="delivery")
        tx.settings.update(shop_name="Zoë's")
        tx.purchases.record(customer_id=zoe.id, product_id=tea.id, quantity=12)  # 11 left
    assert snapshot(crm) == before


def test_a_refusal_caught_inside_a_block_leaves_nothing_of_itself(crm: CRPM) -> None:
    tea = crm.products.add(name="Tea", price="2.50", stock=5, sku="TEA")
    with crm.transaction() as tx:
        zoe = tx.customers.add(name="Zoë", email="zoe@example.ie")
        inside = snapshot_in(tx)
        with pytest.raises(errors.Conflict):
            tx.customers.add(name="Zoë again", email="ZOE@example.ie")
        with pytest.raises(errors.InsufficientStock):
            tx.purchases.record(customer_id=zoe.id, product_id=tea.id, quantity=6)
        assert tx.products.get(tea.id).stock == 5
        assert snapshot_in(tx) == inside
        tx.purchases.record(customer_id=zoe.id, product_id=tea.id, quantity=5)
    assert crm.products.get(tea.id).stock == 0 == ledger_sum(crm, tea.id)
    assert crm.customers.list().total == 1


def snapshot_in(tx: Any) -> tuple[Any, ...]:
    return (
        tx.customers.list(limit=1000).items,
        tx.products.list(limit=1000).items,
        tx.reports.stock_movements(limit=1000).items,
    )


def test_the_handle_clock_stamps_everything_it_writes(db_url: URL, tmp_path: Path) -> None:
    now = [T0]
    with crpm_core.connect(db_url, clock=lambda: now[0]) as crm:
        _empty(crm)
        c = crm.customers.add(name="Ann", email="ann@example.com")
        p = crm.products.add(name="Mug", price="9.99", stock=3, sku="MUG")
        now[0] = T0 + timedelta(hours=1)
        sale = crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1)
        csv = io.StringIO("name,email,phone\nBea,bea@example.com,\n")
        transfer.import_customers(crm, csv)
        products = io.StringIO("sku,name,price,stock\nPEN,Pen,1.00,4\n")
        transfer.import_products(crm, products)
        assert c.created_at == p.created_at == T0
        assert sale.purchased_at == T0 + timedelta(hours=1)
        imported = crm.customers.list(search="bea").items[0]
        assert imported.created_at == T0 + timedelta(hours=1)  # the handle's clock, not today
        moves = crm.reports.stock_movements(limit=10).items
        assert {m.at for m in moves} == {T0, T0 + timedelta(hours=1)}
        assert {m.actor for m in moves} == {"system"}


def _empty(crm: CRPM) -> None:
    from tests.helpers import wipe

    wipe(crm)


def test_a_write_that_cannot_get_the_database_is_busy_and_changes_nothing(
    backend: str, db_url: URL
) -> None:
    crm = crpm_core.connect(db_url, busy_timeout=0.3)
    try:
        _empty(crm)
        p = crm.products.add(name="Lamp", price="40.00", stock=3, sku="LAMP")
        before = snapshot(crm)
        with _held_lock(backend, db_url, p.id), pytest.raises(errors.Busy) as busy:
            crm.products.restock(p.id, 5)
        assert "busy" in str(busy.value)
        assert snapshot(crm) == before
    finally:
        crm.close()


class _held_lock:  # noqa: N801 - reads like a context manager function
    """Another connection holds what a restock needs: SQLite's write lock, or the row."""

    def __init__(self, backend: str, url: URL, product_id: int) -> None:
        self.backend, self.url, self.product_id = backend, url, product_id

    def __enter__(self) -> None:
        if self.backend == "sqlite":
            self.raw: Any = sqlite3.connect(str(self.url.database), isolation_level=None)
            self.raw.execute("BEGIN IMMEDIATE")
            return
        from crpm_core.persistence.dialects import make_engine

        self.engine = make_engine(self.url)
        self.conn = self.engine.connect()
        self.tx = self.conn.begin()
        self.conn.execute(
            text("SELECT id FROM products WHERE id = :id FOR UPDATE"), {"id": self.product_id}
        )

    def __exit__(self, *exc: object) -> None:
        if self.backend == "sqlite":
            self.raw.execute("ROLLBACK")
            self.raw.close()
            return
        self.tx.rollback()
        self.conn.close()
        self.engine.dispose()


def test_an_import_checks_its_rows_without_holding_the_write_lock(
    backend: str, db_url: URL
) -> None:
    """While a large file is being checked, the counter keeps selling."""
    crm = crpm_core.connect(db_url)
    other = crpm_core.connect(db_url, busy_timeout=0.5)
    try:
        _empty(crm)
        rows = "".join(f"Cust {i},c{i}@example.com,\n" for i in range(2_500))
        sold_meanwhile: list[int] = []

        def during(progress: Progress) -> None:
            if progress.phase == "checking" and not sold_meanwhile:
                c = other.customers.add(name="Walk-in", email="walkin@example.com")
                sold_meanwhile.append(c.id)

        result = transfer.import_customers(
            crm, io.StringIO("name,email,phone\n" + rows), progress=during
        )
        assert result.rows == 2_500 and len(sold_meanwhile) == 1
        assert crm.customers.list().total == 2_501
    finally:
        other.close()
        crm.close()


def test_an_email_taken_between_checking_and_writing_refuses_the_file(crm: CRPM) -> None:
    added: list[int] = []

    def during(progress: Progress) -> None:
        if progress.phase == "checking" and progress.fraction == 1.0 and not added:
            added.append(crm.customers.add(name="Quick", email="C7@example.com").id)

    rows = "".join(f"Cust {i},c{i}@example.com,\n" for i in range(20))
    before_rows = 0
    with pytest.raises(errors.Conflict, match="changed during the import"):
        transfer.import_customers(crm, io.StringIO("name,email,phone\n" + rows), progress=during)
    assert crm.customers.list().total == before_rows + 1  # only the one added meanwhile


def test_sums_beyond_64_bits_are_exact_in_every_report(crm: CRPM) -> None:
    """A product at 1,000,000,000.00 with a billion in stock, and 95 sales of a million
    units: every total is past 2**63 minor units, and every report still answers exactly."""
    gold = crm.products.add(name="Gold bar", price="1000000000", stock=1_000_000_000, sku="AU")
    cheap = crm.products.add(name="Pin", price="0.01", stock=10, sku="PIN")
    buyers = [crm.customers.add(name=f"B{i}", email=f"b{i}@example.com") for i in range(3)]
    at = datetime(2026, 5, 1, 12, tzinfo=UTC)
    with crm.transaction() as tx:
        for i in range(95):
            tx.purchases.record(
                customer_id=buyers[i % 3].id,
                product_id=gold.id,
                quantity=1_000_000,
                purchased_at=at + timedelta(minutes=i),
            )
        tx.purchases.record(
            customer_id=buyers[0].id, product_id=cheap.id, quantity=1, purchased_at=at
        )
    per_sale = Decimal(1_000_000_000) * 1_000_000
    summary = crm.reports.sales_summary()
    assert summary.revenue == per_sale * 95 + Decimal("0.01")
    assert summary.stock_value == Decimal(905_000_000) * 1_000_000_000 + Decimal("0.09")
    top = crm.reports.top_customers()
    assert [t.revenue for t in top] == [
        per_sale * 32 + Decimal("0.01"),
        per_sale * 32,
        per_sale * 31,
    ]
    perf = {p.product_id: p for p in crm.reports.product_performance()}
    assert perf[gold.id].revenue == per_sale * 95
    series = crm.reports.sales_over_time(bucket="month")
    assert [s.revenue for s in series] == [per_sale * 95 + Decimal("0.01")]


def test_racing_deactivation_and_deletion_give_crpm_errors_only(crm: CRPM) -> None:
    """Sales race a product flipping active and customers being deleted: each sale either
    succeeds or is refused with the right CRPM error; never a RuntimeError or a raw error."""
    lamp = crm.products.add(name="Lamp", price="1.00", stock=10_000, sku="LAMP")
    stop = threading.Event()
    outcomes: list[str] = []
    unexpected: list[BaseException] = []

    def flipper() -> None:
        while not stop.is_set():
            try:
                crm.products.deactivate(lamp.id)
                crm.products.reactivate(lamp.id)
            except BaseException as exc:  # pragma: no cover - reported below
                unexpected.append(exc)

    def seller(n: int) -> None:
        for i in range(25):
            try:
                c = crm.customers.add(name="Racer", email=f"r{n}-{i}@example.com")
                deleter = threading.Thread(target=_delete_quietly, args=(crm, c.id, unexpected))
                deleter.start()
                try:
                    crm.purchases.record(customer_id=c.id, product_id=lamp.id, quantity=1)
                    outcomes.append("sold")
                except (errors.InactiveRecord, errors.NotFound, errors.Busy) as exc:
                    outcomes.append(type(exc).__name__)
                deleter.join()
            except BaseException as exc:
                unexpected.append(exc)

    threads = [threading.Thread(target=flipper)] + [
        threading.Thread(target=seller, args=(n,)) for n in range(3)
    ]
    for t in threads[1:]:
        t.start()
    threads[0].start()
    for t in threads[1:]:
        t.join()
    stop.set()
    threads[0].join()
    assert unexpected == []
    assert len(outcomes) == 75
    sold = outcomes.count("sold")
    assert crm.products.get(lamp.id).stock == 10_000 - sold == ledger_sum(crm, lamp.id)


def _delete_quietly(crm: CRPM, customer_id: int, unexpected: list[BaseException]) -> None:
    try:
        crm.customers.delete(customer_id)
    except errors.Conflict:
        pass  # the sale came first: a customer with history is never deleted
    except BaseException as exc:
        unexpected.append(exc)


class Boom(Exception):
    pass


def test_a_call_failing_after_its_first_write_is_undone_inside_a_block(
    crm: CRPM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each call in a block runs in a savepoint: a restock whose ledger row fails after the
    stock was already raised leaves neither behind, and the block still commits the rest."""
    from crpm_core.services import ledger

    p = crm.products.add(name="Lamp", price="40.00", stock=5, sku="LAMP")

    def explode(*_: object, **__: object) -> None:
        raise Boom

    with crm.transaction() as tx:
        with monkeypatch.context() as patched:
            patched.setattr(ledger, "record", explode)
            with pytest.raises(Boom):
                tx.products.restock(p.id, 3)
        assert tx.products.get(p.id).stock == 5
        tx.products.restock(p.id, 1)
    assert crm.products.get(p.id).stock == 6 == ledger_sum(crm, p.id)
