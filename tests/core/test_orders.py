"""Orders of several lines, placed all or nothing; cancels and partial returns; reports net
of returns."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crpm_core import CRPM, errors
from tests.helpers import ledger_sum, snapshot

T = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def _shop(crm: CRPM) -> tuple[int, int, int, int]:
    zoe = crm.customers.add(name="Zoë Ó Briain-Łukasiewicz", email="zoe@example.ie").id
    tea = crm.products.add(name="Чай", price="6.50", stock=10, sku="TEA").id
    wine = crm.products.add(name="Κρασί", price="12.00", stock=4, sku="WINE").id
    mug = crm.products.add(name="Mug", price="9.99", stock=2, sku="MUG").id
    return zoe, tea, wine, mug


def test_an_order_of_several_lines_moves_each_stock_and_writes_each_line(crm: CRPM) -> None:
    zoe, tea, wine, _ = _shop(crm)
    order = crm.orders.place(
        customer_id=zoe,
        lines=[(tea, 3), {"product_id": wine, "quantity": 1}, (tea, 2)],
        note="gift wrap",
        ref="POS-0001",
    )
    assert [(line.product_id, line.quantity) for line in order.lines] == [
        (tea, 3),
        (wine, 1),
        (tea, 2),
    ]
    assert order.total == Decimal("6.50") * 5 + Decimal("12.00") == Decimal("44.50")
    assert (order.ref, order.note, order.customer_id, order.cancelled_at) == (
        "POS-0001",
        "gift wrap",
        zoe,
        None,
    )
    assert all(line.order_id == order.id for line in order.lines)
    assert crm.products.get(tea).stock == 5 == ledger_sum(crm, tea)
    assert crm.products.get(wine).stock == 3 == ledger_sum(crm, wine)
    sales = crm.reports.stock_movements(kind="sale").items
    assert sorted(m.purchase_id for m in sales) == sorted(line.id for line in order.lines)
    assert crm.orders.get(order.id) == order
    summary = crm.reports.sales_summary()
    assert (summary.revenue, summary.units_sold, summary.purchase_count, summary.order_count) == (
        Decimal("44.50"),
        6,
        3,
        1,
    )
    assert summary.average_order_value == Decimal("44.50")


def test_the_same_product_on_two_lines_counts_once_in_total(crm: CRPM) -> None:
    zoe, _, _, mug = _shop(crm)
    before = snapshot(crm)
    with pytest.raises(errors.InsufficientStock) as short:
        crm.orders.place(customer_id=zoe, lines=[(mug, 1), (mug, 2)])
    assert (short.value.product_id, short.value.requested, short.value.available) == (mug, 3, 2)
    assert snapshot(crm) == before


@pytest.mark.parametrize("which", ["inactive", "missing", "short", "customer"])
def test_one_bad_line_refuses_the_whole_order(crm: CRPM, which: str) -> None:
    zoe, tea, wine, mug = _shop(crm)
    lines = [(tea, 1), (wine, 1), (mug, 1)]
    expected: type[errors.CRPMError]
    if which == "inactive":
        crm.products.deactivate(wine)
        expected = errors.InactiveRecord
    elif which == "missing":
        lines.append((10**9, 1))
        expected = errors.NotFound
    elif which == "short":
        lines[2] = (mug, 3)
        expected = errors.InsufficientStock
    else:
        crm.customers.deactivate(zoe)
        expected = errors.InactiveRecord
    before = snapshot(crm)
    with pytest.raises(expected):
        crm.orders.place(customer_id=zoe, lines=lines)
    assert snapshot(crm) == before


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ("TEA", "lines"),
        ({"product_id": 1, "quantity": 1}, "lines"),
        ([(1,)], "lines[0]"),
        ([(1, 1), (1, 0)], "lines[1].quantity"),
        ([(1, 1), (1, 1.5)], "lines[1].quantity"),
        ([{"product_id": 1}], "lines[0]"),
        ([{"product_id": "1", "quantity": 1}], "lines[0].product_id"),
        ([{"product_id": 1, "quantity": 1, "price": 0}], "lines[0]"),
    ],
)
def test_bad_lines_name_the_line_and_change_nothing(crm: CRPM, lines: object, field: str) -> None:
    zoe, *_ = _shop(crm)
    before = snapshot(crm)
    with pytest.raises(errors.ValidationError) as bad:
        crm.orders.place(customer_id=zoe, lines=lines)
    assert bad.value.field == field
    assert snapshot(crm) == before


def test_an_order_number_is_unique(crm: CRPM) -> None:
    zoe, tea, *_ = _shop(crm)
    crm.orders.place(customer_id=zoe, lines=[(tea, 1)], ref="WEB-7")
    before = snapshot(crm)
    with pytest.raises(errors.Conflict) as taken:
        crm.orders.place(customer_id=zoe, lines=[(tea, 1)], ref="WEB-7")
    assert taken.value.field == "ref"
    assert snapshot(crm) == before
    with pytest.raises(errors.ValidationError):
        crm.orders.place(customer_id=zoe, lines=[(tea, 1)], ref="has space")


def test_orders_list_newest_first_with_cancelled_ones(crm: CRPM) -> None:
    zoe, tea, wine, _ = _shop(crm)
    ann = crm.customers.add(name="Ann", email="ann@example.com").id
    first = crm.orders.place(customer_id=zoe, lines=[(tea, 1)], purchased_at=T)
    second = crm.orders.place(customer_id=ann, lines=[(wine, 1)], purchased_at=T + timedelta(1))
    third = crm.orders.place(customer_id=zoe, lines=[(tea, 2)], purchased_at=T + timedelta(2))
    crm.orders.cancel(second.id)
    page = crm.orders.list()
    assert [o.id for o in page.items] == [third.id, second.id, first.id] and page.total == 3
    assert page.items[1].cancelled_at is not None
    assert [o.id for o in crm.orders.list(customer_id=zoe).items] == [third.id, first.id]
    window = crm.orders.list(start=T + timedelta(1), end=T + timedelta(2))
    assert [o.id for o in window.items] == [second.id]
    assert [o.id for o in crm.orders.list(limit=1, offset=1).items] == [second.id]


def test_a_one_line_sale_is_an_order(crm: CRPM) -> None:
    zoe, tea, *_ = _shop(crm)
    sale = crm.purchases.record(customer_id=zoe, product_id=tea, quantity=2)
    order = crm.orders.get(sale.order_id)
    assert order.lines == (sale,) and order.total == sale.total == Decimal("13.00")


def test_returns_give_back_part_of_a_line_and_reports_drop_them(crm: CRPM) -> None:
    zoe, tea, wine, _ = _shop(crm)
    order = crm.orders.place(customer_id=zoe, lines=[(tea, 5), (wine, 2)], purchased_at=T)
    tea_line = order.lines[0]
    back = crm.purchases.return_items(tea_line.id, 2, note="two were broken")
    assert (back.returned_quantity, back.total, back.quantity) == (2, Decimal("19.50"), 5)
    assert crm.products.get(tea).stock == 7 == ledger_sum(crm, tea)
    (ret,) = crm.reports.stock_movements(kind="return").items
    assert (ret.product_id, ret.change, ret.note, ret.purchase_id) == (
        tea,
        2,
        "two were broken",
        tea_line.id,
    )
    assert crm.orders.get(order.id).total == Decimal("19.50") + Decimal("24.00")
    summary = crm.reports.sales_summary()
    assert (summary.revenue, summary.units_sold, summary.returned_units) == (
        Decimal("43.50"),
        5,
        2,
    )
    midnight = T.replace(hour=0, minute=0)
    (day,) = crm.reports.sales_over_time(start=midnight, end=midnight + timedelta(days=1))
    assert (day.revenue, day.units_sold) == (Decimal("43.50"), 5)
    perf = {p.product_id: p for p in crm.reports.product_performance()}
    assert (perf[tea].units_sold, perf[tea].revenue) == (3, Decimal("19.50"))
    (top,) = crm.reports.top_customers()
    assert (top.revenue, top.units, top.order_count) == (Decimal("43.50"), 5, 1)
    (line,) = [h for h in crm.purchases.history(zoe) if h.purchase_id == tea_line.id]
    assert (line.returned_quantity, line.total) == (2, Decimal("19.50"))

    before = snapshot(crm)
    with pytest.raises(errors.Conflict) as too_many:
        crm.purchases.return_items(tea_line.id, 4)
    assert "3 units left" in str(too_many.value)
    assert snapshot(crm) == before

    # a later cancel gives back only what was not returned
    crm.orders.cancel(order.id)
    assert crm.products.get(tea).stock == 10 == ledger_sum(crm, tea)
    assert crm.products.get(wine).stock == 4 == ledger_sum(crm, wine)
    with pytest.raises(errors.Conflict):
        crm.purchases.return_items(tea_line.id, 1)
    with pytest.raises(errors.Conflict):
        crm.orders.cancel(order.id)
    assert crm.reports.sales_summary().revenue == Decimal("0.00")


def test_cancelling_every_line_cancels_the_order(crm: CRPM) -> None:
    zoe, tea, wine, _ = _shop(crm)
    order = crm.orders.place(customer_id=zoe, lines=[(tea, 1), (wine, 1)])
    crm.purchases.cancel(order.lines[0].id)
    assert crm.orders.get(order.id).cancelled_at is None
    crm.purchases.cancel(order.lines[1].id)
    assert crm.orders.get(order.id).cancelled_at is not None
    with pytest.raises(errors.Conflict):
        crm.purchases.cancel(order.lines[1].id)


def test_a_fully_returned_line_stays_a_line_with_nothing_to_pay(crm: CRPM) -> None:
    zoe, tea, *_ = _shop(crm)
    sale = crm.purchases.record(customer_id=zoe, product_id=tea, quantity=3)
    back = crm.purchases.return_items(sale.id, 3)
    assert (back.total, back.returnable) == (Decimal("0.00"), 0)
    assert crm.purchases.cancel(sale.id).cancelled  # nothing more comes back
    assert crm.products.get(tea).stock == 10 == ledger_sum(crm, tea)


def test_concurrent_returns_never_give_back_more_than_was_sold(crm: CRPM) -> None:
    zoe, tea, *_ = _shop(crm)
    sale = crm.purchases.record(customer_id=zoe, product_id=tea, quantity=5)
    results: list[str] = []

    def give_back() -> None:
        for _ in range(3):
            try:
                crm.purchases.return_items(sale.id, 1)
                results.append("ok")
            except errors.Conflict:
                results.append("refused")
            except errors.Busy:
                results.append("busy")

    threads = [threading.Thread(target=give_back) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 5 and "busy" not in results
    assert crm.purchases.get(sale.id).returned_quantity == 5
    assert crm.products.get(tea).stock == 10 == ledger_sum(crm, tea)
