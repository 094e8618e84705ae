"""The rollups' SQL as each backend spells it: adding to a row that may not exist yet (an
upsert), a stored time's local date, and exact sums of the rollups' money.

- SQLite and PostgreSQL: ``INSERT ... ON CONFLICT (key) DO UPDATE``; MariaDB: ``INSERT ...
  ON DUPLICATE KEY UPDATE``. Both are atomic against a racing writer of the same key.
- Money in the rollups may pass 2**63 minor units: NUMERIC(38, 0) on the servers; on SQLite
  an integer or its digits, added with ``crpm_add`` and summed with ``crpm_sum``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import NullType

from crpm_core.persistence.dialects.bulk import driver_many
from crpm_core.persistence.dialects.types import MYSQL_NAMES, BigMoney, UTCDateTime

MANY = 50
"""Up to this many rows are upserted with executemany, more with multi-row VALUES."""
CHUNK = 10_000
"""Rows per upsert statement on PostgreSQL (one array per column)."""


def upsert_add(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    rows: Sequence[dict[str, Any]],
    *,
    earliest: Sequence[str] = (),
    latest: Sequence[str] = (),
) -> None:
    """Add each row's figures to the row of its key, creating it when it is missing.

    Columns named in ``earliest``/``latest`` (times) keep the earlier/later of the stored
    and the new value (a NULL gives way to the other); every other column not in ``keys``
    is added. Rows are written in key order, so two writers lock the same rows in the same
    order."""
    if not rows:
        return
    name = conn.dialect.name
    ordered = sorted(rows, key=lambda r: tuple(r[k] for k in keys))
    columns = tuple(c for c in ordered[0] if c not in keys)
    shape = (name, table.name, tuple(keys), columns, tuple(earliest), tuple(latest))
    many = name == "postgresql" and len(ordered) > MANY
    statement = _statement(table, shape, many=many)
    if not many:
        # a sale's few rows, or SQLite (no round trips; its compiled text straight to the
        # driver, for a sale's rows as for an import's) and PyMySQL (which sends an
        # executemany of INSERT ... VALUES as multi-row statements): one cached statement
        if not driver_many(conn, statement, table, ordered, key=(*shape, many)):
            conn.execute(statement, list(ordered))
        return
    # an import's thousands on PostgreSQL: each column as one array, unnested into rows, a
    # chunk per statement instead of a round trip per row (the keys are distinct, as one
    # statement may touch a row only once)
    names = [*keys, *columns]
    for i in range(0, len(ordered), CHUNK):
        chunk = ordered[i : i + CHUNK]
        conn.execute(statement, {c: [r[c] for r in chunk] for c in names})


_STATEMENTS: dict[tuple[Any, ...], Any] = {}


def _statement(table: Table, shape: tuple[Any, ...], *, many: bool) -> Any:
    """The upsert of one shape, built once (a sale runs four of them)."""
    found = _STATEMENTS.get((*shape, many))
    if found is not None:
        return found
    name, _, keys, columns, earliest, latest = shape
    if name in MYSQL_NAMES:
        stmt: Any = mysql.insert(table)
        new = stmt.inserted
    elif name == "postgresql":
        stmt = postgresql.insert(table)
        new = stmt.excluded
    else:
        stmt = sqlite.insert(table)
        new = stmt.excluded
    values: dict[str, Any] = {}
    for column in columns:
        old, incoming = table.c[column], new[column]
        if column in earliest or column in latest:
            keep_new = incoming < old if column in earliest else incoming > old
            values[column] = case(
                (old.is_(None), incoming),
                (incoming.is_(None), old),
                (keep_new, incoming),
                else_=old,
            )
        elif isinstance(table.c[column].type, BigMoney) and name == "sqlite":
            values[column] = func.crpm_add(old, incoming)
        else:
            values[column] = old + incoming
    if many:
        arrays = select(
            *(
                func.unnest(bindparam(c, type_=postgresql.ARRAY(table.c[c].type))).label(c)
                for c in (*keys, *columns)
            )
        )
        stmt = stmt.from_select([*keys, *columns], arrays)
    if name in MYSQL_NAMES:
        built = stmt.on_duplicate_key_update(values)
    else:
        built = stmt.on_conflict_do_update(index_elements=list(keys), set_=values)
    _STATEMENTS[(*shape, many)] = built
    return built


def money_sum(
    expr: ColumnElement[Any], dialect_name: str, *, exact: bool = True
) -> ColumnElement[Any]:
    """The sum of a rollup's money column (or of raw totals beside it), exact on the
    servers. On SQLite ``exact=False`` is the fast built-in SUM, which fails past 2**63
    and turns to a REAL when it meets the digits of a larger value: see :func:`fast_first`."""
    if dialect_name == "sqlite":
        # the fast sum as SQLite gives it (an int, or a REAL that fast_first must see)
        return func.crpm_sum(expr) if exact else func.sum(expr, type_=NullType())
    return func.sum(cast(expr, BigMoney()))


def fast_first(conn: Connection, run: Callable[[bool], list[Any]], money: Sequence[str]) -> Any:
    """``run(exact)``'s rows: on SQLite first with the fast SUM, again with the exact one if
    that overflowed or gave an inexact (REAL) sum in a ``money`` column."""
    if conn.dialect.name != "sqlite":
        return run(True)
    try:
        with conn.begin_nested():
            rows = run(False)
    except OperationalError as exc:
        if "integer overflow" not in str(exc.orig):
            raise
        return run(True)
    if any(isinstance(getattr(r, m), float) for r in rows for m in money):
        return run(True)
    return rows


def local_date(
    expr: ColumnElement[Any], offsets: Sequence[tuple[datetime, int]], dialect_name: str
) -> ColumnElement[Any]:
    """The local date of a stored UTC time, given the zone's offsets over the times it may
    hold (:func:`crpm_core.domain.calendar.transitions`): a CASE picks the offset of the
    time's interval, the backend adds it and takes the date. Label it and group by the label."""
    seconds: Any
    if len(offsets) == 1:
        seconds = literal_column(str(int(offsets[0][1])))
    else:
        whens: list[Any] = [
            (expr < literal(at, UTCDateTime()), literal_column(str(int(prev))))
            for (at, _), (_, prev) in zip(offsets[1:], offsets[:-1], strict=True)
        ]
        seconds = case(*whens, else_=literal_column(str(int(offsets[-1][1]))))
    if dialect_name == "postgresql":
        return cast(expr + func.make_interval(0, 0, 0, 0, 0, 0, seconds), postgresql.DATE)
    if dialect_name in MYSQL_NAMES:
        return func.date(func.timestampadd(literal_column("SECOND"), seconds, expr))
    # whole seconds: SQLite rounds a time to milliseconds, and 23:59:59.9999 would become
    # the next day (the offsets are whole seconds, so the date is the same)
    return func.date(func.substr(expr, 1, 19), func.printf("%+d seconds", seconds))


def day_period(day: ColumnElement[Any], bucket: str, dialect_name: str) -> ColumnElement[Any]:
    """The first day of a stored date's day, week (Monday) or month; label it and group by
    the label. (PostgreSQL truncates a timestamp: the date goes in as one, without a zone.)"""
    if dialect_name == "postgresql":
        return cast(func.date_trunc(bucket, cast(day, postgresql.TIMESTAMP)), postgresql.DATE)
    from crpm_core.persistence.dialects.sql import period_start

    return period_start(day, bucket, dialect_name)


def as_date(value: Any) -> date:
    """A date as any backend returns it (text on SQLite)."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value  # type: ignore[no-any-return]
