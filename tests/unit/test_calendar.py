"""The shop's calendar: a range split into whole local days and partial edges covers every
instant of the range exactly once, and nothing outside it; zone offsets found by bisection
match zoneinfo's at every instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
