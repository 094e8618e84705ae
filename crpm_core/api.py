"""``connect()`` and the ``CRPM`` handle scripts, the app and the command line share."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy.engine import URL

from crpm_core.domain import validation as v
from crpm_core.errors import PermissionDenied
from crpm_core.persistence import dialects, migrate
from crpm_core.persistence.database import Database
from crpm_core.services import rollups
from crpm_core.services.audit import Audit
from crpm_core.services.customers import Customers
from crpm_core.services.orders import Orders
from crpm_core.services.products import Products
from crpm_core.services.purchases import Purchases
from crpm_core.services.reports import Reports
from crpm_core.services.settings import ShopSettings
from crpm_core.services.unit_of_work import SYSTEM, Clock, Scope, utc_now
from crpm_core.services.users import Users, user_role

DEFAULT_URL = "sqlite:///crpm.db"
ENV_VAR = "CRPM_DATABASE_URL"


def default_url() -> str:
    """``$CRPM_DATABASE_URL``, else a SQLite file ``./crpm.db``."""
    return os.environ.get(ENV_VAR) or DEFAULT_URL


class Services:
    """The use cases, bound to one scope: the handle's (a transaction per call) or a
    ``transaction()`` block's (every call in the block's transaction)."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope
        self.customers = Customers(scope)
        self.products = Products(scope)
        self.orders = Orders(scope)
        self.purchases = Purchases(scope)
        self.reports = Reports(scope)
        self.settings = ShopSettings(scope)
        self.users = Users(scope)
        self.audit = Audit(scope)

    def check(self) -> list[str]:
        """What disagrees, one line each (empty when everything does): a product whose stock
        is not the sum of its ledger, and every rollup row the raw sales do not give
        (``crpm check``)."""
        self._scope.require("reports.read")
        with self._scope(write=False) as uow:
            return rollups.differences(uow.conn)

    @property
    def scope(self) -> Scope:
        """Where these services open their units of work; for CRPM's own adapters (the
        importer, the exports, the demo filler), which write through the same rules."""
        return self._scope

    @property
    def clock(self) -> Clock:
        """The source of "now" for every record written (UTC, aware)."""
        return self._scope.clock

    @property
    def actor(self) -> str:
        """Who is acting: ``system`` for a script, ``cli:<login>`` for the command line, else
        the username of the member of staff."""
        return self._scope.actor

    @property
    def role(self) -> str | None:
        """The acting user's role (``owner``, ``manager``, ``clerk``); ``None`` for the
        database's operator, who may do everything."""
        return self._scope.role


class Transaction(Services):
    """The services of one ``crm.transaction()`` block: all of their writes commit together
    when the block ends, or none of them when it ends with an exception."""


class CRPM(Services):
    """A thread-safe handle on one database. Every call is its own transaction;
    :meth:`transaction` groups several into one."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock = utc_now,
        actor: str = SYSTEM,
        role: str | None = None,
    ) -> None:
        super().__init__(Scope(db, clock, actor, role=role))
        self.db = db

    def as_user(self, username: str) -> CRPM:
        """A handle on the same database acting as the member of staff ``username``: every
        call is checked against their role and audited under their name. An unknown or
        deactivated user is ``PermissionDenied``."""
        if not isinstance(username, str):
            raise PermissionDenied("act", "a username is text")
        with self._scope(write=False) as uow:
            role = user_role(uow.conn, username)
        return CRPM(self.db, clock=self._scope.clock, actor=username, role=role)

    def as_operator(self, actor: str) -> CRPM:
        """A handle with every right, audited as ``actor`` (the command line: ``cli:<login>``)."""
        return CRPM(self.db, clock=self._scope.clock, actor=v.name(actor, "actor")[:100])

    @property
    def url(self) -> URL:
        return self.db.url

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One all-or-nothing transaction for several calls::

            with crm.transaction() as tx:
                c = tx.customers.add(name="Ada", email="ada@example.org")
                tx.purchases.record(customer_id=c.id, product_id=p.id, quantity=2)

        Leaving the block with an exception rolls back every call in it. A call refused
        inside the block (say, short of stock) leaves nothing behind even if the error is
        caught and the block goes on. Use ``tx``, not the handle, inside the block."""
        with self._scope.block() as scope:
            yield Transaction(scope)

    def close(self) -> None:
        """Release the database connections."""
        self.db.dispose()

    def __enter__(self) -> CRPM:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CRPM({self.db.url.render_as_string(hide_password=True)!r})"


def connect(
    url: str | URL | None = None,
    *,
    clock: Clock = utc_now,
    migrate_schema: bool = True,
    busy_timeout: float = dialects.DEFAULT_BUSY_TIMEOUT,
) -> CRPM:
    """Open (and create or upgrade, with Alembic) the database at ``url``.

    Without a URL: ``$CRPM_DATABASE_URL``, else the SQLite file ``./crpm.db``.
    ``postgresql://`` uses psycopg 3 and ``mysql://``/``mariadb://`` use PyMySQL.
    ``clock`` is the source of every time the core records; ``busy_timeout`` the seconds a
    write waits for another writer before it raises :class:`crpm_core.errors.Busy`.
    """
    db = Database(url if url is not None else default_url(), busy_timeout=busy_timeout)
    try:
        if migrate_schema:
            migrate.upgrade(db)
    except BaseException:
        db.dispose()
        raise
    return CRPM(db, clock=clock)
