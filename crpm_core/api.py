"""``connect()`` and the ``CRPM`` handle scripts, the app and the command line share."""

from __future__ import annotations

import os
from types import TracebackType

from sqlalchemy.engine import URL

from crpm_core.persistence import migrate
from crpm_core.persistence.database import Database
from crpm_core.services._common import Clock, utc_now
from crpm_core.services.customers import Customers
from crpm_core.services.products import Products
from crpm_core.services.purchases import Purchases
from crpm_core.services.reports import Reports

DEFAULT_URL = "sqlite:///crpm.db"
ENV_VAR = "CRPM_DATABASE_URL"


def default_url() -> str:
    """``$CRPM_DATABASE_URL``, else a SQLite file ``./crpm.db``."""
    return os.environ.get(ENV_VAR) or DEFAULT_URL


class CRPM:
    """A thread-safe handle on one database. Every call is its own transaction."""

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock
        """The source of "now" for every record this handle writes (UTC, aware)."""
        self.customers = Customers(db, clock)
        self.products = Products(db, clock)
        self.purchases = Purchases(db, clock)
        self.reports = Reports(db)

    @property
    def url(self) -> URL:
        return self.db.url

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
    url: str | URL | None = None, *, clock: Clock = utc_now, migrate_schema: bool = True
) -> CRPM:
    """Open (and create or upgrade, with Alembic) the database at ``url``.

    Without a URL: ``$CRPM_DATABASE_URL``, else the SQLite file ``./crpm.db``.
    ``postgresql://`` uses psycopg 3 and ``mysql://``/``mariadb://`` use PyMySQL.
    """
    db = Database(url if url is not None else default_url())
    try:
        if migrate_schema:
            migrate.upgrade(db)
    except BaseException:
        db.dispose()
        raise
    return CRPM(db, clock=clock)
