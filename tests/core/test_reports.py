from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crpm_core import CRPM, errors
from crpm_core.domain import calendar
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
    day = datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC).date()
    start = calendar.period_of(day, bucket)  # type: ignore[arg-type]
    assert start <= day < calendar.next_period(start, bucket)  # type: ignore[arg-type]


# Property: for any generated history of multi-line orders, partial returns and cancels,
# every report equals a plain-Python recomputation, net of returns.
PRICES = [Decimal("0.10"), Decimal("3.33"), Decimal("19.99"), Decimal("0.00"), Decimal("1.00")]
MINUTES = st.one_of(
    st.integers(0, 60 * 24 * 3),  # three days around a month's end, midnights included
    st.integers(0, 60 * 24 * 70),  # or anywhere in ten weeks: three months
)
orders_ = st.lists(
    st.tuples(
        st.integers(0, 3),  # customer
        st.lists(st.tuples(st.integers(0, 4), st.integers(1, 4)), min_size=1, max_size=4),
        MINUTES,
    ),
    max_size=12,
)
# afterwards: (what, which order, which line, how many)
afterwards = st.lists(
    st.tuples(
        st.sampled_from(["return", "return", "cancel line", "cancel order"]),
        st.integers(0, 11),
        st.integers(0, 3),
        st.integers(1, 4),
    ),
    max_size=10,
)
windows = st.tuples(st.none() | MINUTES, st.none() | MINUTES)


@attrs.define
class Line:
    id: int
    order: int  # index in the generated list
    customer: int
    product: int
    quantity: int
    at: datetime
    returned: int = 0
    cancelled: bool = False

    @property
    def units(self) -> int:
        return self.quantity - self.returned

    @property
    def revenue(self) -> Decimal:
        return PRICES[self.product] * self.units


def _floor(at: datetime, bucket: str) -> datetime:
    """The UTC midnight starting the day, the Monday's week or the month of ``at``."""
    day = datetime(at.year, at.month, at.day, tzinfo=UTC)
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if bucket == "month" else day


def _after(period: datetime, bucket: str) -> datetime:
    if bucket == "day":
        return period + timedelta(days=1)
    if bucket == "week":
        return period + timedelta(days=7)
    return datetime(period.year + period.month // 12, period.month % 12 + 1, 1, tzinfo=UTC)


@settings(max_examples=30)
@given(orders=orders_, changes=afterwards, window=windows)
def test_reports_equal_a_python_recomputation(
    crm: CRPM,
    orders: list[tuple[int, list[tuple[int, int]], int]],
    changes: list[tuple[str, int, int, int]],
    window: tuple[int | None, int | None],
) -> None:
    wipe(crm)
    cust = [crm.customers.add(name=f"C{i}", email=f"c{i}@x.com").id for i in range(4)]
    prod = [crm.products.add(name=f"P{i}", price=PRICES[i], stock=1000).id for i in range(5)]
    lines: list[Line] = []
    by_order: list[list[Line]] = []
    order_ids: list[int] = []
    for n, (c, basket, minutes) in enumerate(orders):
        at = T0 + timedelta(minutes=minutes)
        placed = crm.orders.place(
            customer_id=cust[c], lines=[(prod[p], q) for p, q in basket], purchased_at=at
        )
        assert placed.total == sum((PRICES[p] * q for p, q in basket), Decimal("0.00"))
        mine = [Line(x.id, n, c, p, q, at) for x, (p, q) in zip(placed.lines, basket, strict=True)]
        lines += mine
        by_order.append(mine)
        order_ids.append(placed.id)
    for what, o, k, qty in changes:
        if not by_order:
            break
        o %= len(by_order)
        line = by_order[o][k % len(by_order[o])]
        if what == "return":
            if line.cancelled or qty > line.units:
                with pytest.raises(errors.Conflict):
                    crm.purchases.return_items(line.id, qty)
            else:
                assert crm.purchases.return_items(line.id, qty).total == line.revenue - (
                    PRICES[line.product] * qty
                )
                line.returned += qty
        elif what == "cancel line":
            if line.cancelled:
                with pytest.raises(errors.Conflict):
                    crm.purchases.cancel(line.id)
            else:
                crm.purchases.cancel(line.id)
                line.cancelled = True
        elif all(x.cancelled for x in by_order[o]):  # cancelling every line cancelled it
            with pytest.raises(errors.Conflict):
                crm.orders.cancel(order_ids[o])
        else:
            crm.orders.cancel(order_ids[o])
            for x in by_order[o]:
                x.cancelled = True

    lo = None if window[0] is None else T0 + timedelta(minutes=window[0])
    hi = None if window[1] is None else T0 + timedelta(minutes=window[1])
    if lo is not None and hi is not None and hi < lo:
        lo, hi = hi, lo
    inside = [ln for ln in lines if (lo is None or lo <= ln.at) and (hi is None or ln.at < hi)]
    live = [ln for ln in inside if not ln.cancelled]
    zero = Decimal("0.00")

    # summary
    s = crm.reports.sales_summary(start=lo, end=hi)
    revenue = sum((ln.revenue for ln in live), zero)
    n_orders = len({ln.order for ln in live})
    assert s.revenue == revenue
    assert s.units_sold == sum(ln.units for ln in live)
    assert s.returned_units == sum(ln.returned for ln in live)
    assert s.purchase_count == len(live)
    assert s.order_count == n_orders
    assert s.buyer_count == len({ln.customer for ln in live})
    assert s.cancelled_count == len(inside) - len(live)
    assert s.average_order_value == (
        (revenue / n_orders).quantize(Decimal("0.01"), ROUND_HALF_UP) if n_orders else zero
    )
    assert s.stock_units == 1000 * len(prod) - sum(ln.units for ln in lines if not ln.cancelled)

    # top customers: highest revenue first, equal revenue shares the lowest rank
    per_customer: dict[int, tuple[Decimal, int, int, set[int]]] = {}
    for ln in live:
        rev, units, count, seen = per_customer.get(cust[ln.customer], (zero, 0, 0, set()))
        per_customer[cust[ln.customer]] = (rev + ln.revenue, units + ln.units, count + 1, seen)
        seen.add(ln.order)
    top = crm.reports.top_customers(start=lo, end=hi)
    assert {t.customer_id: (t.revenue, t.units, t.purchase_count, t.order_count) for t in top} == {
        k: (r, u, c, len(o)) for k, (r, u, c, o) in per_customer.items()
    }
    assert [t.revenue for t in top] == sorted((r[0] for r in per_customer.values()), reverse=True)
    for t in top:
        assert t.rank == 1 + sum(1 for r in per_customer.values() if r[0] > t.revenue)
    if len(top) > 1:
        assert crm.reports.top_customers(limit=len(top) - 1, start=lo, end=hi) == top[:-1]

    # product performance: every product, sold or not, most units (then revenue) first
    per_product = {pid: (0, zero, 0) for pid in prod}
    for ln in live:
        units, rev, count = per_product[prod[ln.product]]
        per_product[prod[ln.product]] = (units + ln.units, rev + ln.revenue, count + 1)
    perf = crm.reports.product_performance(start=lo, end=hi)
    assert {r.product_id: (r.units_sold, r.revenue, r.purchase_count) for r in perf} == per_product
    keys = [(r.units_sold, r.revenue) for r in perf]
    assert keys == sorted(keys, reverse=True)
    for r in perf:
        assert r.rank == 1 + sum(1 for k in keys if k > (r.units_sold, r.revenue))
        assert r.stock == 1000 - sum(
            ln.units for ln in lines if not ln.cancelled and prod[ln.product] == r.product_id
        )

    # sales over time: UTC periods, gaps filled, from the period of start (or the first live
    # sale) to the period holding the last instant before end (or the last live sale)
    for bucket in ("day", "week", "month"):
        series = crm.reports.sales_over_time(bucket=bucket, start=lo, end=hi)  # type: ignore[arg-type]
        per: dict[datetime, tuple[Decimal, int, int]] = {}
        for ln in live:
            rev, units, count = per.get(_floor(ln.at, bucket), (zero, 0, 0))
            per[_floor(ln.at, bucket)] = (rev + ln.revenue, units + ln.units, count + 1)
        first = _floor(lo, bucket) if lo is not None else min(per, default=None)
        last = _floor(hi - timedelta(microseconds=1), bucket) if hi is not None else None
        if hi is None:
            last = max(per, default=None)
        expected = []
        at = first
        while at is not None and last is not None and at <= last:
            expected.append((at, *per.get(at, (zero, 0, 0))))
            at = _after(at, bucket)
        assert [
            (x.period_start, x.revenue, x.units_sold, x.purchase_count) for x in series
        ] == expected, bucket
        assert all(x.period_start.tzinfo is not None for x in series)
        assert all(x.period_start.utcoffset() == timedelta(0) for x in series)

    # each customer's history: every line, newest first, totals net of returns
    for i, cid in enumerate(cust):
        history = crm.purchases.history(cid)
        mine = sorted(
            (ln for ln in lines if ln.customer == i), key=lambda ln: (ln.at, ln.id), reverse=True
        )
        assert [
            (h.purchase_id, h.quantity, h.returned_quantity, h.total, h.cancelled) for h in history
        ] == [(ln.id, ln.quantity, ln.returned, ln.revenue, ln.cancelled) for ln in mine]
        spent = sum((h.total for h in history if not h.cancelled), zero)
        assert crm.reports.sales_summary(customer_id=cid).revenue == spent


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
