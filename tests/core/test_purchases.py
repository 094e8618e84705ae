from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from crpm_core import CRPM, errors
from tests.helpers import ledger_sum, snapshot


@pytest.fixture
def shop(crm: CRPM) -> tuple[CRPM, int, int]:
    c = crm.customers.add(
        name="Łucja Kowalska", email="lucja@przyklad.pl", phone="+48 22 123 45 67"
    )
    p = crm.products.add(name="Pierogi (12)", price="6.49", stock=10, sku="PIE-12")
    return crm, c.id, p.id


def test_record_moves_stock_and_snapshots_price(shop: tuple[CRPM, int, int]) -> None:
    crm, cid, pid = shop
    sale = crm.purchases.record(customer_id=cid, product_id=pid, quantity=3)
    assert (sale.quantity, sale.unit_price, sale.total) == (3, Decimal("6.49"), Decimal("19.47"))
    assert sale.cancelled_at is None and sale.purchased_at.tzinfo is not None
    assert crm.purchases.get(sale.id) == sale
    assert crm.products.get(pid).stock == 7
    moves = crm.reports.stock_movements(product_id=pid).items
    assert (moves[0].kind, moves[0].change, moves[0].stock_after, moves[0].purchase_id) == (
        "sale",
        -3,
        7,
        sale.id,
    )
    assert ledger_sum(crm, pid) == 7


def test_selling_the_last_unit_and_then_one_too_many(shop: tuple[CRPM, int, int]) -> None:
    crm, cid, pid = shop
    crm.purchases.record(customer_id=cid, product_id=pid, quantity=10)
    assert crm.products.get(pid).stock == 0
    before = snapshot(crm)
    with pytest.raises(errors.InsufficientStock) as info:
        crm.purchases.record(customer_id=cid, product_id=pid, quantity=1)
    assert (info.value.requested, info.value.available) == (1, 0)
    assert snapshot(crm) == before


def test_inactive_parties_cannot_buy(shop: tuple[CRPM, int, int]) -> None:
    crm, cid, pid = shop
    crm.customers.deactivate(cid)
    before = snapshot(crm)
    with pytest.raises(errors.InactiveRecord):
        crm.purchases.record(customer_id=cid, product_id=pid, quantity=1)
    assert snapshot(crm) == before
    crm.customers.reactivate(cid)
    crm.products.deactivate(pid)
    with pytest.raises(errors.InactiveRecord):
        crm.purchases.record(customer_id=cid, product_id=pid, quantity=1)
    assert crm.products.get(pid).stock == 10


def test_missing_parties(shop: tuple[CRPM, int, int]) -> None:
    crm, cid, pid = shop
    with pytest.raises(errors.NotFound):
        crm.purchases.record(customer_id=cid + 1000, product_id=pid, quantity=1)
    with pytest.raises(errors.NotFound):
        crm.purchases.record(customer_id=cid, product_id=pid + 1000, quantity=1)
    with pytest.raises(errors.NotFound):
        crm.purchases.get(12345)


@pytest.mark.parametrize("qty", [0, -1, 1.5, "2", None, True])
def test_bad_quantities(shop: tuple[CRPM, int, int], qty: object) -> None:
    crm, cid, pid = shop
    with pytest.raises(errors.ValidationError) as info:
        crm.purchases.record(customer_id=cid, product_id=pid, quantity=qty)  # type: ignore[arg-type]
    assert info.value.field == "quantity"


def test_naive_timestamps_are_refused(shop: tuple[CRPM, int, int]) -> None:
    crm, cid, pid = shop
    with pytest.raises(errors.ValidationError) as info:
        crm.purchases.record(
            customer_id=cid, product_id=pid, quantity=1, purchased_at=datetime(2026, 1, 1)
        )
    assert info.value.field == "purchased_at"


def test_timestamps_come_back_in_utc(shop: tuple[CRPM, int, int]) -> None:
    crm, cid, pid = shop
    tokyo = timezone(timedelta(hours=9))
    sale = crm.purchases.record(
        customer_id=cid,
        product_id=pid,
        quantity=1,
        purchased_at=datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=tokyo),
    )
    assert sale.purchased_at == datetime(2026, 2, 28, 23, 30, 0, 123456, tzinfo=UTC)
    assert sale.purchased_at.utcoffset() == timedelta(0)


def test_cancel_restores_stock_and_stays_in_history(shop: tuple[CRPM, int, int]) -> None:
    crm, cid, pid = shop
    sale = crm.purchases.record(customer_id=cid, product_id=pid, quantity=4)
    cancelled = crm.purchases.cancel(sale.id)
    assert cancelled.cancelled_at is not None and cancelled.total == sale.total
    assert crm.products.get(pid).stock == 10
    [line] = crm.purchases.history(cid)
    assert line.cancelled and line.purchase_id == sale.id
    before = snapshot(crm)
    with pytest.raises(errors.Conflict):
        crm.purchases.cancel(sale.id)
    assert snapshot(crm) == before
    kinds = [m.kind for m in crm.reports.stock_movements(product_id=pid).items]
    assert kinds == ["cancel", "sale", "initial"]
    assert ledger_sum(crm, pid) == 10


def test_history_newest_first_with_product_details(shop: tuple[CRPM, int, int]) -> None:
    crm, cid, pid = shop
    other = crm.products.add(name="Kompot", price="2.00", stock=5)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    crm.purchases.record(customer_id=cid, product_id=pid, quantity=1, purchased_at=t0)
    crm.purchases.record(
        customer_id=cid, product_id=other.id, quantity=2, purchased_at=t0 + timedelta(days=1)
    )
    history = crm.purchases.history(cid)
    assert [(h.product_name, h.quantity, h.total) for h in history] == [
        ("Kompot", 2, Decimal("4.00")),
        ("Pierogi (12)", 1, Decimal("6.49")),
    ]
    assert history[0].customer_name == "Łucja Kowalska"


def test_history_of_missing_customer(crm: CRPM) -> None:
    with pytest.raises(errors.NotFound):
        crm.purchases.history(77)


def test_list_filters_by_range_with_midnight_boundaries(shop: tuple[CRPM, int, int]) -> None:
    crm, cid, pid = shop
    midnight = datetime(2026, 2, 1, tzinfo=UTC)
    for at in (midnight - timedelta(microseconds=1), midnight, midnight + timedelta(days=1)):
        crm.purchases.record(customer_id=cid, product_id=pid, quantity=1, purchased_at=at)
    january = crm.purchases.list(end=midnight)
    february_1st = crm.purchases.list(start=midnight, end=midnight + timedelta(days=1))
    assert [line.purchased_at for line in january.items] == [midnight - timedelta(microseconds=1)]
    assert [line.purchased_at for line in february_1st.items] == [midnight]
    assert crm.purchases.list(start=midnight).total == 2
    assert crm.purchases.list(product_id=pid, customer_id=cid, limit=2).total == 3
    assert len(crm.purchases.list(limit=2).items) == 2
