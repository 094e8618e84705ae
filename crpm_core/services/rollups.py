"""Days in the shop's time zone: the buckets of the reports (rollups kept per day come later).

A shop's day starts at local midnight in its IANA zone (``crm.settings``); on the days daylight
saving time starts or ends it is 23 or 25 hours long. Weeks start on Monday, months on the 1st.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement

from crpm_core.domain import Bucket
from crpm_core.persistence import dialects
from crpm_core.persistence.dialects import Offsets, Sums, with_exact_sums
from crpm_core.persistence.tables import purchases

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STEP = timedelta(days=7)
"""How far apart the offsets are compared when looking for changes: no zone changes its offset
and changes it back within a week."""


def zone(name: str) -> tzinfo:
    """The zone of a stored setting (``datetime.UTC`` for ``UTC``)."""
    return UTC if name == "UTC" else ZoneInfo(name)


def local_date(at: datetime, tz: tzinfo) -> date:
    """The shop's calendar day an instant falls on."""
    return at.astimezone(tz).date()


def day_start(day: date, tz: tzinfo) -> datetime:
    """The first instant of a local day, aware in ``tz``: local midnight (or, where a zone
    skips midnight, the first local time after it)."""
    naive = datetime.combine(day, time())
    if tz is UTC:
        return naive.replace(tzinfo=UTC)
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def floor_day(day: date, bucket: Bucket) -> date:
    """The first day of the day, week (from Monday) or month ``day`` is in."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def next_day(day: date, bucket: Bucket) -> date:
    """The first day of the period after the one starting on ``day``."""
    if bucket == "day":
        return day + timedelta(days=1)
    if bucket == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _offset(tz: tzinfo, seconds: int) -> int:
    at = _EPOCH + timedelta(seconds=seconds)
    delta = at.astimezone(tz).utcoffset()
    return 0 if delta is None else int(delta.total_seconds())


def offsets(tz: tzinfo, lo: datetime, hi: datetime) -> Offsets:
    """The UTC offsets of ``tz`` over ``[lo, hi]``: the one at ``lo`` and each change after
    it (the instant, to the second, and the new offset), oldest first."""
    first = int((lo - _EPOCH).total_seconds() // 1)
    last = int((hi - _EPOCH).total_seconds() // 1) + 1
    base = current = _offset(tz, first)
    if tz is UTC:
        return base, []
    changes: list[tuple[datetime, int]] = []
    step = int(_STEP.total_seconds())
    at = first
    while at < last:
        ahead = min(at + step, last)
        seen = _offset(tz, ahead)
        if seen == current:
            at = ahead
            continue
        before, after = at, ahead  # the offset is ``current`` at ``before``, not at ``after``
        while after - before > 1:
            middle = (before + after) // 2
            if _offset(tz, middle) == current:
                before = middle
            else:
                after = middle
        current = _offset(tz, after)
        changes.append((_EPOCH + timedelta(seconds=after), current))
        at = after
    return base, changes


NET_UNITS = purchases.c.quantity - purchases.c.returned_quantity
PeriodTotals = dict[date, tuple[int, int, int]]
"""The first day of each period with sales -> (revenue in minor units, net units, lines)."""


def sales_by_period(
    conn: Connection,
    tz: tzinfo,
    bucket: Bucket,
    conditions: Sequence[ColumnElement[bool]],
    lo: datetime | None,
    hi: datetime | None,
) -> PeriodTotals:
    """Sum the purchases matching ``conditions`` (within ``[lo, hi)``) per local period, in
    SQL: the offsets of the zone over the rows' span come from Python (:func:`offsets`)."""
    p = purchases.c
    if lo is None or hi is None:
        first, last = conn.execute(
            select(func.min(p.purchased_at), func.max(p.purchased_at)).where(*conditions)
        ).one()
        if first is None:
            return {}
        lo = lo or first
        hi = hi or last
    name = conn.dialect.name
    local = dialects.local_time(p.purchased_at, offsets(tz, lo, hi), name)
    period = dialects.period_start(local, bucket, name)

    def run(sums: Sums) -> Any:
        return conn.execute(
            select(
                period.label("period"),
                sums.sum(p.total_minor).label("revenue"),
                func.sum(NET_UNITS).label("units"),
                func.count().label("lines"),
            )
            .where(and_(*conditions))
            .group_by(literal_column("period"))
        ).all()

    return {
        dialects.as_utc_datetime(r.period).date(): (int(r.revenue), int(r.units), int(r.lines))
        for r in with_exact_sums(conn, run)
    }
