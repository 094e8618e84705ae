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

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from crpm_core.persistence.database import Database
from crpm_core.persistence.dialects.failures import translate

Clock = Callable[[], datetime]
SYSTEM = "system"
"""The actor of the bare handle: a script or the operator of the database."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    """One open transaction: its connection, the clock and who is acting."""

    def __init__(self, conn: Connection, clock: Clock, actor: str) -> None:
        self.conn = conn
        self.clock = clock
        self.actor = actor

    @property
    def dialect_name(self) -> str:
        return self.conn.dialect.name

    def now(self) -> datetime:
        """The current time by the handle's clock (aware UTC)."""
        return self.clock().astimezone(UTC)


class Scope:
    """What the services of one handle (or one ``transaction()`` block) share: the database,
    the clock, the actor, and in a block the unit of work that is already open."""

    def __init__(
        self, db: Database, clock: Clock, actor: str, open_uow: UnitOfWork | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.actor = actor
        self._open = open_uow

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
            yield Scope(self.db, self.clock, self.actor, UnitOfWork(conn, self.clock, self.actor))
