"""Adding to rollup rows: insert the row the first time, add to it after (``ON CONFLICT DO
UPDATE`` on SQLite and PostgreSQL, ``ON DUPLICATE KEY UPDATE`` on MariaDB/MySQL)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, Table, case, true
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from crpm_core.persistence.dialects.types import MYSQL_NAMES


def _merge(
    table: Table,
    new: Any,
    add: Sequence[str],
    least: Sequence[str],
    greatest: Sequence[str],
) -> dict[str, ColumnElement[Any]]:
    """The SET clause: ``new`` is the row that was refused (``excluded`` / ``VALUES()``)."""
    values: dict[str, ColumnElement[Any]] = {}
    for name in add:
        values[name] = table.c[name] + new[name]
    for name in least:
        old = table.c[name]
        values[name] = case((old.is_(None) | (new[name] < old), new[name]), else_=old)
    for name in greatest:
        old = table.c[name]
        values[name] = case((old.is_(None) | (new[name] > old), new[name]), else_=old)
    return values


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]] | Select[Any],
    *,
    add: Sequence[str],
    least: Sequence[str] = (),
    greatest: Sequence[str] = (),
) -> None:
    """Insert each row of ``rows`` (dicts, or a SELECT of the table's columns in order of
    ``rows.selected_columns``), or where its primary key is taken, add its ``add`` columns to
    the stored row and keep the smaller ``least`` and the larger ``greatest`` values.

    Rows are written in the order given: callers sort them by key, so two transactions that
    touch the same rows lock them in the same order."""
    name = conn.dialect.name
    if isinstance(rows, Sequence):
        if rows:  # a sale's hot path: the statement is built once per shape
            statement = _statement(name, table, None, tuple(add), tuple(least), tuple(greatest))
            conn.execute(statement, list(rows))
        return
    conn.execute(_statement(name, table, rows, tuple(add), tuple(least), tuple(greatest)))


@functools.lru_cache(maxsize=64)
def _cached(
    name: str, table: Table, add: tuple[str, ...], least: tuple[str, ...], greatest: tuple[str, ...]
) -> Any:
    return _build(name, table, None, add, least, greatest)


def _statement(
    name: str,
    table: Table,
    query: Select[Any] | None,
    add: tuple[str, ...],
    least: tuple[str, ...],
    greatest: tuple[str, ...],
) -> Any:
    if query is None:
        return _cached(name, table, add, least, greatest)
    return _build(name, table, query, add, least, greatest)


def _build(
    name: str,
    table: Table,
    query: Select[Any] | None,
    add: tuple[str, ...],
    least: tuple[str, ...],
    greatest: tuple[str, ...],
) -> Any:
    keys = [c.name for c in table.primary_key.columns]
    statement: Any
    if name in MYSQL_NAMES:
        statement = mysql.insert(table)
        new = statement.inserted
    elif name == "postgresql":
        statement = postgresql.insert(table)
        new = statement.excluded
    else:
        statement = sqlite.insert(table)
        new = statement.excluded
    if query is not None:
        columns = [c.name for c in query.selected_columns]
        if name == "sqlite":  # SQLite's parser needs a WHERE before ON CONFLICT
            query = query.where(true())
        statement = statement.from_select(columns, query)
    merged = _merge(table, new, add, least, greatest)
    if name in MYSQL_NAMES:
        return statement.on_duplicate_key_update(merged)
    return statement.on_conflict_do_update(index_elements=keys, set_=merged)
