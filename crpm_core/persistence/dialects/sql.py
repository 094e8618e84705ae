"""SQL that each backend spells its own way: case folding, locks, period buckets, exact sums."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Date, Integer, Numeric, Time, case, cast, func, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.elements import ColumnElement

from crpm_core.persistence.dialects.types import MYSQL_NAMES

T = TypeVar("T")

MIGRATION_LOCK = 7270301
BULK_LOCK = 7270302


def lower(expr: ColumnElement[Any], dialect_name: str) -> ColumnElement[Any]:
    """Unicode-aware lower-casing (SQLite's own ``lower()`` only knows ASCII)."""
    if dialect_name == "sqlite":
        return func.crpm_lower(expr)
    return func.lower(expr)


@contextmanager
def _named_lock(conn: Connection, key: int, name: str, wait: int) -> Iterator[None]:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text(f"SELECT pg_advisory_xact_lock({key})"))  # freed at commit
        yield
    elif dialect in MYSQL_NAMES:
        conn.execute(text(f"SELECT GET_LOCK('{name}', {wait})"))
        try:
            yield
        finally:
            conn.execute(text(f"SELECT RELEASE_LOCK('{name}')"))
    else:  # SQLite: the surrounding BEGIN IMMEDIATE already excludes other writers
        yield


def migration_lock(conn: Connection) -> AbstractContextManager[None]:
    """Serialise schema upgrades of processes starting at the same time."""
    return _named_lock(conn, MIGRATION_LOCK, "crpm_migrate", 120)


def bulk_lock(conn: Connection) -> AbstractContextManager[None]:
    """Serialise large imports: two loads that drop and rebuild the same indexes and keys
    would deadlock on PostgreSQL; with this lock the second waits for the first."""
    return _named_lock(conn, BULK_LOCK, "crpm_bulk_load", 3600)


def period_start(expr: ColumnElement[Any], bucket: str, dialect_name: str) -> ColumnElement[Any]:
    """The day, ISO week (from Monday) or month a stored timestamp or date falls in (the
    rollups' local dates; a timestamp's UTC one).

    Group by the label of this expression, not the expression itself (bound parameters
    would differ between SELECT and GROUP BY). The Python type of the result differs by
    backend (text, date or datetime); :func:`as_utc_datetime` turns each into a datetime.
    """
    if bucket not in ("day", "week", "month"):
        raise ValueError(bucket)
    if dialect_name == "postgresql":
        return func.date_trunc(bucket, expr)
    if dialect_name in MYSQL_NAMES:
        if bucket == "day":
            return func.date(expr)
        if bucket == "month":
            return func.date_format(expr, "%Y-%m-01")
        return func.subdate(func.date(expr), func.weekday(expr))
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' text
    if bucket == "day":
        return func.date(expr)
    if bucket == "month":
        return func.strftime("%Y-%m-01", expr)
    days_since_monday = (cast(func.strftime("%w", expr), Integer) + 6) % 7
    return func.date(expr, func.printf("-%d days", days_since_monday))


def whole_days(earlier: ColumnElement[Any], later: ColumnElement[Any], dialect_name: str) -> Any:
    """``floor((later - earlier) / 1 day)`` of two stored timestamps, ``earlier <= later``,
    exactly to the microsecond: the days between their dates, less one when ``earlier``'s
    time of day is after ``later``'s."""
    if dialect_name == "postgresql":
        dates: Any = cast(later, Date) - cast(earlier, Date)
        late = cast(earlier, Time) > cast(later, Time)
    elif dialect_name in MYSQL_NAMES:
        dates = func.datediff(later, earlier)
        late = func.time(earlier) > func.time(later)
    else:  # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' text: midnights are exact julian days
        dates = cast(func.julianday(func.date(later)) - func.julianday(func.date(earlier)), Integer)
        late = func.substr(earlier, 12) > func.substr(later, 12)
    return dates - case((late, 1), else_=0)


def as_utc_datetime(value: Any) -> datetime:
    """A period start as any backend returns it, as an aware UTC datetime at midnight."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value[:10]).replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


# Exact sums --------------------------------------------------------------------------------
# Money is integer minor units. PostgreSQL and MariaDB sum BIGINT into exact decimals, so
# only a product of two columns needs a cast before it is summed. SQLite's SUM fails with
# "integer overflow" past 64 bits, and its multiplication silently turns into a float, so
# there a sum that overflows is computed again with CRPM's exact aggregate, and a sum of
# products always uses it (it runs over the products table only).


class Sums:
    """How a query spells its sums; ``exact`` is the slow, never-overflowing spelling."""

    def __init__(self, dialect_name: str, *, exact: bool) -> None:
        self._sqlite = dialect_name == "sqlite"
        self._exact = exact

    def sum(self, expr: ColumnElement[Any]) -> ColumnElement[Any]:
        if self._sqlite and self._exact:
            return func.crpm_sum(expr)
        return func.sum(expr)

    def dot(self, a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
        """``SUM(a * b)``, exact beyond 64 bits on every backend."""
        if self._sqlite:
            return func.crpm_dot(a, b)
        return func.sum(cast(a, Numeric(38, 0)) * b)


def with_exact_sums(conn: Connection, run: Callable[[Sums], T]) -> T:
    """Run ``run`` with fast sums; on SQLite, run it again with exact ones if they overflow."""
    name = conn.dialect.name
    try:
        return run(Sums(name, exact=False))
    except OperationalError as exc:
        if name != "sqlite" or "integer overflow" not in str(exc.orig):
            raise
    return run(Sums(name, exact=True))
