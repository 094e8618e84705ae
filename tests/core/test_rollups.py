"""Property: after any sequence of sales, multi-line orders, returns, cancels, imports and
time-zone changes, every rollup equals the raw aggregate (``crm.check()``), and every report
over any range (edges anywhere, DST transitions included) equals a plain-Python recomputation
in the shop's zone."""

from __future__ import annotations

import io
import os
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from crpm_core import CRPM, transfer
from tests.helpers import wipe

EXAMPLES = {
    "sqlite": int(os.environ.get("CRPM_ROLLUP_EXAMPLES", "40")),
    "postgresql": int(os.environ.get("CRPM_ROLLUP_SERVER_EXAMPLES", "12")),
    "mariadb": int(os.environ.get("CRPM_ROLLUP_SERVER_EXAMPLES", "12")),
}
ZONES = ["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata"]
PRICES = [Decimal("0.10"), Decimal("3.33"), Decimal("19.99"), Decimal("0.00")]
# instants near both 2024 transitions of both DST zones, and their local midnights
ANCHORS = [
    datetime(2024, 3, 10, 7, 0, tzinfo=UTC),  # New York springs forward
    datetime(2024, 3, 31, 1, 0, tzinfo=UTC),  # Berlin springs forward
    datetime(2024, 10, 27, 1, 0, tzinfo=UTC),  # Berlin falls back
    datetime(2024, 11, 3, 6, 0, tzinfo=UTC),  # New York falls back
]
MOMENTS = st.builds(
    lambda anchor, seconds: anchor + timedelta(seconds=seconds),
    st.sampled_from(ANCHORS),
    st.integers(min_value=-3 * 86400, max_value=3 * 86400),
)
EDGE = st.one_of(
    st.none(),
    MOMENTS,
    st.builds(  # a local midnight of any zone near a transition
        lambda anchor, days, zone: datetime.combine(
            anchor.date() + timedelta(days=days), time(), ZoneInfo(zone)
        ),
        st.sampled_from(ANCHORS),
        st.integers(min_value=-3, max_value=3),
        st.sampled_from(ZONES[:2]),
    ),
)

ORDER = st.tuples(
    st.just("order"),
    st.integers(0, 2),
    st.lists(st.tuples(st.integers(0, 2), st.integers(1, 4)), min_size=1, max_size=4),
    MOMENTS,
)
RETURN = st.tuples(st.just("return"), st.integers(0, 10_000), st.integers(1, 3))
CANCEL = st.tuples(st.just("cancel"), st.integers(0, 10_000))
CANCEL_ORDER = st.tuples(st.just("cancel_order"), st.integers(0, 10_000))
IMPORT = st.tuples(
    st.just("import"),
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.integers(0, 2),
            st.integers(1, 4),
            MOMENTS,
            st.sampled_from([None, "A", "B"]),
            st.integers(0, 1),
        ),
        min_size=1,
        max_size=5,
    ),
)
ZONE = st.tuples(st.just("zone"), st.sampled_from(ZONES))
STEPS = st.lists(
    st.one_of(ORDER, ORDER, RETURN, CANCEL, CANCEL_ORDER, IMPORT, ZONE), min_size=1, max_size=12
)


@attrs.define
class Line:
    id: int
    order: int
    customer: int
    product: int
    quantity: int
    price: Decimal
    at: datetime
    returned: int = 0
    cancelled: bool = False

    @property
    def units(self) -> int:
        return self.quantity - self.returned

    @property
    def revenue(self) -> Decimal:
        return self.price * self.units


def _run(crm: CRPM, steps: list[Any], first_zone: str) -> tuple[list[Line], list[int], list[int]]:
    crm.settings.update(timezone=first_zone)
    cust = [
        crm.customers.add(name=n, email=e).id
        for n, e in [("Zoë O'Brien", "zoe@x.ie"), ("José", "jose@x.es"), ("山田", "y@x.jp")]
    ]
    prod = [
        crm.products.add(name=f"P{i}", price=PRICES[i], stock=10_000, sku=f"SKU-{i}").id
        for i in range(3)
    ]
    lines: list[Line] = []
    imports = 0
    for step in steps:
        kind = step[0]
        live = [ln for ln in lines if not ln.cancelled]
        if kind == "order":
            _, c, basket, at = step
            order = crm.orders.place(
                customer_id=cust[c], lines=[(prod[p], q) for p, q in basket], purchased_at=at
            )
            for sold in order.lines:
                lines.append(
                    Line(
                        sold.id,
                        order.id,
                        sold.customer_id,
                        sold.product_id,
                        sold.quantity,
                        sold.unit_price,
                        at,
                    )
                )
        elif kind == "return" and live:
            ln = live[step[1] % len(live)]
            qty = min(step[2], ln.units)
            if qty:
                crm.purchases.return_items(ln.id, qty)
                ln.returned += qty
        elif kind == "cancel" and live:
            ln = live[step[1] % len(live)]
            crm.purchases.cancel(ln.id)
            ln.cancelled = True
        elif kind == "cancel_order" and live:
            oid = live[step[1] % len(live)].order
            if crm.orders.get(oid).cancelled_at is None:
                crm.orders.cancel(oid)
                for ln in lines:
                    if ln.order == oid:
                        ln.cancelled = True
        elif kind == "import":
            imports += 1
            out = io.StringIO()
            out.write(
                "customer_email,product_sku,quantity,unit_price,purchased_at,order_ref,returned_quantity\n"
            )
            emails = ["zoe@x.ie", "jose@x.es", "y@x.jp"]
            refs: dict[str, int] = {}
            rows = []
            for c, p, q, at, ref, back in step[1]:
                if ref is not None:  # one customer per order
                    c = refs.setdefault(ref, c)
                    ref = f"imp{imports}-{ref}"
                back = min(back, q)
                out.write(
                    f"{emails[c]},SKU-{p},{q},{PRICES[p]},{at.isoformat()},{ref or ''},{back}\n"
                )
                rows.append((c, p, q, at, back))
            before = max((ln.id for ln in lines), default=0)
            transfer.import_csv(crm, "purchases", io.BytesIO(out.getvalue().encode()))
            stored = sorted(
                (r for r in crm.purchases.list(limit=1000).items if r.purchase_id > before),
                key=lambda r: r.purchase_id,
            )
            assert len(stored) == len(rows)
            for r, (c, p, q, at, back) in zip(stored, rows, strict=True):
                order_id = crm.purchases.get(r.purchase_id).order_id
                assert order_id is not None
                lines.append(
                    Line(r.purchase_id, order_id, cust[c], prod[p], q, PRICES[p], at, back)
                )
        elif kind == "zone":
            crm.settings.update(timezone=step[1])
    return lines, cust, prod


def _period(at: datetime, bucket: str, zone: ZoneInfo) -> date:
    day = at.astimezone(zone).date()
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next(day: date, bucket: str) -> date:
    if bucket == "day":
        return day + timedelta(days=1)
    if bucket == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def _expect(crm: CRPM, lines: list[Line], lo: datetime | None, hi: datetime | None) -> None:
    zone = ZoneInfo(crm.settings.get().timezone)
    zero = Decimal("0.00")
    live = [
        ln
        for ln in lines
        if not ln.cancelled and (lo is None or ln.at >= lo) and (hi is None or ln.at < hi)
    ]
    for bucket in ("day", "week", "month"):
        series = crm.reports.sales_over_time(bucket=bucket, start=lo, end=hi)  # type: ignore[arg-type]
        per: dict[date, tuple[Decimal, int, int]] = {}
        for ln in live:
            key = _period(ln.at, bucket, zone)
            rev, units, count = per.get(key, (zero, 0, 0))
            per[key] = (rev + ln.revenue, units + ln.units, count + 1)
        first = _period(lo, bucket, zone) if lo is not None else min(per, default=None)
        if hi is not None:
            last: date | None = _period(hi - timedelta(microseconds=1), bucket, zone)
        else:
            last = max(per, default=None)
        expected = []
        day = first
        while day is not None and last is not None and day <= last:
            expected.append((_midnight(day, zone), *per.get(day, (zero, 0, 0))))
            day = _next(day, bucket)
        got = [(x.period_start, x.revenue, x.units_sold, x.purchase_count) for x in series]
        assert got == expected, (bucket, lo, hi)

    per_product: dict[int, list[Any]] = defaultdict(lambda: [0, zero, 0])
    per_customer: dict[int, list[Any]] = defaultdict(lambda: [zero, 0, set(), 0])
    for ln in live:
        f = per_product[ln.product]
        f[0] += ln.units
        f[1] += ln.revenue
        f[2] += 1
        c = per_customer[ln.customer]
        c[0] += ln.revenue
        c[1] += 1
        c[2].add(ln.order)
        c[3] += ln.units
    perf = crm.reports.product_performance(start=lo, end=hi)
    assert {
        r.product_id: [r.units_sold, r.revenue, r.purchase_count] for r in perf if r.purchase_count
    } == dict(per_product), (lo, hi)
    top = crm.reports.top_customers(limit=10, start=lo, end=hi)
    assert {r.customer_id: [r.revenue, r.purchase_count, r.order_count, r.units] for r in top} == {
        cid: [f[0], f[1], len(f[2]), f[3]] for cid, f in per_customer.items()
    }, (lo, hi)
    s = crm.reports.sales_summary(start=lo, end=hi)
    assert (s.revenue, s.units_sold, s.purchase_count, s.returned_units) == (
        sum((ln.revenue for ln in live), zero),
        sum(ln.units for ln in live),
        len(live),
        sum(ln.returned for ln in live),
    )
    assert s.order_count == len({ln.order for ln in live})
    assert s.buyer_count == len({ln.customer for ln in live})


def test_rollups_and_reports_equal_the_raw_aggregates(crm: CRPM, backend: str) -> None:
    @settings(max_examples=EXAMPLES[backend], deadline=None)
    @given(
        steps=STEPS,
        first_zone=st.sampled_from(ZONES),
        ranges=st.lists(st.tuples(EDGE, EDGE), min_size=1, max_size=4),
    )
    def check(steps: list[Any], first_zone: str, ranges: list[Any]) -> None:
        wipe(crm)
        lines, _, _ = _run(crm, steps, first_zone)
        assert crm.check() == []
        _expect(crm, lines, None, None)
        for a, b in ranges:
            if a is not None and b is not None and b < a:
                a, b = b, a
            _expect(crm, lines, a, b)

    check()


def test_migration_0006_builds_the_rollups_of_an_existing_shop(backend: str, tmp_path: Any) -> None:
    """A database at revision 0005 with sales in Berlin, a return and a cancel: after the
    upgrade every rollup equals the purchases, the days being Berlin's."""
    from sqlalchemy import text

    import crpm_core
    from crpm_core.persistence import migrate
    from crpm_core.persistence.database import Database
    from tests.databases import temporary_database

    with temporary_database(backend, tmp_path) as url:
        db = Database(url)
        try:
            migrate.upgrade(db, "0005")
            with db.transaction() as conn:
                conn.execute(
                    text(
                        "INSERT INTO settings (id, shop_name, currency, timezone,"
                        " low_stock_default) VALUES (1, 'Laden', 'EUR', 'Europe/Berlin', 5)"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO customers (name, email, email_key, active, created_at)"
                        " VALUES ('Zoë', 'z@x.de', 'z@x.de', :t, :at)"
                    ),
                    {"t": True, "at": "2024-01-01 00:00:00"},
                )
                conn.execute(
                    text(
                        "INSERT INTO products (sku, name, price_minor, stock, active, created_at)"
                        " VALUES ('K-1', 'Kaffee', 250, 0, :t, :at)"
                    ),
                    {"t": True, "at": "2024-01-01 00:00:00"},
                )
                sales = [  # UTC times: 23:30 on 30 March and 00:30 on 31 March in Berlin
                    ("2024-03-30 22:30:00", 2, 0, None),
                    ("2024-03-30 23:30:00", 3, 1, None),
                    ("2024-03-30 23:45:00", 4, 0, "2024-04-02 10:00:00"),
                ]
                for i, (at, qty, back, cancelled) in enumerate(sales, start=1):
                    conn.execute(
                        text(
                            "INSERT INTO orders (customer_id, placed_at, cancelled_at)"
                            " VALUES (1, :at, :c)"
                        ),
                        {"at": at, "c": cancelled},
                    )
                    conn.execute(
                        text(
                            "INSERT INTO purchases (customer_id, product_id, quantity,"
                            " unit_price_minor, total_minor, purchased_at, cancelled_at,"
                            " stock_moved, order_id, returned_quantity) VALUES (1, 1, :q, 250,"
                            " :total, :at, :c, :t, :o, :back)"
                        ),
                        {
                            "q": qty,
                            "total": 250 * (qty - back),
                            "at": at,
                            "c": cancelled,
                            "t": True,
                            "o": i,
                            "back": back,
                        },
                    )
        finally:
            db.dispose()
        with crpm_core.connect(url) as crm:
            assert crm.check() == []
            days = crm.reports.sales_over_time(bucket="day")
            zone = ZoneInfo("Europe/Berlin")
            assert [(d.period_start, d.units_sold, d.revenue) for d in days] == [
                (datetime(2024, 3, 30, tzinfo=zone), 2, Decimal("5.00")),
                (datetime(2024, 3, 31, tzinfo=zone), 2, Decimal("5.00")),
            ]
            (top,) = crm.reports.top_customers()
            assert (top.order_count, top.purchase_count, top.units) == (2, 2, 4)
