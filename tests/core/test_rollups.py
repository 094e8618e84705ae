"""Rollups kept in the sale's own transaction, and ``crm.check()`` / ``crpm check``.

A property test drives random sequences of orders (the same product on two lines too),
one-line sales, returns, cancels of lines and of orders, small CSV imports (history or
moving stock, with ``order_ref`` and ``returned_quantity``) and changes of the shop's time
zone (UTC, Berlin, New York, Lord Howe with its 30-minute DST, Kathmandu at +05:45), at
instants around DST transitions and local midnights. After every step ``crm.check()`` finds
nothing; at the end every report, over random ranges and unbounded, equals a plain-Python
recomputation from the public reads (``crm.orders.list``) with ``zoneinfo``, and the rollup
tables themselves hold what the purchases say. Small explicit tests show that ``check()``
and ``crpm check`` notice a tampered rollup row and a stock that left its ledger.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.engine import URL

import crpm_core
from crpm_core import CRPM, Order, errors, transfer
from crpm_core.cli import main
from crpm_core.persistence import tables
from crpm_core.persistence.tables import products
from tests.core.test_intelligence import contract_score, contract_segment
from tests.helpers import wipe

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu")
ROLLUP_NAMES = ("product_sales_days", "product_sales", "sales_days", "customer_sales")
ZERO = Decimal("0.00")
MICRO = timedelta(microseconds=1)


def _transitions(zone: str, year: int) -> list[datetime]:
    """The UTC instants at which ``zone`` changes its offset in ``year`` (15-minute steps,
    then bisected to the second)."""
    tz = ZoneInfo(zone)
    found = []
    at = datetime(year, 1, 1, tzinfo=UTC)
    step = timedelta(minutes=15)
    while at.year == year:
        nxt = at + step
        if at.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            lo, hi = at, nxt  # offset(lo) != offset(hi): find the first instant of the new one
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        at = nxt
    return found


# Instants worth selling at: every DST transition of 2026 in the zones, and the local
# midnights (in every zone) of days around them, month ends and Monday boundaries.
DAYS = [
    date(2026, 3, 7),  # Saturday before New York springs forward
    date(2026, 3, 8),  # New York: 23 hours
    date(2026, 3, 29),  # Sunday, Berlin: 23 hours
    date(2026, 3, 30),  # Monday
    date(2026, 4, 1),  # a month's first day
    date(2026, 4, 5),  # Lord Howe: 25.5 hours (half an hour back)
    date(2026, 10, 4),  # Lord Howe: 23.5 hours
    date(2026, 10, 25),  # Sunday, Berlin: 25 hours
    date(2026, 10, 26),  # Monday
    date(2026, 11, 1),  # New York: 25 hours, and a month's first day
]
ANCHORS = sorted(
    {t for z in ZONES for t in _transitions(z, 2026)}
    | {datetime.combine(d, time(0), ZoneInfo(z)).astimezone(UTC) for z in ZONES for d in DAYS}
)
assert len(_transitions("Australia/Lord_Howe", 2026)) == 2
assert len(_transitions("Asia/Kathmandu", 2026)) == 0
OFFSETS = [
    timedelta(0),
    -MICRO,
    MICRO,
    timedelta(minutes=-61),
    timedelta(minutes=-60),
    timedelta(minutes=-31),
    timedelta(minutes=-30),
    timedelta(minutes=-1),
    timedelta(minutes=29),
    timedelta(minutes=30),
    timedelta(minutes=45),
    timedelta(minutes=60),
    timedelta(minutes=90),
    timedelta(hours=23, minutes=30),
]
instants = st.builds(lambda a, o: a + o, st.sampled_from(ANCHORS), st.sampled_from(OFFSETS))

PRICES = [Decimal("3.33"), Decimal("0.00"), Decimal("19.99"), Decimal("0.10")]
IMPORT_PRICES = ["2.50", "0.00", "1234.56", "0.01"]
NAMES = ["Zoë O'Brien", "José Álvarez", "山田 太郎"]


# The steps --------------------------------------------------------------------------------

customer_ix = st.integers(0, len(NAMES) - 1)
product_ix = st.integers(0, len(PRICES) - 1)
pick = st.integers(0, 10_000)  # an index into what exists, modulo its length

order_step = st.tuples(
    st.just("order"),
    customer_ix,
    st.lists(st.tuples(product_ix, st.integers(1, 4)), min_size=1, max_size=4),
    instants,
)
record_step = st.tuples(st.just("record"), customer_ix, product_ix, st.integers(1, 4), instants)
return_step = st.tuples(st.just("return"), pick, st.integers(1, 3))
cancel_order_step = st.tuples(st.just("cancel order"), pick)
cancel_line_step = st.tuples(st.just("cancel line"), pick)
zone_step = st.tuples(st.just("zone"), st.sampled_from(ZONES))
import_row = st.tuples(
    product_ix, st.integers(1, 4), st.sampled_from(IMPORT_PRICES), st.integers(0, 5), instants
)
import_step = st.tuples(
    st.just("import"),
    st.lists(  # groups: (customer, rows, one order with an order_ref or a line per order)
        st.tuples(customer_ix, st.lists(import_row, min_size=1, max_size=3), st.booleans()),
        min_size=1,
        max_size=3,
    ),
    st.booleans(),  # move stock
)
steps = st.lists(
    st.one_of(
        order_step,
        order_step,
        record_step,
        return_step,
        return_step,
        cancel_order_step,
        cancel_line_step,
        zone_step,
        import_step,
    ),
    min_size=5,
    max_size=15,
)
windows = st.lists(st.tuples(st.none() | instants, st.none() | instants), min_size=3, max_size=3)


@dataclass
class Shop:
    customers: list[int]
    products: list[int]
    skus: list[str]
    emails: list[str]
    refs: int = 0
    log: list[str] = field(default_factory=list)


def wipe_all(crm: CRPM) -> None:
    """Empty the rollups (they refer to products and customers) and then every other table."""
    with crm.db.transaction() as conn:
        for name in ROLLUP_NAMES:
            table = tables.metadata.tables.get(name)
            if table is not None:
                conn.execute(delete(table))
    wipe(crm)


def open_shop(crm: CRPM) -> Shop:
    wipe_all(crm)
    emails = [f"buyer{i}@example.org" for i in range(len(NAMES))]
    cust = [crm.customers.add(name=n, email=e).id for n, e in zip(NAMES, emails, strict=True)]
    skus = [f"SKU-{i}" for i in range(len(PRICES))]
    prod = [
        crm.products.add(name=f"Produit {i} ü", price=price, stock=10_000, sku=sku).id
        for i, (price, sku) in enumerate(zip(PRICES, skus, strict=True))
    ]
    return Shop(cust, prod, skus, emails)


def all_orders(crm: CRPM) -> list[Order]:
    found: list[Order] = []
    while True:
        page = crm.orders.list(offset=len(found), limit=1000)
        found += page.items
        if len(found) >= page.total or not page.items:
            return found


def run_step(crm: CRPM, shop: Shop, step: tuple[Any, ...]) -> None:
    kind = step[0]
    shop.log.append(repr(step))
    note(f"step {len(shop.log)}: {step!r}")
    if kind == "order":
        _, c, basket, at = step
        placed = crm.orders.place(
            customer_id=shop.customers[c],
            lines=[(shop.products[p], q) for p, q in basket],
            purchased_at=at,
        )
        assert [(x.product_id, x.quantity) for x in placed.lines] == [
            (shop.products[p], q) for p, q in basket
        ]
        assert placed.total == sum((PRICES[p] * q for p, q in basket), ZERO)
    elif kind == "record":
        _, c, p, q, at = step
        bought = crm.purchases.record(
            customer_id=shop.customers[c], product_id=shop.products[p], quantity=q, purchased_at=at
        )
        assert bought.total == PRICES[p] * q and bought.purchased_at == at
    elif kind in ("return", "cancel line"):
        lines = sorted((x for o in all_orders(crm) for x in o.lines), key=lambda x: x.id)
        if not lines:
            return
        line = lines[step[1] % len(lines)]
        if kind == "return":
            qty = step[2]
            if line.cancelled_at is not None or qty > line.quantity - line.returned_quantity:
                with pytest.raises(errors.Conflict):
                    crm.purchases.return_items(line.id, qty)
            else:
                back = crm.purchases.return_items(line.id, qty)
                assert back.returned_quantity == line.returned_quantity + qty
                assert back.total == (back.quantity - back.returned_quantity) * back.unit_price
        elif line.cancelled_at is not None:
            with pytest.raises(errors.Conflict):
                crm.purchases.cancel(line.id)
        else:
            assert crm.purchases.cancel(line.id).cancelled_at is not None
    elif kind == "cancel order":
        orders = sorted(all_orders(crm), key=lambda o: o.id)
        if not orders:
            return
        order = orders[step[1] % len(orders)]
        if order.cancelled_at is not None:
            with pytest.raises(errors.Conflict):
                crm.orders.cancel(order.id)
        else:
            done = crm.orders.cancel(order.id)
            assert done.cancelled_at is not None
            assert all(x.cancelled_at is not None for x in done.lines)
    elif kind == "zone":
        crm.settings.update(timezone=step[1])
        assert crm.settings.get().timezone == step[1]
    elif kind == "import":
        _, groups, move = step
        out = [
            "customer_email,product_sku,quantity,unit_price,purchased_at,order_ref,"
            "returned_quantity"
        ]
        n = 0
        for c, rows, one_order in groups:
            ref = ""
            if one_order:
                shop.refs += 1
                ref = f"IMP-{shop.refs}"
            for p, q, price, back, own_time in rows:
                n += 1
                at = rows[0][4] if one_order else own_time  # an order's lines share one time
                written = at.astimezone(ZoneInfo(ZONES[n % len(ZONES)])).isoformat()
                returned = "" if back == 0 else str(min(back, q))  # empty: none came back
                out.append(
                    f"{shop.emails[c]},{shop.skus[p]},{q},{price},{written},{ref},{returned}"
                )
        before = len(all_orders(crm))
        result = transfer.import_purchases(crm, io.StringIO("\n".join(out) + "\n"), move_stock=move)
        assert result.rows == n
        assert len(all_orders(crm)) == before + sum(1 if g[2] else len(g[1]) for g in groups)
    else:  # pragma: no cover
        raise AssertionError(kind)


# The plain-Python reports ------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    id: int
    order: int
    customer: int
    product: int
    quantity: int
    returned: int
    price: Decimal
    at: datetime
    cancelled: bool

    @property
    def units(self) -> int:
        return self.quantity - self.returned

    @property
    def revenue(self) -> Decimal:
        return self.price * self.units


def read_lines(crm: CRPM) -> list[Line]:
    return [
        Line(
            x.id,
            o.id,
            x.customer_id,
            x.product_id,
            x.quantity,
            x.returned_quantity,
            x.unit_price,
            x.purchased_at,
            x.cancelled_at is not None,
        )
        for o in all_orders(crm)
        for x in o.lines
    ]


def inside(lines: Iterable[Line], lo: datetime | None, hi: datetime | None) -> list[Line]:
    return [x for x in lines if (lo is None or lo <= x.at) and (hi is None or x.at < hi)]


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def floor_local(at: datetime, bucket: str, tz: ZoneInfo) -> date:
    """The local date that starts the day, Monday week or month of ``at`` in ``tz``."""
    d = local_day(at, tz)
    if bucket == "week":
        return d - timedelta(days=d.weekday())
    return d.replace(day=1) if bucket == "month" else d


def after(d: date, bucket: str) -> date:
    if bucket == "day":
        return d + timedelta(days=1)
    if bucket == "week":
        return d + timedelta(days=7)
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def midnight(d: date, tz: ZoneInfo) -> datetime:
    """Local midnight of ``d`` in ``tz``, as a UTC instant."""
    return datetime.combine(d, time(0), tz).astimezone(UTC)


def expected_series(
    lines: list[Line],
    bucket: str,
    lo: datetime | None,
    hi: datetime | None,
    tz: ZoneInfo,
    product: int | None = None,
) -> list[tuple[datetime, Decimal, int, int]]:
    live = [
        x
        for x in inside(lines, lo, hi)
        if not x.cancelled and (product is None or x.product == product)
    ]
    per: dict[date, tuple[Decimal, int, int]] = {}
    for x in live:
        key = floor_local(x.at, bucket, tz)
        rev, units, count = per.get(key, (ZERO, 0, 0))
        per[key] = (rev + x.revenue, units + x.units, count + 1)
    if not per and (lo is None or hi is None):
        return []
    first = floor_local(lo, bucket, tz) if lo is not None else min(per)
    last = floor_local(hi - MICRO, bucket, tz) if hi is not None else max(per)
    series = []
    d = first
    while d <= last:
        series.append((midnight(d, tz), *per.get(d, (ZERO, 0, 0))))
        d = after(d, bucket)
    return series


def compare_reports(
    crm: CRPM, shop: Shop, lines: list[Line], lo: datetime | None, hi: datetime | None
) -> None:
    tz = ZoneInfo(crm.settings.get().timezone)
    here = inside(lines, lo, hi)
    live = [x for x in here if not x.cancelled]
    stock = {p.id: p for p in crm.products.list(limit=1000).items}

    # summary
    s = crm.reports.sales_summary(start=lo, end=hi)
    revenue = sum((x.revenue for x in live), ZERO)
    n_orders = len({x.order for x in live})
    assert (
        s.revenue,
        s.units_sold,
        s.returned_units,
        s.purchase_count,
        s.order_count,
        s.buyer_count,
        s.cancelled_count,
    ) == (
        revenue,
        sum(x.units for x in live),
        sum(x.returned for x in live),
        len(live),
        n_orders,
        len({x.customer for x in live}),
        len(here) - len(live),
    )
    assert s.average_order_value == (
        (revenue / n_orders).quantize(Decimal("0.01"), ROUND_HALF_UP) if n_orders else ZERO
    )
    assert s.stock_units == sum(p.stock for p in stock.values())
    assert s.stock_value == sum((p.stock * p.price for p in stock.values()), ZERO)
    assert s.restocked_units == 0

    # sales over time, whole shop and each product
    for bucket in ("day", "week", "month"):
        for product in (None, *shop.products):
            got = crm.reports.sales_over_time(
                bucket=bucket,  # type: ignore[arg-type]
                start=lo,
                end=hi,
                product_id=product,
            )
            want = expected_series(lines, bucket, lo, hi, tz, product)
            assert [
                (x.period_start.astimezone(UTC), x.revenue, x.units_sold, x.purchase_count)
                for x in got
            ] == want, (bucket, product)
            for x in got:
                assert x.period_start.tzinfo is not None
                assert x.period_start.astimezone(tz).time() == time(0)

    # product performance: every product, most units (then revenue) first, ties share a rank
    per_product = {pid: (0, ZERO, 0) for pid in shop.products}
    for x in live:
        u, r, c = per_product[x.product]
        per_product[x.product] = (u + x.units, r + x.revenue, c + 1)
    perf = crm.reports.product_performance(start=lo, end=hi)
    assert {p.product_id: (p.units_sold, p.revenue, p.purchase_count, p.stock) for p in perf} == {
        pid: (*v, stock[pid].stock) for pid, v in per_product.items()
    }
    keys = [(p.units_sold, p.revenue) for p in perf]
    assert keys == sorted(keys, reverse=True)
    assert [p.rank for p in perf] == [1 + sum(1 for k in keys if k > key) for key in keys]

    # top customers: by revenue, ties share the lowest rank; limit keeps the head
    per_customer: dict[int, tuple[Decimal, int, int, set[int]]] = {}
    for x in live:
        r, u, c, seen = per_customer.get(x.customer, (ZERO, 0, 0, set()))
        per_customer[x.customer] = (r + x.revenue, u + x.units, c + 1, seen | {x.order})
    want_top = {k: (r, u, c, len(o)) for k, (r, u, c, o) in per_customer.items()}
    revenues = sorted((v[0] for v in want_top.values()), reverse=True)
    for limit in (1, 2, 10):
        top = crm.reports.top_customers(limit=limit, start=lo, end=hi)
        assert [t.revenue for t in top] == revenues[:limit], limit
        for t in top:
            assert (t.revenue, t.units, t.purchase_count, t.order_count) == want_top[t.customer_id]
            assert t.rank == 1 + sum(1 for r in revenues if r > t.revenue)
            assert (t.name, t.email) == (
                NAMES[shop.customers.index(t.customer_id)],
                shop.emails[shop.customers.index(t.customer_id)],
            )
        assert len({t.customer_id for t in top}) == len(top)


def compare_intelligence(
    crm: CRPM, shop: Shop, lines: list[Line], as_of: datetime, days: int
) -> None:
    # reorder suggestions: net units in [as_of - days, as_of), cancelled lines left out
    default = crm.settings.get().low_stock_default
    sold = {pid: 0 for pid in shop.products}
    for x in inside(lines, as_of - timedelta(days=days), as_of):
        if not x.cancelled:
            sold[x.product] += x.units
    got = crm.reports.reorder_suggestions(days=days, as_of=as_of)
    want = {}
    for pid in shop.products:
        p = crm.products.get(pid)
        velocity = Fraction(sold[pid], days)
        cover = None if velocity == 0 else Fraction(p.stock) / velocity
        want[pid] = (
            p.stock,
            velocity,
            cover,
            default,
            max(0, math.ceil(default + velocity * days - p.stock)),
        )
    assert {
        r.product_id: (
            r.stock,
            r.daily_velocity,
            r.days_of_cover,
            r.reorder_point,
            r.suggested_quantity,
        )
        for r in got
    } == want
    covers = [r.days_of_cover for r in got]
    sold_first = [c for c in covers if c is not None]
    assert covers == sold_first + [None] * (len(covers) - len(sold_first))
    assert sold_first == sorted(sold_first)

    # RFM: customers with net revenue > 0 before as_of
    before = [x for x in lines if x.at < as_of and not x.cancelled]
    rows = {}
    for cid in shop.customers:
        mine = [x for x in before if x.customer == cid]
        money = sum((x.revenue for x in mine), ZERO)
        if money <= 0:
            continue
        kept = [x for x in mine if x.units > 0]
        last = max(x.at for x in kept)
        rows[cid] = ((as_of - last) // timedelta(days=1), len({x.order for x in kept}), money)
    n = len(rows)

    def rank(value: Any, worse: Any) -> int:
        return 1 + sum(1 for v in rows.values() if worse(v, value))

    want_rfm = []
    for cid in sorted(rows):
        rec, freq, money = rows[cid]
        r = contract_score(rank(rec, lambda v, x: v[0] > x), n)
        f = contract_score(rank(freq, lambda v, x: v[1] < x), n)
        m = contract_score(rank(money, lambda v, x: v[2] < x), n)
        want_rfm.append((cid, rec, freq, money, r, f, m, contract_segment(r, f, m)))
    assert [
        (x.customer_id, x.recency_days, x.frequency, x.monetary, x.r, x.f, x.m, x.segment)
        for x in crm.reports.rfm(as_of=as_of)
    ] == want_rfm


def rollup_rows(crm: CRPM) -> dict[str, set[tuple[Any, ...]]]:
    """The rows of the four rollups as comparable tuples; rows without a live line (if an
    implementation keeps them) must hold zeros and are left out."""
    t = tables
    found: dict[str, set[tuple[Any, ...]]] = {}
    with crm.db.transaction(write=False) as conn:
        d = t.sales_days.c
        found["sales_days"] = set()
        for r in conn.execute(
            select(d.day, d.lines, d.orders, d.units, d.returned, d.revenue_minor)
        ):
            row = (_day(r[0]), *map(int, r[1:]))
            if row[1] == 0:
                assert row[2:] == (0, 0, 0, 0), ("sales_days", row)
            else:
                found["sales_days"].add(row)
        d = t.product_sales_days.c
        found["product_sales_days"] = set()
        for r in conn.execute(
            select(d.day, d.product_id, d.lines, d.units, d.returned, d.revenue_minor)
        ):
            row = (_day(r[0]), *map(int, r[1:]))
            if row[2] == 0:
                assert row[3:] == (0, 0, 0), ("product_sales_days", row)
            else:
                found["product_sales_days"].add(row)
        d = t.product_sales.c
        found["product_sales"] = set()
        for r in conn.execute(select(d.product_id, d.lines, d.units, d.returned, d.revenue_minor)):
            row = tuple(map(int, r))
            if row[1] == 0:
                assert row[2:] == (0, 0, 0), ("product_sales", row)
            else:
                found["product_sales"].add(row)
        d = t.customer_sales.c
        found["customer_sales"] = set()
        for r in conn.execute(
            select(
                d.customer_id,
                d.lines,
                d.orders,
                d.kept_orders,
                d.units,
                d.returned,
                d.revenue_minor,
                d.first_at,
                d.last_at,
                d.last_kept_at,
            )
        ):
            row = (*map(int, r[:7]), *(_utc(x) for x in r[7:]))
            if row[1] == 0:
                assert row[2:7] == (0, 0, 0, 0, 0), ("customer_sales", row)
            else:
                found["customer_sales"].add(row)
    return found


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def expected_rollups(lines: list[Line], tz: ZoneInfo) -> dict[str, set[tuple[Any, ...]]]:
    live = [x for x in lines if not x.cancelled]

    def cents(xs: list[Line]) -> int:
        return int(sum((x.revenue for x in xs), ZERO) * 100)

    def groups(key: Any) -> dict[Any, list[Line]]:
        out: dict[Any, list[Line]] = {}
        for x in live:
            out.setdefault(key(x), []).append(x)
        return out

    def figures(xs: list[Line]) -> tuple[int, int, int, int]:
        return (len(xs), sum(x.units for x in xs), sum(x.returned for x in xs), cents(xs))

    customer_rows = set()
    for cid, xs in groups(lambda x: x.customer).items():
        kept = [x for x in xs if x.units > 0]
        customer_rows.add(
            (
                cid,
                len(xs),
                len({x.order for x in xs}),
                len({x.order for x in kept}),
                *figures(xs)[1:],
                min(x.at for x in xs),
                max(x.at for x in xs),
                max((x.at for x in kept), default=None),
            )
        )
    return {
        "sales_days": {
            (day, len(xs), len({x.order for x in xs}), *figures(xs)[1:])
            for day, xs in groups(lambda x: local_day(x.at, tz)).items()
        },
        "product_sales_days": {
            (day, pid, *figures(xs))
            for (day, pid), xs in groups(lambda x: (local_day(x.at, tz), x.product)).items()
        },
        "product_sales": {(pid, *figures(xs)) for pid, xs in groups(lambda x: x.product).items()},
        "customer_sales": customer_rows,
    }


# The property ------------------------------------------------------------------------------


@settings(max_examples=20)
@given(
    plan=steps,
    ranges=windows,
    last_zone=st.sampled_from(ZONES),
    as_of=instants,
    days=st.sampled_from([1, 7, 30, 400]),
)
def test_rollups_agree_after_every_step_and_reports_equal_python(
    crm: CRPM,
    plan: list[tuple[Any, ...]],
    ranges: list[tuple[datetime | None, datetime | None]],
    last_zone: str,
    as_of: datetime,
    days: int,
) -> None:
    shop = open_shop(crm)
    assert crm.check() == []
    for step in plan:
        run_step(crm, shop, step)
        assert crm.check() == [], shop.log

    lines = read_lines(crm)
    tz = ZoneInfo(crm.settings.get().timezone)
    assert rollup_rows(crm) == expected_rollups(lines, tz)
    for lo, hi in [(None, None), *ranges]:
        if lo is not None and hi is not None and hi < lo:
            lo, hi = hi, lo
        compare_reports(crm, shop, lines, lo, hi)
    compare_intelligence(crm, shop, lines, as_of, days)

    # one more zone: the days are rebuilt, the reports follow
    crm.settings.update(timezone=last_zone)
    assert crm.check() == []
    assert rollup_rows(crm) == expected_rollups(lines, ZoneInfo(last_zone))
    for lo, hi in [(None, None), ranges[0]]:
        if lo is not None and hi is not None and hi < lo:
            lo, hi = hi, lo
        compare_reports(crm, shop, lines, lo, hi)


# Explicit: check() and `crpm check` notice what differs -----------------------------------

AT = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # 00:30 on Sunday 25 October in Berlin


@pytest.fixture
def url(db_url: URL) -> str:
    return db_url.render_as_string(hide_password=False)


def _small_shop(crm: CRPM) -> tuple[int, int, int]:
    wipe_all(crm)
    crm.settings.update(timezone="Europe/Berlin")
    cid = crm.customers.add(name="Renée D'Arcy", email="renee@example.fr").id
    tea = crm.products.add(name="Thé vert", price="3.50", stock=50, sku="TEA-1").id
    mug = crm.products.add(name="Mug", price="9.99", stock=20).id
    order = crm.orders.place(customer_id=cid, lines=[(tea, 2), (mug, 1), (tea, 1)], purchased_at=AT)
    crm.purchases.return_items(order.lines[0].id, 1)
    crm.purchases.cancel(order.lines[1].id)
    crm.purchases.record(
        customer_id=cid, product_id=mug, quantity=3, purchased_at=AT + timedelta(days=3)
    )
    return cid, tea, mug


def _crpm_check(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code = main(["check", "--db", url])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out.splitlines(), err


def test_a_consistent_shop_checks_clean(
    crm: CRPM, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _small_shop(crm)
    assert crm.check() == []
    code, out, _ = _crpm_check(url, capsys)
    assert code == 0
    assert len(out) == 1 and "OK" in out[0]


def test_stock_that_left_its_ledger_names_the_product_and_sku(
    crm: CRPM, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, tea, _mug = _small_shop(crm)
    with crm.db.transaction() as conn:
        conn.execute(
            update(products).where(products.c.id == tea).values(stock=products.c.stock + 5)
        )
    found = crm.check()
    assert len(found) == 1, found
    assert str(tea) in found[0] and "TEA-1" in found[0]
    assert "stock" in found[0]
    code, out, _ = _crpm_check(url, capsys)
    assert (code, out) == (1, found)

    # put it back: clean again, exit 0
    with crm.db.transaction() as conn:
        conn.execute(
            update(products).where(products.c.id == tea).values(stock=products.c.stock - 5)
        )
    assert crm.check() == []
    assert _crpm_check(url, capsys)[0] == 0


@pytest.mark.parametrize(
    "rollup",
    ["sales_days", "product_sales_days", "product_sales_months", "product_sales", "customer_sales"],
)
def test_a_tampered_rollup_row_is_named(
    crm: CRPM, url: str, capsys: pytest.CaptureFixture[str], rollup: str
) -> None:
    cid, tea, mug = _small_shop(crm)
    assert crm.check() == []
    table = tables.metadata.tables[rollup]
    c = table.c
    with crm.db.transaction() as conn:
        if rollup == "sales_days":
            hit = conn.execute(
                update(table).where(c.day == date(2026, 10, 25)).values(units=c.units + 1)
            )
            what = "2026-10-25"  # the Berlin day of the order (its UTC day is the 24th)
        elif rollup == "product_sales_days":
            hit = conn.execute(
                update(table)
                .where(c.day == date(2026, 10, 25), c.product_id == tea)
                .values(revenue_minor=c.revenue_minor + 1)
            )
            what = "2026-10-25"
        elif rollup == "product_sales_months":
            hit = conn.execute(
                update(table)
                .where(c.month == date(2026, 10, 1), c.product_id == tea)
                .values(units=c.units - 1)
            )
            what = "2026-10-01"
        elif rollup == "product_sales":
            hit = conn.execute(update(table).where(c.product_id == mug).values(lines=c.lines + 1))
            what = str(mug)
        else:
            hit = conn.execute(
                update(table).where(c.customer_id == cid).values(returned=c.returned + 2)
            )
            what = str(cid)
        assert hit.rowcount == 1
    found = crm.check()
    assert len(found) >= 1, found
    assert all(rollup in line for line in found), found
    assert any(what in line for line in found), found
    code, out, _ = _crpm_check(url, capsys)
    assert (code, out) == (1, found)


def test_a_missing_rollup_row_is_noticed(
    crm: CRPM, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _small_shop(crm)
    with crm.db.transaction() as conn:
        conn.execute(delete(tables.sales_days))
    found = crm.check()
    assert found and all("sales_days" in line for line in found), found
    assert any("2026-10-25" in line for line in found) and any(
        "2026-10-27" in line for line in found
    )
    assert _crpm_check(url, capsys)[0] == 1


def test_a_rollup_row_for_a_day_without_sales_is_noticed(crm: CRPM) -> None:
    _small_shop(crm)
    with crm.db.transaction() as conn:
        conn.execute(
            tables.sales_days.insert().values(
                day=date(2026, 1, 1), lines=1, orders=1, units=1, returned=0, revenue_minor=100
            )
        )
    found = crm.check()
    assert found and any("sales_days" in line and "2026-01-01" in line for line in found), found


def test_buyers_of_a_range_at_either_end_of_the_history(crm: CRPM) -> None:
    """The buyers of a range that holds the newest or the oldest sale come from the
    customers' first and last live purchase; a cancelled sale outside the range or at its
    newest end changes nothing, and a range inside the history counts the raw rows."""
    wipe_all(crm)
    t0 = datetime(2026, 1, 5, 12, tzinfo=UTC)
    tea = crm.products.add(name="Tea", price="2.00", stock=100).id
    ids = [crm.customers.add(name=f"Client {n}", email=f"c{n}@example.org").id for n in range(4)]
    a, b, c, d = ids

    def buy(cid: int, days: int) -> Any:
        return crm.purchases.record(
            customer_id=cid, product_id=tea, quantity=1, purchased_at=t0 + timedelta(days=days)
        )

    buy(a, 0)
    crm.purchases.cancel(buy(a, 20).id)  # a's newest sale is cancelled: a's last is day 0
    buy(b, 10)
    buy(c, 15)
    crm.purchases.cancel(buy(d, -3).id)  # d's only sale is cancelled: never a buyer
    buy(d, 30)

    def buyers(lo: int | None, hi: int | None) -> int:
        start = None if lo is None else t0 + timedelta(days=lo)
        end = None if hi is None else t0 + timedelta(days=hi)
        return crm.reports.sales_summary(start=start, end=end).buyer_count

    assert buyers(None, None) == 4
    assert buyers(5, None) == 3  # b, c, d: the tail, from last_at
    assert buyers(16, 60) == 1  # d only: a's day-20 sale is cancelled
    assert buyers(31, None) == 0
    assert buyers(None, 11) == 2  # a, b: the head, from first_at
    assert buyers(-10, 0) == 0  # d's cancelled sale at day -3 does not count
    assert buyers(1, 16) == 2  # b, c: inside the history, from the raw rows
    assert buyers(0, 1) == 1
    assert buyers(10, 10) == 0


def test_a_long_range_reads_whole_months_and_the_days_around_them(crm: CRPM) -> None:
    """product_performance over a range with whole months, partial months and partial
    days in Berlin equals the same figures summed from each sale; the month rollup holds
    each local month (23:30 UTC on 31 January is Berlin's 1 February, on 28 February its
    1 March, on 31 March, in summer time, its 1 April)."""
    wipe_all(crm)
    crm.settings.update(timezone="Europe/Berlin")
    cid = crm.customers.add(name="Zoë", email="zoe@example.org").id
    tea = crm.products.add(name="Tea", price="1.25", stock=1000).id
    sold: list[tuple[datetime, int]] = []
    for n, (month, day, hour) in enumerate(
        [(1, 31, 23), (2, 1, 0), (2, 28, 23), (3, 31, 23), (4, 1, 10), (6, 15, 9), (7, 1, 1)]
    ):
        at = datetime(2026, month, day, hour, 30, tzinfo=UTC)
        crm.purchases.record(customer_id=cid, product_id=tea, quantity=n + 1, purchased_at=at)
        sold.append((at, n + 1))
    with crm.db.transaction() as conn:
        months = {
            (r.month if isinstance(r.month, date) else date.fromisoformat(r.month)): int(r.units)
            for r in conn.execute(select(tables.product_sales_months))
        }
    assert months == {
        date(2026, 2, 1): 1 + 2,
        date(2026, 3, 1): 3,
        date(2026, 4, 1): 4 + 5,
        date(2026, 6, 1): 6,
        date(2026, 7, 1): 7,
    }
    for lo, hi in [
        (datetime(2026, 1, 31, 22, 45, tzinfo=UTC), datetime(2026, 6, 30, 22, tzinfo=UTC)),
        (datetime(2026, 2, 1, 0, tzinfo=UTC), datetime(2026, 7, 1, 1, 30, tzinfo=UTC)),
        (datetime(2026, 1, 31, 23, tzinfo=UTC), datetime(2026, 3, 31, 22, tzinfo=UTC)),
    ]:
        (row,) = [
            p for p in crm.reports.product_performance(start=lo, end=hi) if p.product_id == tea
        ]
        want = sum(q for at, q in sold if lo <= at < hi)
        assert row.units_sold == want, (lo, hi)
        assert row.revenue == Decimal("1.25") * want
    assert crm.check() == []


def test_the_rollups_follow_a_sale_in_its_own_transaction(crm: CRPM) -> None:
    """A refused order (one short line) changes no rollup; a transaction that fails after a
    sale leaves none behind either."""
    cid, tea, mug = _small_shop(crm)
    before = rollup_rows(crm)
    with pytest.raises(errors.InsufficientStock):
        crm.orders.place(customer_id=cid, lines=[(tea, 1), (mug, 1_000)], purchased_at=AT)
    with pytest.raises(RuntimeError), crm.transaction() as tx:
        tx.orders.place(customer_id=cid, lines=[(tea, 1)], purchased_at=AT)
        raise RuntimeError("rolled back")
    assert rollup_rows(crm) == before
    assert crm.check() == []


def test_a_day_past_2_63_minor_units_is_exact(crm: CRPM) -> None:
    """95 lines of a million units at 1,000,000,000.00 in one order: the day's revenue is
    past 2**63 cents, and the rollups still hold it exactly (and after a return and a cancel)."""
    wipe_all(crm)
    crm.settings.update(timezone="Asia/Kathmandu")
    cid = crm.customers.add(name="Ægir", email="aegir@example.is").id
    gold = crm.products.add(name="Gold", price="1000000000", stock=1_000_000_000, sku="AU").id
    at = datetime(2026, 6, 14, 18, 15, tzinfo=UTC)  # local midnight, 15 June
    order = crm.orders.place(customer_id=cid, lines=[(gold, 1_000_000)] * 95, purchased_at=at)
    assert order.total == Decimal(10**15) * 95
    assert crm.check() == []
    lines = read_lines(crm)
    assert rollup_rows(crm) == expected_rollups(lines, ZoneInfo("Asia/Kathmandu"))
    assert {r[-1] for r in rollup_rows(crm)["sales_days"]} == {95 * 10**17}
    crm.purchases.return_items(order.lines[0].id, 1)
    crm.purchases.cancel(order.lines[1].id)
    assert crm.check() == []
    lines = read_lines(crm)
    assert rollup_rows(crm) == expected_rollups(lines, ZoneInfo("Asia/Kathmandu"))
    (day,) = crm.reports.sales_over_time(bucket="day")
    assert day.revenue == Decimal(10**15) * 94 - Decimal(10**9)
    assert day.period_start == at


def test_a_restored_shop_keeps_its_rollups_on_every_backend(
    crm: CRPM, backend: str, tmp_path: Path
) -> None:
    """A shop in Berlin with sales at the edges of its days (and one in December 2024)
    moves to a new SQLite database by backup and restore: its rollups agree there, its reports
    are the same, and a change of zone there rebuilds the days."""
    from crpm_core import backup

    cid, tea, mug = _small_shop(crm)
    crm.orders.place(
        customer_id=cid,
        lines=[(tea, 1), (mug, 2)],
        purchased_at=datetime(2024, 12, 31, 23, 30, tzinfo=UTC),  # 1 January 2025 in Berlin
    )
    crm.purchases.record(
        customer_id=cid,
        product_id=tea,
        quantity=2,
        purchased_at=datetime(2024, 12, 1, 22, 59, 59, tzinfo=UTC),  # 1 December, 23:59:59
    )
    assert crm.check() == []

    def reports(h: CRPM) -> list[Any]:
        return [
            h.reports.sales_summary(),
            *(h.reports.sales_over_time(bucket=b) for b in ("day", "week", "month")),  # type: ignore[arg-type]
            h.reports.product_performance(),
            h.reports.top_customers(),
            h.reports.sales_summary(start=datetime(2024, 12, 1, 12, tzinfo=UTC)),
        ]

    before = reports(crm)
    archive = tmp_path / f"{backend}.zip"
    backup.write(crm, archive)
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    backup.restore(archive, target)
    with crpm_core.connect(target) as moved:
        assert moved.settings.get().timezone == "Europe/Berlin"
        assert moved.check() == []
        assert reports(moved) == before
        lines = read_lines(moved)
        assert rollup_rows(moved) == expected_rollups(lines, ZoneInfo("Europe/Berlin"))
        moved.settings.update(timezone="America/New_York")
        assert moved.check() == []
        assert rollup_rows(moved) == expected_rollups(lines, ZoneInfo("America/New_York"))
