"""The shop's calendar: a range split into whole local days and partial edges covers every
instant of the range exactly once, and nothing outside it; zone offsets found by bisection
match zoneinfo's at every instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crpm_core.domain import calendar

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/Santiago",
]
BASE = datetime(2025, 1, 1, tzinfo=UTC)
instants = st.integers(min_value=0, max_value=2 * 365 * 86400 * 10**6).map(
    lambda us: BASE + timedelta(microseconds=us)
)


def _covered(split: calendar.Split, at: datetime, tz: object) -> int:
    """How many parts of the split hold ``at``: whole days by its local date, edges by time."""
    day = calendar.local_day(at, tz)  # type: ignore[arg-type]
    whole = (split.first is None or split.first <= day) and (
        split.last is None or day <= split.last
    )
    edges = sum(1 for e in split.edges if e.start <= at < e.end)
    return int(whole) + edges


@given(
    zone=st.sampled_from(ZONES),
    a=instants,
    b=instants,
    probes=st.lists(instants, min_size=1, max_size=20),
    bounded=st.sampled_from(["both", "start", "end"]),
)
def test_a_split_covers_its_range_exactly_once(
    zone: str, a: datetime, b: datetime, probes: list[datetime], bounded: str
) -> None:
    tz = calendar.zone(zone)
    start, end = min(a, b), max(a, b)
    lo = start if bounded in ("both", "start") else None
    hi = end if bounded in ("both", "end") else None
    split = calendar.split(lo, hi, tz)
    for edge in split.edges:  # an edge is one partial local day
        assert edge.start < edge.end
        assert calendar.local_day(edge.start, tz) == edge.day
        assert calendar.local_day(edge.end - timedelta(microseconds=1), tz) == edge.day
    for at in [*probes, start, end, start - timedelta(microseconds=1)]:
        inside = (lo is None or lo <= at) and (hi is None or at < hi)
        assert _covered(split, at, tz) == int(inside), (at, split)


@pytest.mark.parametrize("zone", ZONES)
def test_the_offsets_found_are_zoneinfo_s(zone: str) -> None:
    tz = calendar.zone(zone)
    start, end = BASE, BASE + timedelta(days=3 * 365)
    offsets = calendar.transitions(tz, start, end)
    at = start
    while at < end:
        expected = at.astimezone(tz).utcoffset()
        assert expected is not None
        held = [seconds for since, seconds in offsets if since <= at][-1]
        assert held == int(expected.total_seconds()), at
        at += timedelta(minutes=37)
    if zone != "UTC" and zone != "Asia/Kathmandu":
        assert len(offsets) >= 6  # two changes a year


def test_a_day_starts_at_its_first_instant_even_where_midnight_is_skipped() -> None:
    """Santiago moved its clocks from 00:00 to 01:00 on 2025-09-07: the day begins at 01:00."""
    tz = calendar.zone("America/Santiago")
    day = datetime(2025, 9, 7).date()
    start = calendar.day_start(day, tz)
    assert calendar.local_day(start, tz) == day
    assert calendar.local_day(start - timedelta(microseconds=1), tz) == day - timedelta(days=1)
    assert start.astimezone(tz).hour == 1


days_or_none = st.none() | st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


@given(first=days_or_none, last=days_or_none, probe=st.dates())
def test_month_split_covers_each_whole_day_once(
    first: date | None, last: date | None, probe: date
) -> None:
    """Every day of ``first..last`` lies in exactly one part (a whole month of the months, or
    one day range), and no other day does; the months are whole months inside the range."""
    got = calendar.month_split(first, last)
    inside = (first is None or first <= probe) and (last is None or probe <= last)
    in_months = 0
    if got.months is not None:
        m0, m1 = got.months
        month = probe.replace(day=1)
        in_months = int((m0 is None or m0 <= month) and (m1 is None or month < m1))
        for bound in (m0, m1):
            assert bound is None or bound.day == 1
    in_days = sum(
        1 for lo, hi in got.days if (lo is None or lo <= probe) and (hi is None or probe <= hi)
    )
    assert in_months + in_days == int(inside)
    if in_months:  # the whole of the probe's month is inside the range
        assert first is None or first <= probe.replace(day=1)
        nxt = (
            calendar.next_period(probe.replace(day=1), "month")
            if probe.year < 9999 or probe.month < 12
            else None
        )
        assert last is None or nxt is None or nxt - timedelta(days=1) <= last


def test_month_split_examples() -> None:
    d = date
    assert calendar.month_split(d(2025, 1, 31), d(2025, 12, 1)) == calendar.MonthSplit(
        (d(2025, 2, 1), d(2025, 12, 1)),
        ((d(2025, 1, 31), d(2025, 1, 31)), (d(2025, 12, 1), d(2025, 12, 1))),
    )
    assert calendar.month_split(d(2025, 2, 1), d(2025, 2, 28)).months == (
        d(2025, 2, 1),
        d(2025, 3, 1),
    )
    assert calendar.month_split(d(2025, 2, 2), d(2025, 3, 30)) == calendar.MonthSplit(
        None, ((d(2025, 2, 2), d(2025, 3, 30)),)
    )
    assert calendar.month_split(None, None) == calendar.MonthSplit((None, None), ())
    assert calendar.month_split(d(2025, 3, 2), d(2025, 3, 1)) == calendar.MonthSplit(None, ())
