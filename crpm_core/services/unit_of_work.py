"""The unit of work: one transaction with its clock and its acting user.

Every service method runs inside one. The bare handle opens a new one per call; a
``crm.transaction()`` block opens one for the whole block and hands its services a scope
bound to it, so several calls commit together or not at all::

    with crm.transaction() as tx:
        c = tx.customers.add(name="Ada", email="ada@example.org")
        tx.purchases.record(customer_id=c.id, product_id=1, quantity=2)

Inside a block each call runs in a savepoint: a refused call (say, short of stock) leaves
nothing of itself behind even when the caller catches the error and goes on. Leaving the
block with an exception rolls everything back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert
from sqlalchemy.exc import DBAPIError

from crpm_core.domain import staff
from crpm_core.errors import PermissionDenied
from crpm_core.persistence.database import Database
from crpm_core.persistence.dialects.failures import translate
from crpm_core.persistence.tables import audit_log

Clock = Callable[[], datetime]
SYSTEM = "system"
"""The actor of the bare handle: a script or the operator of the database."""


_AUDIT = insert(audit_log).values(
    at=bindparam("at", type_=audit_log.c.at.type),
    actor=bindparam("actor"),
    action=bindparam("action"),
    entity=bindparam("entity"),
    entity_id=bindparam("entity_id"),
    changes=bindparam("changes"),
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    """One open transaction: its connection, the clock and who is acting."""

    def __init__(self, conn: Connection, clock: Clock, actor: str) -> None:
        self.conn = conn
        self.clock = clock
        self.actor = actor

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: int | None,
        changes: Mapping[str, list[Any]],
    ) -> None:
        """Add this write's row to the audit trail, in the write's own transaction (it is
        rolled back with the write, so a refused call leaves no row)."""
        self.conn.execute(
            _AUDIT,
            {
                "at": self.now(),
                "actor": self.actor,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "changes": json.dumps(changes, ensure_ascii=False, sort_keys=True),
            },
        )

    @property
    def dialect_name(self) -> str:
        return self.conn.dialect.name

    def now(self) -> datetime:
        """The current time by the handle's clock (aware UTC)."""
        return self.clock().astimezone(UTC)


class Scope:
    """What the services of one handle (or one ``transaction()`` block) share: the database,
    the clock, the actor and their role (``None``: the database's operator, who may do
    everything), and in a block the unit of work that is already open."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        actor: str,
        open_uow: UnitOfWork | None = None,
        *,
        role: str | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.actor = actor
        self.role = role
        self._open = open_uow

    def require(self, permission: str) -> None:
        """Refuse, before anything is read or written, what the acting role may not do."""
        if not staff.may(self.role, permission):
            raise PermissionDenied(permission)

    @property
    def dialect_name(self) -> str:
        return self.db.dialect_name

    @contextmanager
    def __call__(self, *, write: bool = True) -> Iterator[UnitOfWork]:
        """A unit of work for one service call: a new transaction, or (in a block) a
        savepoint of the block's transaction for a write and the block itself for a read."""
        if self._open is None:
            with self.db.transaction(write=write) as conn:
                yield UnitOfWork(conn, self.clock, self.actor)
            return
        if not write:
            yield self._open
            return
        try:
            with self._open.conn.begin_nested():
                yield self._open
        except DBAPIError as exc:
            raise translate(exc) from exc

    @contextmanager
    def block(self) -> Iterator[Scope]:
        """Open one transaction for several calls; the scope it yields is bound to it."""
        if self._open is not None:
            raise RuntimeError("a transaction() block is already open on this handle")
        with self.db.transaction(write=True) as conn:
            uow = UnitOfWork(conn, self.clock, self.actor)
            yield Scope(self.db, self.clock, self.actor, uow, role=self.role)
