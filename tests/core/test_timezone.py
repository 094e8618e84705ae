"""Reports in the shop's time zone (``crm.settings.update(timezone=...)``): local days, Monday
weeks and local months across both DST transitions of Berlin and of two southern-hemisphere
zones (Sydney, and Lord Howe whose clocks move by half an hour), a zone at +05:45, ranges
whose edges fall inside a day, and a change of zone that moves a sale to another local day.
``period_start`` is compared as an instant (it must be local midnight in the shop's zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete

from crpm_core import CRPM
from crpm_core.persistence import tables
from tests.helpers import wipe

PRICE = Decimal("2.50")


def local(day: date, hour: int, minute: int, zone: str, *, fold: int = 0) -> datetime:
    """A wall-clock time in ``zone`` as a UTC instant (``fold=1``: the second of a repeated
    time)."""
    return datetime.combine(day, time(hour, minute, fold=fold), ZoneInfo(zone)).astimezone(UTC)


def midnight(day: date, zone: str) -> datetime:
    return local(day, 0, 0, zone)


def _shop(crm: CRPM, zone: str) -> tuple[int, int]:
    with crm.db.transaction() as conn:  # rollups first: they refer to customers and products
        for name in ("product_sales_days", "product_sales", "sales_days", "customer_sales"):
            table = tables.metadata.tables.get(name)
            if table is not None:
                conn.execute(delete(table))
    wipe(crm)
    crm.settings.update(timezone=zone)
    assert crm.settings.get().timezone == zone
    cid = crm.customers.add(name="Søren Ødegård", email="soren@example.no").id
    pid = crm.products.add(name="Kaffee „Ö“", price=PRICE, stock=10_000, sku="KAF-1").id
    return cid, pid


def _sell(crm: CRPM, cid: int, pid: int, sales: list[tuple[datetime, int]]) -> list[int]:
    return [
        crm.purchases.record(customer_id=cid, product_id=pid, quantity=q, purchased_at=at).id
        for at, q in sales
    ]


def _rows(series: list) -> list[tuple[datetime, int, Decimal, int]]:  # type: ignore[type-arg]
    return [
        (p.period_start.astimezone(UTC), p.units_sold, p.revenue, p.purchase_count) for p in series
    ]


def _series(series: list) -> list[tuple[datetime, Decimal, int, int]]:  # type: ignore[type-arg]
    """As tests.core.test_rollups.expected_series gives them."""
    return [
        (p.period_start.astimezone(UTC), p.revenue, p.units_sold, p.purchase_count) for p in series
    ]


def _assert_local_midnights(series: list, zone: str) -> None:  # type: ignore[type-arg]
    for p in series:
        assert p.period_start.tzinfo is not None
        here = p.period_start.astimezone(ZoneInfo(zone))
        assert here.time() == time(0), p.period_start


# The transition days of 2026: all Sundays, so the next day starts a new Monday week.
TRANSITIONS = [
    ("Europe/Berlin", date(2026, 3, 29), timedelta(hours=23)),
    ("Europe/Berlin", date(2026, 10, 25), timedelta(hours=25)),
    ("Australia/Sydney", date(2026, 4, 5), timedelta(hours=25)),
    ("Australia/Sydney", date(2026, 10, 4), timedelta(hours=23)),
    ("Australia/Lord_Howe", date(2026, 4, 5), timedelta(hours=24, minutes=30)),
    ("Australia/Lord_Howe", date(2026, 10, 4), timedelta(hours=23, minutes=30)),
]


def _transition(zone: str, day: date) -> datetime:
    """The UTC instant of ``zone``'s offset change on ``day`` (to the minute)."""
    tz = ZoneInfo(zone)
    at = midnight(day, zone)
    while (at + timedelta(minutes=1)).astimezone(tz).utcoffset() == at.astimezone(tz).utcoffset():
        at += timedelta(minutes=1)
        assert at.astimezone(tz).date() == day
    return at + timedelta(minutes=1)


@pytest.mark.parametrize(("zone", "day", "length"), TRANSITIONS)
def test_days_weeks_and_months_across_a_transition(
    crm: CRPM, zone: str, day: date, length: timedelta
) -> None:
    assert day.weekday() == 6
    cid, pid = _shop(crm, zone)
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    switch = _transition(zone, day)
    sales = [
        (local(before, 23, 30, zone), 1),  # Saturday night
        (local(day, 0, 30, zone), 2),
        (switch - timedelta(minutes=1), 4),  # the last minute of the old offset
        (switch + timedelta(minutes=1), 8),  # the first of the new (fall back: a repeated time)
        (local(day, 23, 30, zone), 16),
        (local(after, 0, 30, zone), 32),  # Monday
    ]
    _sell(crm, cid, pid, sales)
    tz = ZoneInfo(zone)
    assert all(at.astimezone(tz).date() == day for at, _ in sales[1:5])

    days = crm.reports.sales_over_time(bucket="day")
    assert _rows(days) == [
        (midnight(before, zone), 1, PRICE * 1, 1),
        (midnight(day, zone), 30, PRICE * 30, 4),
        (midnight(after, zone), 32, PRICE * 32, 1),
    ]
    _assert_local_midnights(days, zone)
    utc = [d.period_start.astimezone(UTC) for d in days]  # Python subtracts same-zone
    # times on the wall clock: measure in UTC
    assert utc[2] - utc[1] == length  # 23, 25 hours (or ±30 min)
    assert utc[1] - utc[0] == timedelta(hours=24)

    # an explicit range of whole local days gives the same, and an empty day after it
    ranged = crm.reports.sales_over_time(
        bucket="day", start=midnight(before, zone), end=midnight(after + timedelta(days=2), zone)
    )
    assert _rows(ranged) == [
        *_rows(days),
        (midnight(after + timedelta(days=1), zone), 0, Decimal("0.00"), 0),
    ]

    weeks = crm.reports.sales_over_time(bucket="week")
    assert _rows(weeks) == [
        (midnight(day - timedelta(days=6), zone), 31, PRICE * 31, 5),
        (midnight(after, zone), 32, PRICE * 32, 1),
    ]
    _assert_local_midnights(weeks, zone)

    (month,) = crm.reports.sales_over_time(bucket="month")
    assert _rows([month]) == [(midnight(day.replace(day=1), zone), 63, PRICE * 63, 6)]
    _assert_local_midnights([month], zone)

    # the summary of the local day is its 23 or 25 hours
    whole_day = crm.reports.sales_summary(start=midnight(day, zone), end=midnight(after, zone))
    assert (whole_day.units_sold, whole_day.purchase_count, whole_day.revenue) == (
        30,
        4,
        PRICE * 30,
    )


@pytest.mark.parametrize(("zone", "day", "length"), TRANSITIONS)
def test_a_range_starting_and_ending_inside_a_day(
    crm: CRPM, zone: str, day: date, length: timedelta
) -> None:
    """Edges anywhere: periods still start at local midnight, only sales in ``[start, end)``
    count, and the last period is the one holding the instant before ``end``."""
    cid, pid = _shop(crm, zone)
    switch = _transition(zone, day)
    after = day + timedelta(days=1)
    _sell(
        crm,
        cid,
        pid,
        [
            (local(day, 0, 30, zone), 1),
            (switch - timedelta(minutes=1), 2),
            (switch + timedelta(minutes=1), 4),
            (local(day, 23, 30, zone), 8),
            (local(after, 0, 30, zone), 16),
        ],
    )
    start = switch - timedelta(minutes=30)  # after the 00:30 sale
    series = crm.reports.sales_over_time(bucket="day", start=start)
    assert _rows(series) == [
        (midnight(day, zone), 14, PRICE * 14, 3),
        (midnight(after, zone), 16, PRICE * 16, 1),
    ]
    # end exactly at the switch: the minute after it is out; the period is still the day's
    (only,) = crm.reports.sales_over_time(bucket="day", start=start, end=switch)
    assert _rows([only]) == [(midnight(day, zone), 2, PRICE * 2, 1)]
    # end at local midnight: exclusive, so no period for the next day
    upto = crm.reports.sales_over_time(bucket="day", start=start, end=midnight(after, zone))
    assert _rows(upto) == [(midnight(day, zone), 14, PRICE * 14, 3)]
    # end a microsecond after local midnight: the next day is there, empty
    just = crm.reports.sales_over_time(
        bucket="day", start=start, end=midnight(after, zone) + timedelta(microseconds=1)
    )
    assert _rows(just) == [
        (midnight(day, zone), 14, PRICE * 14, 3),
        (midnight(after, zone), 0, Decimal("0.00"), 0),
    ]
    # a range starting mid-week begins with its Monday; a mid-month one with the 1st
    (week, nxt) = crm.reports.sales_over_time(
        bucket="week", start=start, end=local(after, 12, 0, zone)
    )
    assert _rows([week, nxt]) == [
        (midnight(day - timedelta(days=6), zone), 14, PRICE * 14, 3),
        (midnight(after, zone), 16, PRICE * 16, 1),
    ]
    (month,) = crm.reports.sales_over_time(
        bucket="month", start=start, end=local(after, 0, 15, zone)
    )
    assert _rows([month]) == [(midnight(day.replace(day=1), zone), 14, PRICE * 14, 3)]
    s = crm.reports.sales_summary(start=start, end=local(day, 23, 30, zone))
    assert (s.units_sold, s.purchase_count) == (6, 2)


def test_the_repeated_hour_in_berlin_belongs_to_one_day(crm: CRPM) -> None:
    """25 October 2026: 02:30 happens twice in Berlin (CEST, then CET); both are that day."""
    zone = "Europe/Berlin"
    day = date(2026, 10, 25)
    cid, pid = _shop(crm, zone)
    first = local(day, 2, 30, zone, fold=0)
    second = local(day, 2, 30, zone, fold=1)
    assert (first, second) == (
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    )
    _sell(crm, cid, pid, [(first, 1), (second, 2), (local(day, 23, 59, zone), 4)])
    days = crm.reports.sales_over_time(bucket="day")
    assert _rows(days) == [(datetime(2026, 10, 24, 22, 0, tzinfo=UTC), 7, PRICE * 7, 3)]
    # a range from the second 02:30 on: the first one is out
    (d,) = crm.reports.sales_over_time(bucket="day", start=second)
    assert _rows([d]) == [(datetime(2026, 10, 24, 22, 0, tzinfo=UTC), 6, PRICE * 6, 2)]
    # the skipped hour of 29 March: 01:59 CET and 03:00 CEST are a minute apart
    spring = date(2026, 3, 29)
    _sell(crm, cid, pid, [(local(spring, 1, 59, zone), 8), (local(spring, 3, 0, zone), 16)])
    assert local(spring, 3, 0, zone) - local(spring, 1, 59, zone) == timedelta(minutes=1)
    (march,) = crm.reports.sales_over_time(
        bucket="day", start=midnight(spring, zone), end=midnight(spring + timedelta(days=1), zone)
    )
    assert _rows([march]) == [(datetime(2026, 3, 28, 23, 0, tzinfo=UTC), 24, PRICE * 24, 2)]


@pytest.mark.parametrize(
    ("zone", "offsets"),
    [
        # (UTC offset of 1 March, of 1 April, of 1 May)
        ("Europe/Berlin", (timedelta(hours=1), timedelta(hours=2), timedelta(hours=2))),
        ("Australia/Sydney", (timedelta(hours=11), timedelta(hours=11), timedelta(hours=10))),
        ("Asia/Kathmandu", (timedelta(hours=5, minutes=45),) * 3),
    ],
)
def test_months_are_local_months(crm: CRPM, zone: str, offsets: tuple[timedelta, ...]) -> None:
    cid, pid = _shop(crm, zone)
    _sell(
        crm,
        cid,
        pid,
        [
            (local(date(2026, 3, 1), 0, 0, zone), 1),  # the first instant of March
            (local(date(2026, 3, 31), 23, 30, zone), 2),  # still March, though not in UTC
            (local(date(2026, 4, 1), 0, 30, zone), 4),  # April here, 31 March in UTC
            (local(date(2026, 5, 1), 0, 0, zone) - timedelta(microseconds=1), 8),  # April
            (local(date(2026, 5, 1), 0, 0, zone), 16),
        ],
    )
    months = crm.reports.sales_over_time(bucket="month")
    starts = [
        datetime(2026, m, 1, tzinfo=UTC) - off for m, off in zip((3, 4, 5), offsets, strict=True)
    ]
    assert _rows(months) == [
        (starts[0], 3, PRICE * 3, 2),
        (starts[1], 12, PRICE * 12, 2),
        (starts[2], 16, PRICE * 16, 1),
    ]
    _assert_local_midnights(months, zone)
    # a range inside April: only April, and only what is inside the range
    (april,) = crm.reports.sales_over_time(
        bucket="month",
        start=local(date(2026, 4, 1), 0, 30, zone),
        end=local(date(2026, 4, 20), 9, 0, zone),
    )
    assert _rows([april]) == [(starts[1], 4, PRICE * 4, 1)]


def test_kathmandu_days_start_at_a_quarter_past_six_the_evening_before(crm: CRPM) -> None:
    zone = "Asia/Kathmandu"  # +05:45 all year
    cid, pid = _shop(crm, zone)
    edge = datetime(2026, 6, 14, 18, 15, tzinfo=UTC)  # 00:00 on 15 June there
    _sell(
        crm,
        cid,
        pid,
        [
            (edge - timedelta(microseconds=1), 1),
            (edge, 2),
            (edge + timedelta(days=1, minutes=-1), 4),
        ],
    )
    days = crm.reports.sales_over_time(bucket="day")
    assert _rows(days) == [
        (edge - timedelta(days=1), 1, PRICE, 1),
        (edge, 6, PRICE * 6, 2),
    ]
    weeks = crm.reports.sales_over_time(bucket="week")  # 15 June 2026 is a Monday
    assert _rows(weeks) == [
        (edge - timedelta(days=7), 1, PRICE, 1),
        (edge, 6, PRICE * 6, 2),
    ]


def test_returns_and_cancels_lower_the_local_period_of_the_sale(crm: CRPM) -> None:
    zone = "Australia/Sydney"
    day = date(2026, 4, 5)  # 25 hours
    cid, pid = _shop(crm, zone)
    late, early, _other = _sell(
        crm,
        cid,
        pid,
        [
            (local(day, 23, 30, zone), 5),  # 13:30 UTC on the 5th (AEST)
            (local(day, 0, 30, zone), 2),  # 13:30 UTC on the 4th (AEDT)
            (local(day + timedelta(days=1), 0, 30, zone), 1),  # Monday
        ],
    )
    crm.purchases.return_items(late, 2)  # returned now (December): the sale's day still
    crm.purchases.cancel(early)
    days = crm.reports.sales_over_time(bucket="day")
    assert _rows(days) == [
        (midnight(day, zone), 3, PRICE * 3, 1),
        (midnight(day + timedelta(days=1), zone), 1, PRICE, 1),
    ]
    weeks = crm.reports.sales_over_time(bucket="week")
    assert _rows(weeks) == [
        (midnight(date(2026, 3, 30), zone), 3, PRICE * 3, 1),
        (midnight(date(2026, 4, 6), zone), 1, PRICE, 1),
    ]
    s = crm.reports.sales_summary(
        start=midnight(day, zone), end=midnight(day + timedelta(days=1), zone)
    )
    assert (s.units_sold, s.returned_units, s.purchase_count, s.revenue) == (3, 2, 1, PRICE * 3)


def test_a_utc_shop_keeps_utc_midnights(crm: CRPM) -> None:
    cid, pid = _shop(crm, "UTC")
    _sell(crm, cid, pid, [(datetime(2026, 3, 29, 23, 30, tzinfo=UTC), 1)])
    (d,) = crm.reports.sales_over_time(bucket="day")
    assert d.period_start == datetime(2026, 3, 29, tzinfo=UTC)
    assert d.period_start.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("zone", "local_day"),
    [
        ("UTC", date(2026, 6, 15)),
        ("Europe/Berlin", date(2026, 6, 16)),  # 01:30 CEST
        ("America/New_York", date(2026, 6, 15)),  # 19:30 EDT
        ("Asia/Kathmandu", date(2026, 6, 16)),  # 05:15
        ("Australia/Lord_Howe", date(2026, 6, 16)),  # 10:00 (+10:30)
    ],
)
def test_changing_the_zone_moves_a_sale_to_its_local_day(
    crm: CRPM, zone: str, local_day: date
) -> None:
    cid, pid = _shop(crm, "UTC")
    at = datetime(2026, 6, 15, 23, 30, tzinfo=UTC)
    _sell(crm, cid, pid, [(at, 3), (datetime(2026, 6, 15, 12, 0, tzinfo=UTC), 1)])
    (d,) = crm.reports.sales_over_time(bucket="day", start=at, end=at + timedelta(minutes=1))
    assert _rows([d]) == [(datetime(2026, 6, 15, tzinfo=UTC), 3, PRICE * 3, 1)]

    crm.settings.update(timezone=zone)
    assert crm.check() == []
    (d,) = crm.reports.sales_over_time(bucket="day", start=at, end=at + timedelta(minutes=1))
    assert _rows([d]) == [(midnight(local_day, zone), 3, PRICE * 3, 1)]
    _assert_local_midnights([d], zone)
    whole = crm.reports.sales_over_time(bucket="day")
    noon_day = datetime(2026, 6, 15, 12, 0, tzinfo=UTC).astimezone(ZoneInfo(zone)).date()
    expected: dict[date, int] = {}
    for day, q in [(local_day, 3), (noon_day, 1)]:
        expected[day] = expected.get(day, 0) + q
    assert _rows(whole) == [
        (midnight(day, zone), q, PRICE * q, 1 if q in (1, 3) else 2)
        for day, q in sorted(expected.items())
    ]

    # and back to UTC: the sale returns to the 15th
    crm.settings.update(timezone="UTC")
    assert crm.check() == []
    (d,) = crm.reports.sales_over_time(bucket="day", start=at, end=at + timedelta(minutes=1))
    assert d.period_start == datetime(2026, 6, 15, tzinfo=UTC)


# Sales decades apart: each is bucketed with the offset its own date had (Kathmandu moved from
# +05:30 to +05:45 at its midnight of 1 January 1986, which no longer exists there; Lord Howe's
# standard time was +10:00 until 1981; Berlin had no DST in 1979 and did in 1980; New York's
# DST began in April until 2006).
HISTORY = [
    datetime(1979, 6, 30, 22, 30, tzinfo=UTC),
    datetime(1980, 6, 30, 22, 30, tzinfo=UTC),
    datetime(1980, 6, 30, 13, 59, tzinfo=UTC),
    datetime(1985, 12, 31, 18, 20, tzinfo=UTC),
    datetime(1985, 12, 31, 18, 30, tzinfo=UTC),
    datetime(2006, 4, 2, 6, 30, tzinfo=UTC),
    datetime(2006, 4, 2, 7, 30, tzinfo=UTC),
    datetime(2026, 6, 14, 18, 15, tzinfo=UTC),
]


def test_old_sales_take_the_offset_of_their_own_date(crm: CRPM) -> None:
    from tests.core.test_rollups import expected_series, read_lines

    cid, pid = _shop(crm, "UTC")
    _sell(crm, cid, pid, [(at, i + 1) for i, at in enumerate(HISTORY)])
    lines = read_lines(crm)
    for zone in ("Asia/Kathmandu", "Australia/Lord_Howe", "Europe/Berlin", "America/New_York"):
        crm.settings.update(timezone=zone)
        assert crm.check() == [], zone
        tz = ZoneInfo(zone)
        months = crm.reports.sales_over_time(bucket="month")
        assert _series(months) == expected_series(lines, "month", None, None, tz), zone
        for at in HISTORY:
            lo, hi = at - timedelta(days=2), at + timedelta(days=2)
            for bucket in ("day", "week"):
                got = crm.reports.sales_over_time(bucket=bucket, start=lo, end=hi)  # type: ignore[arg-type]
                assert _series(got) == expected_series(lines, bucket, lo, hi, tz), (
                    zone,
                    at,
                    bucket,
                )
            day = at.astimezone(tz).date()
            start = datetime.combine(day, time(0), tz)
            end = datetime.combine(day + timedelta(days=1), time(0), tz)
            s = crm.reports.sales_summary(start=start, end=end)
            want = [x for x in lines if x.at.astimezone(tz).date() == day]
            assert (s.units_sold, s.purchase_count) == (
                sum(x.units for x in want),
                len(want),
            ), (zone, at)
    # Kathmandu's 1 January 1986 starts at 00:15 (18:30 UTC): both sales are on their own day
    crm.settings.update(timezone="Asia/Kathmandu")
    days = crm.reports.sales_over_time(
        bucket="day",
        start=datetime(1985, 12, 30, 18, 30, tzinfo=UTC),
        end=datetime(1986, 1, 1, 18, 15, tzinfo=UTC),
    )
    assert [(d.period_start.astimezone(UTC), d.units_sold) for d in days] == [
        (datetime(1985, 12, 30, 18, 30, tzinfo=UTC), 4),
        (datetime(1985, 12, 31, 18, 30, tzinfo=UTC), 5),
    ]
