"""RFM segments and reorder suggestions (contract, "Intelligence"): the pure rules, worked
examples on every backend, a property test against plain-Python definitions, the CLI."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import URL

from crpm_core import CRPM, CustomerSegment, ReorderSuggestion, SegmentSummary, errors
from crpm_core.cli import main
from crpm_core.domain import intelligence
from tests.helpers import wipe

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)

# The contract's table, as written there: the domain's table must say the same.
CONTRACT_TABLE = """
| Champions | 4–5 | 4–5 | 4–5 |
| Can't Lose Them | 1 | 4–5 | 4–5 |
| Loyal Customers | 2–5 | 3–5 | 3–5 |
| New Customers | 4–5 | 1 | 1 |
| Promising | 3–4 | 1 | 1 |
| Needs Attention | 2–3 | 2–3 | 2–3 |
| Potential Loyalist | 3–5 | 1–3 | 1–3 |
| At Risk | 1–2 | 2–5 | 2–5 |
| About To Sleep | 2–3 | 1–2 | 1–2 |
| Lost | 1 | 1 | 1 |
| Hibernating | 1–2 | 1–2 | 1–2 |
| Others | any | any | any |
"""


def _contract_segments() -> list[tuple[str, list[range]]]:
    table = []
    for line in CONTRACT_TABLE.strip().splitlines():
        name, *cells = [c.strip() for c in line.strip("|").split("|")]
        ranges = []
        for cell in cells:
            lo, _, hi = ("1–5" if cell == "any" else cell).partition("–")
            ranges.append(range(int(lo), int(hi or lo) + 1))
        table.append((name, ranges))
    return table


CONTRACT = _contract_segments()


def contract_segment(r: int, f: int, m: int) -> str:
    return next(name for name, (rr, fr, mr) in CONTRACT if r in rr and f in fr and m in mr)


def contract_score(rank: int, n: int) -> int:
    p = Fraction(0) if n == 1 else Fraction(rank - 1, n - 1)
    return min(5, 1 + math.floor(5 * p))


# The pure rules ----------------------------------------------------------------------------


def test_every_segment_of_the_table_is_reached() -> None:
    assert tuple(name for name, _ in CONTRACT) == intelligence.SEGMENT_NAMES
    reached: dict[str, list[tuple[int, int, int]]] = {}
    for r, f, m in itertools.product(range(1, 6), repeat=3):
        name = intelligence.segment(r, f, m)
        assert name == contract_segment(r, f, m)
        reached.setdefault(name, []).append((r, f, m))
    assert set(reached) == set(intelligence.SEGMENT_NAMES)
    assert sum(map(len, reached.values())) == 125
    # the first matching row wins: 5,5,5 is a Champion though Loyal Customers hold it too
    assert intelligence.segment(5, 5, 5) == "Champions"
    assert intelligence.segment(1, 5, 5) == "Can't Lose Them"
    assert intelligence.segment(1, 1, 1) == "Lost"
    assert intelligence.segment(1, 1, 2) == "Hibernating"
    assert intelligence.segment(5, 1, 5) == "Others"


def test_scores_come_from_ranks() -> None:
    assert intelligence.score(1, 1) == 1  # p = 0 for one customer
    assert [intelligence.score(k, 2) for k in (1, 2)] == [1, 5]
    assert [intelligence.score(k, 6) for k in range(1, 7)] == [1, 2, 3, 4, 5, 5]
    for n in range(1, 40):
        for k in range(1, n + 1):
            assert intelligence.score(k, n) == contract_score(k, n)
    with pytest.raises(ValueError):
        intelligence.score(3, 2)


def test_reorder_rules() -> None:
    v = intelligence.daily_velocity(10, 30)
    assert v == Fraction(1, 3) and v * 30 == 10
    assert intelligence.days_of_cover(4, v) == 12
    assert intelligence.days_of_cover(4, Fraction(0)) is None
    assert intelligence.suggested_quantity(5, v, 30, 4) == 11
    assert intelligence.suggested_quantity(5, v, 30, 400) == 0


@given(
    units=st.integers(-(10**12), 10**12),
    days=st.integers(1, 3650),
    point=st.integers(0, 10**9),
    stock=st.integers(-(10**9), 10**12),
    window=st.integers(1, 3650),
)
def test_reorder_arithmetic_is_the_exact_fraction_rule(
    units: int, days: int, point: int, stock: int, window: int
) -> None:
    """The rules compute in whole numbers; they must equal the contract's formulas on exact
    fractions for any sign and size (``window`` may differ from the velocity's own days)."""
    v = intelligence.daily_velocity(units, days)
    assert intelligence.suggested_quantity(point, v, window, stock) == max(
        0, math.ceil(point + v * window - stock)
    )
    cover = intelligence.days_of_cover(stock, v)
    assert cover == (None if v <= 0 else Fraction(stock) / v)
    assert cover is None or type(cover) is Fraction
    # the report's one-step figures for its own window are the three rules together
    assert intelligence.reorder_figures(units, days, stock, point) == (
        v,
        cover,
        intelligence.suggested_quantity(point, v, days, stock),
    )


# Worked examples on the backends -----------------------------------------------------------


def _shop(crm: CRPM, *names: str) -> tuple[list[int], int]:
    people = [crm.customers.add(name=n, email=f"{n.lower()}@x.org").id for n in names]
    tea = crm.products.add(name="Tea", price="2.00", stock=1000).id
    return people, tea


def _buy(crm: CRPM, who: int, product: int, qty: int, at: datetime) -> Any:
    return crm.orders.place(customer_id=who, lines=[(product, qty)], purchased_at=at)


def test_one_customer_scores_one_everywhere(crm: CRPM) -> None:
    (ada,), tea = _shop(crm, "Ada")
    _buy(crm, ada, tea, 3, T0)
    assert crm.reports.rfm(as_of=T0 + 2 * DAY) == [
        CustomerSegment(ada, "Ada", 2, 1, Decimal("6.00"), 1, 1, 1, "Lost")
    ]
    assert crm.reports.rfm(as_of=T0) == []  # a sale at as_of is not before it


def test_ties_share_the_lowest_rank_and_inactive_customers_count(crm: CRPM) -> None:
    (a, b, c), tea = _shop(crm, "Ann", "Bob", "Cy")
    _buy(crm, a, tea, 1, T0)  # Ann and Bob: the same day, one order, 2.00 each
    _buy(crm, b, tea, 1, T0 + timedelta(hours=5))
    _buy(crm, c, tea, 2, T0 + DAY)
    _buy(crm, c, tea, 2, T0 + 2 * DAY)
    crm.customers.deactivate(b)
    rows = crm.reports.rfm(as_of=T0 + 10 * DAY)
    assert [(x.name, x.recency_days, x.frequency, x.monetary) for x in rows] == [
        ("Ann", 10, 1, Decimal("2.00")),
        ("Bob", 9, 1, Decimal("2.00")),  # 9 days 19 hours: whole days
        ("Cy", 8, 2, Decimal("8.00")),
    ]
    # recency: Ann 10 days (rank 1), Bob 9 (2), Cy 8 (3); F and M: Ann and Bob tie at rank 1
    assert [(x.r, x.f, x.m, x.segment) for x in rows] == [
        (1, 1, 1, "Lost"),
        (3, 1, 1, "Promising"),
        (5, 5, 5, "Champions"),
    ]
    # the same whole days tie on recency too
    same = crm.reports.rfm(as_of=T0 + timedelta(days=10, hours=6))
    assert [(x.recency_days, x.r) for x in same] == [(10, 1), (10, 1), (8, 5)]


def test_returned_and_cancelled_orders_do_not_count(crm: CRPM) -> None:
    (ada, bob), tea = _shop(crm, "Ada", "Bob")
    mug = crm.products.add(name="Mug", price="5.00", stock=100).id
    kept = _buy(crm, ada, tea, 2, T0)
    gone = _buy(crm, ada, tea, 2, T0 + DAY)  # fully returned: no order, no revenue
    crm.purchases.return_items(gone.lines[0].id, 2)
    dropped = _buy(crm, ada, tea, 5, T0 + 2 * DAY)  # cancelled
    crm.orders.cancel(dropped.id)
    half = crm.orders.place(  # one line returned, one kept: still an order
        customer_id=ada, lines=[(tea, 1), (mug, 1)], purchased_at=T0 + 3 * DAY
    )
    crm.purchases.return_items(half.lines[1].id, 1)
    line_gone = crm.orders.place(  # one line cancelled, the other fully returned
        customer_id=ada, lines=[(tea, 1), (mug, 1)], purchased_at=T0 + 4 * DAY
    )
    crm.purchases.cancel(line_gone.lines[0].id)
    crm.purchases.return_items(line_gone.lines[1].id, 1)
    _buy(crm, bob, mug, 1, T0 + 5 * DAY)
    back = _buy(crm, bob, mug, 1, T0 + 6 * DAY)  # Bob's only order returned: not a customer
    crm.purchases.return_items(back.lines[0].id, 1)
    crm.purchases.return_items(_buy(crm, bob, tea, 1, T0).lines[0].id, 1)

    rows = {x.name: x for x in crm.reports.rfm(as_of=T0 + 10 * DAY)}
    assert (rows["Ada"].frequency, rows["Ada"].monetary) == (2, Decimal("6.00"))
    assert rows["Ada"].recency_days == 7  # from the order of day 3, the last counted
    assert (rows["Bob"].frequency, rows["Bob"].monetary, rows["Bob"].recency_days) == (
        1,
        Decimal("5.00"),
        5,
    )
    assert kept.lines[0].total == Decimal("4.00")


def test_recency_is_exact_to_the_microsecond(crm: CRPM) -> None:
    (ada,), tea = _shop(crm, "Ada")
    at = T0 + timedelta(microseconds=700)
    _buy(crm, ada, tea, 1, at)
    assert crm.reports.rfm(as_of=at + 3 * DAY)[0].recency_days == 3
    assert crm.reports.rfm(as_of=at + 3 * DAY - timedelta(microseconds=1))[0].recency_days == 2
    late = datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=UTC)
    _buy(crm, ada, tea, 1, late)
    assert crm.reports.rfm(as_of=datetime(2026, 3, 2, tzinfo=UTC))[0].recency_days == 0
    assert crm.reports.rfm(as_of=late + DAY)[0].recency_days == 1


def test_rfm_segments_in_table_order_with_totals(crm: CRPM) -> None:
    (a, b, c), tea = _shop(crm, "Ann", "Bob", "Cy")
    _buy(crm, a, tea, 1, T0)
    _buy(crm, b, tea, 1, T0 + timedelta(hours=5))
    _buy(crm, c, tea, 2, T0 + DAY)
    _buy(crm, c, tea, 2, T0 + 2 * DAY)
    summary = crm.reports.rfm_segments(as_of=T0 + 10 * DAY)
    assert [s.segment for s in summary] == list(intelligence.SEGMENT_NAMES)
    got = {s.segment: (s.customers, s.revenue) for s in summary}
    assert got["Lost"] == (1, Decimal("2.00"))
    assert got["Promising"] == (1, Decimal("2.00"))
    assert got["Champions"] == (1, Decimal("8.00"))
    assert sum(s.customers for s in summary) == 3
    assert got["At Risk"] == (0, Decimal("0.00"))
    empty = crm.reports.rfm_segments(as_of=T0)
    assert empty == [
        SegmentSummary(name, 0, Decimal("0.00")) for name in intelligence.SEGMENT_NAMES
    ]


def test_reorder_suggestions_worked_example(crm: CRPM) -> None:
    crm.settings.update(low_stock_default=4)
    ada = crm.customers.add(name="Ada", email="ada@x.org").id
    tea = crm.products.add(name="Tea", price="2.00", stock=40).id
    mug = crm.products.add(name="Mug", price="5.00", stock=10, reorder_point=8).id
    jar = crm.products.add(name="Jar", price="1.00", stock=3).id  # sells nothing
    old = crm.products.add(name="Old", price="1.00", stock=3).id
    _buy(crm, ada, tea, 10, T0 - 31 * DAY)  # before the window
    _buy(crm, ada, tea, 12, T0 - 30 * DAY)  # the window's first instant: counts
    back = _buy(crm, ada, tea, 5, T0 - DAY)
    crm.purchases.return_items(back.lines[0].id, 2)  # 3 net
    crm.orders.cancel(_buy(crm, ada, tea, 4, T0 - DAY).id)
    _buy(crm, ada, tea, 1, T0)  # at as_of: not before it
    _buy(crm, ada, mug, 3, T0 - 2 * DAY)
    crm.products.deactivate(old)

    rows = crm.reports.reorder_suggestions(as_of=T0)
    assert [r.name for r in rows] == ["Tea", "Mug", "Jar"]  # 28, 70 days of cover, none sold
    tea_row, mug_row, jar_row = rows
    assert mug_row == ReorderSuggestion(
        mug,
        "Mug",
        7,
        Fraction(1, 10),
        Fraction(70),
        8,
        4,  # ceil(8 + 3 - 7)
    )
    # Tea: 15 net units in 30 days, stock 40 - 10 - 12 - 3 - 1 = 14
    assert tea_row == ReorderSuggestion(tea, "Tea", 14, Fraction(1, 2), Fraction(28), 4, 5)
    assert jar_row == ReorderSuggestion(jar, "Jar", 3, Fraction(0), None, 4, 1)
    week = {r.name: r for r in crm.reports.reorder_suggestions(days=7, as_of=T0)}
    assert week["Tea"].daily_velocity == Fraction(3, 7)
    assert week["Tea"].daily_velocity * 7 == 3
    assert week["Tea"].suggested_quantity == 0  # ceil(4 + 3 - 14) < 0


@pytest.mark.parametrize("days", [0, 3651, 1.5, "7", True, None])
def test_reorder_days_are_checked(crm: CRPM, days: object) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        crm.reports.reorder_suggestions(days=days)  # type: ignore[arg-type]
    assert caught.value.field == "days"


def test_as_of_is_checked(crm: CRPM) -> None:
    naive = datetime(2026, 1, 1)
    for call in (crm.reports.rfm, crm.reports.rfm_segments, crm.reports.reorder_suggestions):
        with pytest.raises(errors.ValidationError) as caught:
            call(as_of=naive)
        assert caught.value.field == "as_of"


# The property: the reports equal the contract's rules computed in plain Python -------------

PRICES = [Decimal("2.50"), Decimal("0.99"), Decimal("10.00"), Decimal("0.00")]
POINTS = [None, 3, None, 50]
STOCK = 500
LOW_DEFAULT = 7


@attrs.define
class Line:
    id: int
    customer: int
    product: int
    quantity: int
    at: datetime
    order: int
    returned: int = 0
    cancelled: bool = False

    @property
    def units(self) -> int:
        return self.quantity - self.returned


HOURS = st.integers(min_value=0, max_value=24 * 40)
orders_ = st.lists(
    st.tuples(
        st.integers(0, 4),
        st.lists(st.tuples(st.integers(0, 3), st.integers(1, 4)), min_size=1, max_size=3),
        HOURS,
    ),
    max_size=12,
)
changes_ = st.lists(
    st.tuples(
        st.sampled_from(["return", "cancel line", "cancel order"]),
        st.integers(0, 50),
        st.integers(0, 5),
        st.integers(1, 4),
    ),
    max_size=8,
)


def reference_rfm(lines: list[Line], names: list[str], as_of: datetime) -> list[CustomerSegment]:
    stats = []
    for c, name in enumerate(names):
        mine = [ln for ln in lines if ln.customer == c and not ln.cancelled and ln.at < as_of]
        monetary = sum((PRICES[ln.product] * ln.units for ln in mine), Decimal("0.00"))
        if monetary <= 0:
            continue
        counted = [ln for ln in mine if ln.units > 0]
        last = max(ln.at for ln in counted)
        days = (as_of - last) // DAY
        stats.append((c, name, days, len({ln.order for ln in counted}), monetary))
    n = len(stats)
    rows = []
    for c, name, days, freq, money in stats:
        r = contract_score(1 + sum(1 for s in stats if s[2] > days), n)
        f = contract_score(1 + sum(1 for s in stats if s[3] < freq), n)
        m = contract_score(1 + sum(1 for s in stats if s[4] < money), n)
        rows.append(CustomerSegment(c, name, days, freq, money, r, f, m, contract_segment(r, f, m)))
    return rows


def reference_reorder(
    lines: list[Line], names: list[str], active: list[bool], days: int, as_of: datetime
) -> list[ReorderSuggestion]:
    rows = []
    for p, name in enumerate(names):
        if not active[p]:
            continue
        live = [ln for ln in lines if ln.product == p and not ln.cancelled]
        stock = STOCK - sum(ln.units for ln in live)
        units = sum(ln.units for ln in live if as_of - days * DAY <= ln.at < as_of)
        velocity = Fraction(units, days)
        cover = None if units == 0 else stock / velocity
        point = LOW_DEFAULT if POINTS[p] is None else POINTS[p]
        assert point is not None
        suggested = max(0, math.ceil(point + velocity * days - stock))
        rows.append(ReorderSuggestion(p, name, stock, velocity, cover, point, suggested))
    rows.sort(key=lambda r: (r.days_of_cover is None, r.days_of_cover or 0, r.name, r.product_id))
    return rows


def test_reports_equal_the_contracts_rules(crm: CRPM, backend: str) -> None:
    @settings(max_examples=40 if backend == "sqlite" else 15)
    @given(
        orders=orders_,
        changes=changes_,
        as_of_hours=st.integers(0, 24 * 45),
        days=st.integers(1, 20),
        inactive=st.lists(st.booleans(), min_size=9, max_size=9),
    )
    def run(
        orders: list[tuple[int, list[tuple[int, int]], int]],
        changes: list[tuple[str, int, int, int]],
        as_of_hours: int,
        days: int,
        inactive: list[bool],
    ) -> None:
        wipe(crm)
        crm.settings.update(low_stock_default=LOW_DEFAULT)
        cnames = [f"C{i}" for i in range(5)]
        pnames = ["Tea", "Mug", "Jar", "Tea"]  # a name twice: ties broken by id
        cust = [crm.customers.add(name=n, email=f"{n}@x.org").id for n in cnames]
        prod = [
            crm.products.add(name=n, price=PRICES[i], stock=STOCK, reorder_point=POINTS[i]).id
            for i, n in enumerate(pnames)
        ]
        lines: list[Line] = []
        by_order: list[list[Line]] = []
        order_ids: list[int] = []
        for n, (c, basket, hours) in enumerate(orders):
            at = T0 + timedelta(hours=hours)
            placed = crm.orders.place(
                customer_id=cust[c], lines=[(prod[p], q) for p, q in basket], purchased_at=at
            )
            mine = [
                Line(x.id, c, p, q, at, n) for x, (p, q) in zip(placed.lines, basket, strict=True)
            ]
            lines += mine
            by_order.append(mine)
            order_ids.append(placed.id)
        for what, o, k, qty in changes:
            if not by_order:
                break
            o %= len(by_order)
            line = by_order[o][k % len(by_order[o])]
            if what == "return" and not line.cancelled and qty <= line.units:
                crm.purchases.return_items(line.id, qty)
                line.returned += qty
            elif what == "cancel line" and not line.cancelled:
                crm.purchases.cancel(line.id)
                line.cancelled = True
            elif what == "cancel order" and not all(x.cancelled for x in by_order[o]):
                crm.orders.cancel(order_ids[o])
                for x in by_order[o]:
                    x.cancelled = True
        for i, off in enumerate(inactive[:5]):
            if off:
                crm.customers.deactivate(cust[i])
        active = [not off for off in inactive[5:]]
        for i, on in enumerate(active):
            if not on:
                crm.products.deactivate(prod[i])

        as_of = T0 + timedelta(hours=as_of_hours)
        expected = reference_rfm(lines, cnames, as_of)
        expected = [attrs.evolve(r, customer_id=cust[r.customer_id]) for r in expected]
        assert crm.reports.rfm(as_of=as_of) == expected
        summary = crm.reports.rfm_segments(as_of=as_of)
        assert [(s.segment, s.customers) for s in summary] == [
            (name, sum(1 for r in expected if r.segment == name))
            for name in intelligence.SEGMENT_NAMES
        ]
        assert sum((s.revenue for s in summary), Decimal(0)) == sum(
            (r.monetary for r in expected), Decimal(0)
        )
        wanted = reference_reorder(lines, pnames, active, days, as_of)
        wanted = [attrs.evolve(r, product_id=prod[r.product_id]) for r in wanted]
        wanted.sort(key=intelligence.reorder_order)  # ids are in the same order as indexes
        assert crm.reports.reorder_suggestions(days=days, as_of=as_of) == wanted

    run()


# The command line --------------------------------------------------------------------------


def _crpm(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as stop:
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_cli_reports_rfm_and_reorder(
    crm: CRPM, db_url: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    url = db_url.render_as_string(hide_password=False)
    (a, b), tea = _shop(crm, "Ann", "Bob")
    crm.products.add(name="Mug", price="5.00", stock=9, reorder_point=6)
    _buy(crm, a, tea, 1, T0)
    _buy(crm, b, tea, 2, T0 + DAY)
    as_of = T0 + 5 * DAY
    when = as_of.isoformat()

    code, out, _ = _crpm(capsys, "report", "rfm", "--db", url, "--as-of", when, "--format", "json")
    assert code == 0
    assert json.loads(out) == [
        {k: str(v) if isinstance(v, Decimal) else v for k, v in attrs.asdict(r).items()}
        for r in crm.reports.rfm(as_of=as_of)
    ]
    code, out, _ = _crpm(capsys, "report", "rfm", "--db", url, "--as-of", when, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0] == [f.name for f in attrs.fields(CustomerSegment)]
    assert rows[1:] == [
        [str(a), "Ann", "5", "1", "2.00", "1", "1", "1", "Lost"],
        [str(b), "Bob", "4", "1", "4.00", "5", "1", "5", "Others"],
    ]
    code, out, _ = _crpm(capsys, "report", "rfm", "--db", url, "--as-of", when)
    assert code == 0 and "segment" in out.splitlines()[0] and "Lost" in out

    code, out, _ = _crpm(
        capsys, "report", "reorder", "--db", url, "--days", "7", "--as-of", when, "--format", "csv"
    )
    assert code == 0
    got = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in got] == ["Tea", "Mug"]
    assert got[0]["daily_velocity"] == "0.4286"  # 3/7 to 4 places
    assert got[0]["days_of_cover"] == "2326.3333"  # 997 / (3/7)
    assert got[1]["days_of_cover"] == "" and got[1]["suggested_quantity"] == "0"
    code, out, _ = _crpm(
        capsys, "report", "reorder", "--db", url, "--as-of", when, "--format", "json"
    )
    assert code == 0 and json.loads(out)[0]["daily_velocity"] == "0.1000"  # 3 units / 30 days
    code, out, _ = _crpm(capsys, "report", "reorder", "--db", url)
    assert code == 0 and "days of cover" in out

    code, _, err = _crpm(capsys, "report", "reorder", "--db", url, "--days", "4000")
    assert code == 1 and "days" in err
    code, _, err = _crpm(capsys, "report", "rfm", "--db", url, "--format", "pdf", "-o", "x.pdf")
    assert code == 2 and "invalid choice" in err
