from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crpm_core import CRPM, errors
from crpm_core.services.reports import floor_period, next_period
from tests.helpers import wipe

T0 = datetime(2026, 1, 31, tzinfo=UTC)  # a Saturday, last day of a month


def _shop(crm: CRPM) -> dict[str, int]:
    ids = {}
    for name, email in [("Zoë O'Brien", "zoe@x.ie"), ("José", "jose@x.es"), ("山田", "y@x.jp")]:
        ids[name] = crm.customers.add(name=name, email=email).id
    for name, price, stock in [("Tea", "3.50", 100), ("Mug", "9.99", 50), ("Never", "1.00", 7)]:
        ids[name] = crm.products.add(name=name, price=price, stock=stock).id
    return ids


def test_summary_counts_only_live_purchases_in_range(crm: CRPM) -> None:
    ids = _shop(crm)
    buy = crm.purchases.record
    buy(customer_id=ids["Zoë O'Brien"], product_id=ids["Tea"], quantity=2, purchased_at=T0)
    buy(
        customer_id=ids["José"],
        product_id=ids["Mug"],
        quantity=1,
        purchased_at=T0 + timedelta(days=1),
    )
    gone = buy(customer_id=ids["José"], product_id=ids["Tea"], quantity=5, purchased_at=T0)
    crm.purchases.cancel(gone.id)
    crm.products.restock(ids["Never"], 3)

    s = crm.reports.sales_summary()
    assert (s.revenue, s.units_sold, s.purchase_count, s.buyer_count) == (Decimal("16.99"), 3, 2, 2)
    assert s.average_order_value == Decimal("8.50")  # 8.495 rounds half up
    assert s.cancelled_count == 1 and s.restocked_units == 3
    assert s.stock_units == 98 + 49 + 10
    assert s.stock_value == Decimal("98") * Decimal("3.50") + 49 * Decimal("9.99") + 10

    jan = crm.reports.sales_summary(end=T0 + timedelta(days=1))  # end is exclusive: midnight Feb 1
    assert (jan.revenue, jan.purchase_count) == (Decimal("7.00"), 1)
    feb = crm.reports.sales_summary(start=T0 + timedelta(days=1))
    assert (feb.revenue, feb.purchase_count) == (Decimal("9.99"), 1)
    empty = crm.reports.sales_summary(start=T0 + timedelta(days=30))
    assert (empty.revenue, empty.average_order_value, empty.buyer_count) == (
        Decimal("0.00"),
    ) * 2 + (0,)


def test_top_customers_share_ranks_on_ties(crm: CRPM) -> None:
    ids = _shop(crm)
    for name in ("Zoë O'Brien", "José"):
        crm.purchases.record(customer_id=ids[name], product_id=ids["Mug"], quantity=2)
    crm.purchases.record(customer_id=ids["山田"], product_id=ids["Tea"], quantity=1)
    top = crm.reports.top_customers()
    assert [(t.rank, t.name, t.revenue) for t in top] == [
        (1, "Zoë O'Brien", Decimal("19.98")),
        (1, "José", Decimal("19.98")),
        (3, "山田", Decimal("3.50")),
    ]
    assert [t.name for t in crm.reports.top_customers(limit=1)] == ["Zoë O'Brien"]


def test_product_performance_includes_products_never_sold(crm: CRPM) -> None:
    ids = _shop(crm)
    crm.purchases.record(customer_id=ids["José"], product_id=ids["Tea"], quantity=3)
    crm.purchases.record(customer_id=ids["José"], product_id=ids["Mug"], quantity=1)
    perf = crm.reports.product_performance()
    assert [(p.name, p.units_sold, p.revenue, p.stock, p.rank) for p in perf] == [
        ("Tea", 3, Decimal("10.50"), 97, 1),
        ("Mug", 1, Decimal("9.99"), 49, 2),
        ("Never", 0, Decimal("0.00"), 7, 3),
    ]


def test_sales_over_time_fills_gaps_and_respects_midnight(crm: CRPM) -> None:
    ids = _shop(crm)
    for at in (
        T0,
        T0 + timedelta(days=1),
        T0 + timedelta(days=1, microseconds=-1),
        T0 + timedelta(days=4),
    ):
        crm.purchases.record(
            customer_id=ids["José"], product_id=ids["Tea"], quantity=1, purchased_at=at
        )
    days = crm.reports.sales_over_time(bucket="day")
    assert [(d.period_start.day, d.units_sold) for d in days] == [
        (31, 2),
        (1, 1),
        (2, 0),
        (3, 0),
        (4, 1),
    ]
    weeks = crm.reports.sales_over_time(bucket="week")
    assert [(w.period_start.date().isoformat(), w.units_sold) for w in weeks] == [
        ("2026-01-26", 3),
        ("2026-02-02", 1),
    ]
    months = crm.reports.sales_over_time(
        bucket="month",
        start=datetime(2025, 12, 15, tzinfo=UTC),
        end=datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert [(m.period_start.month, m.units_sold, m.revenue) for m in months] == [
        (12, 0, Decimal("0.00")),
        (1, 2, Decimal("7.00")),
        (2, 2, Decimal("7.00")),
    ]
    one = crm.reports.sales_over_time(bucket="day", product_id=ids["Mug"])
    assert one == []
    with pytest.raises(errors.ValidationError) as info:
        crm.reports.sales_over_time(bucket="year")  # type: ignore[arg-type]
    assert info.value.field == "bucket"


def test_end_before_start_is_refused(crm: CRPM) -> None:
    with pytest.raises(errors.ValidationError) as info:
        crm.reports.sales_summary(start=T0, end=T0 - timedelta(seconds=1))
    assert info.value.field == "end"


@pytest.mark.parametrize("bucket", ["day", "week", "month"])
def test_period_helpers(bucket: str) -> None:
    at = datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)
    start = floor_period(at, bucket)  # type: ignore[arg-type]
    assert start <= at < next_period(start, bucket)  # type: ignore[arg-type]


# Property: for any generated history, every report equals a plain-Python recomputation.
histories = st.lists(
    st.tuples(
        st.integers(0, 3),  # customer
        st.integers(0, 3),  # product
        st.integers(1, 4),  # quantity
        st.integers(0, 60 * 24 * 3),  # minutes after T0 (three days, midnights included)
        st.booleans(),  # cancelled
    ),
    max_size=25,
)
PRICES = [Decimal("0.10"), Decimal("3.33"), Decimal("19.99"), Decimal("0.00")]


@settings(max_examples=30)
@given(history=histories, window=st.tuples(st.integers(0, 4320), st.integers(0, 4320)))
def test_reports_equal_a_python_recomputation(
    crm: CRPM, history: list[tuple[int, int, int, int, bool]], window: tuple[int, int]
) -> None:
    wipe(crm)
    cust = [crm.customers.add(name=f"C{i}", email=f"c{i}@x.com").id for i in range(4)]
    prod = [crm.products.add(name=f"P{i}", price=PRICES[i], stock=1000).id for i in range(4)]
    lines = []
    for c, p, q, minutes, cancel in history:
        at = T0 + timedelta(minutes=minutes)
        sale = crm.purchases.record(
            customer_id=cust[c], product_id=prod[p], quantity=q, purchased_at=at
        )
        if cancel:
            crm.purchases.cancel(sale.id)
        else:
            lines.append((c, p, q, at, PRICES[p] * q))
    lo = T0 + timedelta(minutes=min(window))
    hi = T0 + timedelta(minutes=max(window))
    live = [ln for ln in lines if lo <= ln[3] < hi]

    s = crm.reports.sales_summary(start=lo, end=hi)
    assert s.revenue == sum((ln[4] for ln in live), Decimal("0.00"))
    assert s.units_sold == sum(ln[2] for ln in live)
    assert s.purchase_count == len(live)
    assert s.buyer_count == len({ln[0] for ln in live})

    by_customer: dict[int, Decimal] = {}
    for ln in live:
        by_customer[cust[ln[0]]] = by_customer.get(cust[ln[0]], Decimal(0)) + ln[4]
    top = crm.reports.top_customers(start=lo, end=hi)
    assert {t.customer_id: t.revenue for t in top} == by_customer
    assert [t.revenue for t in top] == sorted(by_customer.values(), reverse=True)
    for t in top:
        assert t.rank == 1 + sum(1 for r in by_customer.values() if r > t.revenue)

    perf = {
        r.product_id: (r.units_sold, r.revenue)
        for r in crm.reports.product_performance(start=lo, end=hi)
    }
    expected = {pid: (0, Decimal("0.00")) for pid in prod}
    for ln in live:
        units, revenue = expected[prod[ln[1]]]
        expected[prod[ln[1]]] = (units + ln[2], revenue + ln[4])
    assert perf == expected

    for bucket in ("day", "week"):
        series = crm.reports.sales_over_time(bucket=bucket, start=lo, end=hi)  # type: ignore[arg-type]
        per: dict[datetime, int] = {}
        for ln in live:
            key = floor_period(ln[3], bucket)  # type: ignore[arg-type]
            per[key] = per.get(key, 0) + ln[2]
        assert {x.period_start: x.units_sold for x in series if x.units_sold} == per
        assert sum((x.revenue for x in series), Decimal("0.00")) == s.revenue
        if lo < hi:
            assert series[0].period_start == floor_period(lo, bucket)  # type: ignore[arg-type]


def test_summary_of_one_customer_or_product_and_ledger_by_kind(crm: CRPM) -> None:
    ids = _shop(crm)
    buy = crm.purchases.record
    buy(customer_id=ids["José"], product_id=ids["Tea"], quantity=2)
    buy(customer_id=ids["José"], product_id=ids["Mug"], quantity=1)
    buy(customer_id=ids["山田"], product_id=ids["Mug"], quantity=3)
    crm.products.restock(ids["Mug"], 4)
    jose = crm.reports.sales_summary(customer_id=ids["José"])
    assert (jose.revenue, jose.purchase_count, jose.buyer_count) == (Decimal("16.99"), 2, 1)
    mug = crm.reports.sales_summary(product_id=ids["Mug"])
    assert (mug.revenue, mug.units_sold, mug.stock_units, mug.restocked_units) == (
        Decimal("39.96"),
        4,
        50,
        4,
    )
    assert mug.stock_value == Decimal("499.50")
    sales = crm.reports.stock_movements(kind="sale")
    assert sales.total == 3 and {m.kind for m in sales.items} == {"sale"}
    assert crm.reports.stock_movements(kind="restock", product_id=ids["Tea"]).total == 0
    with pytest.raises(errors.ValidationError) as info:
        crm.reports.stock_movements(kind="theft")  # type: ignore[arg-type]
    assert info.value.field == "kind"
