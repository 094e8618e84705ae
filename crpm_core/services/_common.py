"""What the use cases share: the "not given" marker, ordering and lookups."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Table, exists, select, update
from sqlalchemy.sql.elements import ColumnElement

from crpm_core.domain import validation as v
from crpm_core.errors import Conflict, NotFound, ValidationError
from crpm_core.persistence import dialects
from crpm_core.persistence.mappers import Row
from crpm_core.services.unit_of_work import Clock, Scope, utc_now

__all__ = ["UNSET", "Clock", "fetch_one", "in_range", "order_clause", "refuse_if_used", "utc_now"]

T = TypeVar("T")


class _Switchable(Protocol):
    """A record that can be deactivated and reactivated."""

    @property
    def active(self) -> bool: ...


S = TypeVar("S", bound=_Switchable)


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset.UNSET
"""Marks an argument of ``update`` that was not given (``None`` may be a real value)."""


def order_clause(
    allowed: Mapping[str, ColumnElement[Any]],
    order_by: object,
    descending: object,
    tiebreak: ColumnElement[Any],
    *,
    dialect_name: str,
    text_keys: frozenset[str] = frozenset({"name"}),
) -> list[ColumnElement[Any]]:
    """ORDER BY for a listing: text columns ignore case, ties break by id."""
    if not isinstance(order_by, str) or order_by not in allowed:
        raise ValidationError("order_by", f"must be one of {', '.join(sorted(allowed))}")
    if not isinstance(descending, bool):
        raise ValidationError("descending", "must be true or false")
    col = allowed[order_by]
    if order_by in text_keys:
        col = dialects.lower(col, dialect_name)
    if descending:
        return [col.desc(), tiebreak.desc()]
    return [col.asc(), tiebreak.asc()]


def fetch_one(
    conn: Connection,
    table: Table,
    record_id: int,
    entity: str,
    convert: Callable[[Row], T],
    *,
    for_update: bool = False,
) -> T:
    query = select(table).where(table.c.id == record_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(entity, record_id)
    return convert(row)


def set_active(
    scope: Scope,
    table: Table,
    record_id: object,
    active: bool,
    entity: str,
    convert: Callable[[Row], S],
    action: str,
) -> S:
    """Deactivate or reactivate one record (history is never touched) and return it; the
    audit trail records the change of ``active``."""
    rid = v.record_id(record_id, f"{entity}_id")
    with scope() as uow:
        before = fetch_one(uow.conn, table, rid, entity, convert, for_update=True)
        uow.conn.execute(update(table).where(table.c.id == rid).values(active=active))
        after = fetch_one(uow.conn, table, rid, entity, convert)
        changed = before.active != active
        uow.audit(action, entity, rid, {"active": [before.active, active]} if changed else {})
        return after


def refuse_if_used(conn: Connection, column: ColumnElement[Any], record_id: int, why: str) -> None:
    """Raise ``Conflict(why)`` when any row has ``column == record_id`` (deleting would lose
    history)."""
    if conn.execute(select(exists().where(column == record_id))).scalar():
        raise Conflict(why)


def in_range(
    column: ColumnElement[Any], lo: datetime | None, hi: datetime | None
) -> list[ColumnElement[bool]]:
    """Conditions for ``lo <= column < hi``; a missing bound is no condition."""
    conditions: list[ColumnElement[bool]] = []
    if lo is not None:
        conditions.append(column >= lo)
    if hi is not None:
        conditions.append(column < hi)
    return conditions
