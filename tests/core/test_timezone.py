"""Reports in the shop's time zone: local days, Monday weeks and months, across both DST
transitions of a European and an American zone, on every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from crpm_core import CRPM

# The day each zone's clocks go forward (a 23-hour day) and back (a 25-hour day) in 2024;
# all four are Sundays, the last day of a Monday week.
TRANSITIONS = [
    ("Europe/Berlin", date(2024, 3, 31), 23),
    ("Europe/Berlin", date(2024, 10, 27), 25),
    ("America/New_York", date(2024, 3, 10), 23),
    ("America/New_York", date(2024, 11, 3), 25),
]


def local(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(zone))


def _shop(crm: CRPM, zone: str) -> tuple[int, int]:
    crm.settings.update(timezone=zone)
    cid = crm.customers.add(name="Renée D'Arcy", email="renee@example.fr").id
    pid = crm.products.add(name="Kaffee „Ö“", price="2.50", stock=1000, sku="KAF-1").id
    return cid, pid


@pytest.mark.parametrize(("zone", "day", "hours"), TRANSITIONS)
def test_days_follow_the_shop_zone_across_dst(crm: CRPM, zone: str, day: date, hours: int) -> None:
    cid, pid = _shop(crm, zone)
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    sales = [  # (local time, quantity)
        (local(before, 23, 30, zone), 1),
        (local(day, 0, 30, zone), 2),
        (local(day, 23, 30, zone), 3),
        (local(after, 0, 30, zone), 4),
    ]
    for at, qty in sales:
        crm.purchases.record(customer_id=cid, product_id=pid, quantity=qty, purchased_at=at)
    start = local(before, 0, 0, zone)
    end = local(after + timedelta(days=1), 0, 0, zone)
    days = crm.reports.sales_over_time(bucket="day", start=start, end=end)
    assert [(d.period_start, d.units_sold, d.purchase_count) for d in days] == [
        (local(before, 0, 0, zone), 1, 1),
        (local(day, 0, 0, zone), 5, 2),
        (local(after, 0, 0, zone), 4, 1),
    ]
    assert days[1].revenue == Decimal("12.50")
    # the transition day is 23 or 25 hours long (measured in UTC: Python subtracts two
    # times of the same zone on the wall clock)
    utc = [d.period_start.astimezone(UTC) for d in days]
    assert utc[2] - utc[1] == timedelta(hours=hours)
    assert utc[1] - utc[0] == timedelta(hours=24)
    # every period starts at local midnight, in the shop's zone
    for d in days:
        here = d.period_start.astimezone(ZoneInfo(zone))
        assert here.time() == time(0) and d.period_start.utcoffset() == here.utcoffset()
    # the same without a range: from the first sale's day to the last's
    assert crm.reports.sales_over_time(bucket="day") == days

    # weeks start on Monday: the Sunday 23:30 sale is last week's, the Monday 00:30 sale not
    weeks = crm.reports.sales_over_time(bucket="week", start=start, end=end)
    monday = day - timedelta(days=6)
    assert [(w.period_start, w.units_sold) for w in weeks] == [
        (local(monday, 0, 0, zone), 6),
        (local(after, 0, 0, zone), 4),
    ]


def test_months_are_local_months(crm: CRPM) -> None:
    zone = "Europe/Berlin"
    cid, pid = _shop(crm, zone)
    # 00:30 on 1 April in Berlin is still 31 March in UTC; 23:30 on 31 March is too
    for at, qty in [
        (local(date(2024, 3, 31), 23, 30, zone), 1),
        (local(date(2024, 4, 1), 0, 30, zone), 2),
        (local(date(2024, 12, 31), 23, 59, zone), 3),  # 22:59 UTC
        (local(date(2025, 1, 1), 0, 0, zone), 4),  # 23:00 UTC on 31 December
    ]:
        crm.purchases.record(customer_id=cid, product_id=pid, quantity=qty, purchased_at=at)
    months = crm.reports.sales_over_time(bucket="month")
    assert [(m.period_start.astimezone(ZoneInfo(zone)).date(), m.units_sold) for m in months][
        :2
    ] == [(date(2024, 3, 1), 1), (date(2024, 4, 1), 2)]
    assert [(m.period_start, m.units_sold) for m in months][-2:] == [
        (local(date(2024, 12, 1), 0, 0, zone), 3),
        (local(date(2025, 1, 1), 0, 0, zone), 4),
    ]
    assert len(months) == 11  # March 2024 .. January 2025, empty months with zeros
    assert sum(m.units_sold for m in months) == 10


def test_returns_and_cancels_lower_the_period_of_the_sale(crm: CRPM) -> None:
    zone = "America/New_York"
    cid, pid = _shop(crm, zone)
    sunday = date(2024, 11, 3)
    late = crm.purchases.record(
        customer_id=cid, product_id=pid, quantity=5, purchased_at=local(sunday, 23, 30, zone)
    )
    early = crm.purchases.record(
        customer_id=cid, product_id=pid, quantity=2, purchased_at=local(sunday, 0, 30, zone)
    )
    crm.purchases.return_items(late.id, 2)  # returned days later (by the clock: now)
    crm.purchases.cancel(early.id)
    days = crm.reports.sales_over_time(
        bucket="day", start=local(sunday, 0, 0, zone), end=local(sunday, 23, 45, zone)
    )
    assert [(d.period_start, d.units_sold, d.revenue, d.purchase_count) for d in days] == [
        (local(sunday, 0, 0, zone), 3, Decimal("7.50"), 1)
    ]
    whole = crm.reports.sales_over_time(bucket="week")
    assert [(w.period_start, w.units_sold) for w in whole] == [
        (local(date(2024, 10, 28), 0, 0, zone), 3)
    ]


def test_a_utc_shop_keeps_utc_midnights(crm: CRPM) -> None:
    cid, pid = _shop(crm, "UTC")
    at = datetime(2024, 3, 31, 23, 30, tzinfo=UTC)
    crm.purchases.record(customer_id=cid, product_id=pid, quantity=1, purchased_at=at)
    (day,) = crm.reports.sales_over_time(bucket="day")
    assert day.period_start == datetime(2024, 3, 31, tzinfo=UTC)
    assert day.period_start.utcoffset() == timedelta(0)


def test_a_range_edge_inside_a_local_day(crm: CRPM) -> None:
    """``start``/``end`` anywhere: the periods still start at local midnight, and only the
    sales inside ``[start, end)`` count."""
    zone = "Europe/Berlin"
    cid, pid = _shop(crm, zone)
    day = date(2024, 10, 27)
    for hour, qty in [(0, 1), (2, 2), (3, 4), (23, 8)]:  # 02:30 happens twice: the first one
        crm.purchases.record(
            customer_id=cid, product_id=pid, quantity=qty, purchased_at=local(day, hour, 30, zone)
        )
    start = local(day, 2, 0, zone)
    end = local(day, 23, 30, zone)  # exclusive: the 23:30 sale is out
    (only,) = crm.reports.sales_over_time(bucket="day", start=start, end=end)
    assert (only.period_start, only.units_sold) == (local(day, 0, 0, zone), 6)
    (month,) = crm.reports.sales_over_time(bucket="month", start=start, end=end)
    assert (month.period_start, month.units_sold) == (local(date(2024, 10, 1), 0, 0, zone), 6)
