"""Local time in SQL: a stored UTC timestamp shifted into the shop's time zone.

SQLite has no time zones and MariaDB knows them only when its zone tables are loaded, so
CRPM never asks the database for a zone: Python (``zoneinfo``) works out the UTC offsets that
apply over the range being read, and the SQL shifts each timestamp by the offset of its
stretch (a ``CASE`` over the few instants where the offset changes, two a year where there is
daylight saving time). The aggregation stays in SQL; only the offsets come from Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, literal_column
from sqlalchemy.sql.elements import ColumnElement

from crpm_core.persistence.dialects.types import MYSQL_NAMES, UTCDateTime

Offsets = tuple[int, Sequence[tuple[datetime, int]]]
"""The UTC offset in seconds at the start of a range, and ``(instant, new offset)`` for every
change within it, oldest first."""


def local_time(expr: ColumnElement[Any], offsets: Offsets, dialect_name: str) -> ColumnElement[Any]:
    """``expr`` (a stored UTC timestamp) as the naive local time of the shop's zone, to feed
    :func:`crpm_core.persistence.dialects.period_start` (SQLite's result drops the
    microseconds: only its date is ever used)."""
    base, changes = offsets
    if base == 0 and not changes:
        return expr
    seconds: ColumnElement[Any]
    if changes:
        seconds = case(
            *[(expr >= literal(at, UTCDateTime()), literal(off)) for at, off in reversed(changes)],
            else_=literal(base),
        )
    else:
        seconds = literal(base)
    if dialect_name == "postgresql":
        return expr + func.make_interval(0, 0, 0, 0, 0, 0, seconds)
    if dialect_name in MYSQL_NAMES:
        return func.timestampadd(literal_column("SECOND"), seconds, expr)
    return func.datetime(expr, func.printf("%+d seconds", seconds))
