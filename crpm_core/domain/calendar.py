"""The shop's calendar: local days, weeks and months in its IANA time zone.

A day is the shop-local date of an instant. It starts at the first instant whose local date
it is (local midnight, or the end of a DST gap that swallows midnight), so it lasts 23 or 25
hours on the days the clocks change. Weeks start on Monday, months on the 1st. A report's
range ``[start, end)`` is split into the whole local days inside it (read from the rollups)
and at most two partial days at its edges (read from the raw rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import attrs

Bucket = Literal["day", "week", "month"]


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(at: datetime, tz: ZoneInfo) -> date:
    """The shop-local date of an aware instant."""
    return at.astimezone(tz).date()


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The first instant (aware, UTC) of a local date."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def period_of(day: date, bucket: Bucket) -> date:
    """The first day of the day's period: itself, its week's Monday, its month's 1st."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def next_period(day: date, bucket: Bucket) -> date:
    """The first day of the next period (``OverflowError`` past year 9999)."""
    if bucket == "day":
        return day + timedelta(days=1)
    if bucket == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_start(day: date, tz: ZoneInfo) -> datetime:
    """A period's ``period_start``: local midnight of its first day, aware in the shop's zone."""
    return day_start(day, tz).astimezone(tz)


@attrs.frozen
class Edge:
    """A partial day at an edge of a range: the instants ``[start, end)`` of local ``day``."""

    start: datetime
    end: datetime
    day: date


@attrs.frozen
class Split:
    """A range as whole local days ``first..last`` (``None``: unbounded on that side; no
    whole day when ``first > last``) and the partial days at its edges."""

    first: date | None
    last: date | None
    edges: tuple[Edge, ...]

    @property
    def has_days(self) -> bool:
        return self.first is None or self.last is None or self.first <= self.last


DayRange = tuple[date | None, date | None]
"""Local days ``first..last``, both included (``None``: unbounded on that side)."""


@attrs.frozen
class MonthSplit:
    """Whole days as the whole months among them, ``[months[0], months[1])`` by their first
    days (``None``: unbounded on that side; ``months`` is ``None`` when there is no whole
    month), and the days outside those months."""

    months: tuple[date | None, date | None] | None
    days: tuple[DayRange, ...]


def month_split(first: date | None, last: date | None) -> MonthSplit:
    """Split the whole days ``first..last`` into whole months and the days around them."""
    if first is not None and last is not None and first > last:
        return MonthSplit(None, ())
    start: date | None = first
    if first is not None and first.day != 1:
        try:
            start = next_period(first, "month")
        except OverflowError:  # December 9999: no whole month after the first day
            return MonthSplit(None, ((first, last),))
    stop: date | None = None
    if last is not None:
        try:
            stop = period_of(last + timedelta(days=1), "month")
        except OverflowError:  # up to the last day there is: unbounded
            stop = None
    if start is not None and stop is not None and start >= stop:
        return MonthSplit(None, ((first, last),))
    days: list[DayRange] = []
    if first is not None and start is not None and first < start:
        days.append((first, start - timedelta(days=1)))
    if last is not None and stop is not None and stop <= last:
        days.append((stop, last))
    return MonthSplit((start, stop), tuple(days))


def split(start: datetime | None, end: datetime | None, tz: ZoneInfo) -> Split:
    """Split ``[start, end)`` at the shop's local midnights."""
    edges: list[Edge] = []
    first: date | None = None
    last: date | None = None
    if start is not None:
        d0 = local_day(start, tz)
        s0 = day_start(d0, tz)
        if s0 == start:
            first = d0
        else:
            first = d0 + timedelta(days=1)
            stop = day_start(first, tz)
            if end is not None and end < stop:
                stop = end
            if start < stop:
                edges.append(Edge(start, stop, d0))
    if end is not None:
        d1 = local_day(end, tz)
        s1 = day_start(d1, tz)
        last = d1 - timedelta(days=1)
        if s1 != end and (start is None or s1 >= start):
            edges.append(Edge(s1, end, d1))
    return Split(first, last, tuple(edges))


def transitions(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The zone's UTC offsets over ``[start, end]``: ``(from, seconds)`` pairs, the first
    from ``start``; each offset holds until the next pair's instant. Found by stepping a week
    at a time and bisecting to the second where the offset changed (a zone's offset changes
    on whole seconds)."""

    def offset(at: datetime) -> int:
        delta = at.astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    def first_change(a: datetime, b: datetime, current: int) -> datetime:
        while b - a > timedelta(seconds=1):
            mid = (a + (b - a) / 2).replace(microsecond=0)
            if offset(mid) == current:
                a = mid
            else:
                b = mid
        return b

    start = start.replace(microsecond=0)
    result = [(start, offset(start))]
    lo = start
    for hi in _steps(start, end, timedelta(days=7)):
        while offset(hi) != result[-1][1]:
            at = first_change(max(lo, result[-1][0]), hi, result[-1][1])
            result.append((at, offset(at)))
        lo = hi
    return result


def _steps(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    at = start
    while at < end:
        try:
            at = min(at + step, end)
        except OverflowError:
            at = end
        yield at
