"""Engines: the drivers CRPM picks for a URL, and each backend's connection settings.

- ``postgresql://`` means psycopg 3, ``mysql://``/``mariadb://`` mean PyMySQL with utf8mb4.
- SQLite: WAL, foreign keys on, and ``BEGIN IMMEDIATE`` for writing transactions so
  concurrent writers queue instead of failing halfway; the functions CRPM's SQL calls
  (Unicode-aware lower-casing, exact big sums) are registered on every connection.
- Every backend waits at most ``busy_timeout`` seconds for a lock another writer holds
  (SQLite's busy timeout, PostgreSQL's ``lock_timeout``, InnoDB's lock wait timeout); a
  write that cannot get it raises :class:`crpm_core.errors.Busy` (see ``failures``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from crpm_core.persistence.dialects.types import MYSQL_NAMES

DEFAULT_BUSY_TIMEOUT = 60.0
"""Seconds a write waits for another writer's lock before it gives up with ``Busy``."""


def normalize_url(url: str | URL) -> URL:
    """Pick the drivers CRPM ships with when a URL names only the database."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    elif u.drivername in ("mysql", "mariadb"):
        u = u.set(drivername=f"{u.drivername}+pymysql")
    if u.get_backend_name() in MYSQL_NAMES and "charset" not in u.query:
        u = u.update_query_dict({"charset": "utf8mb4"})
    return u


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(url: str | URL, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    """An engine configured for CRPM's needs on the URL's backend."""
    u = normalize_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(u, busy_timeout)
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "isolation_level": "READ COMMITTED"}
    millis = max(1, int(busy_timeout * 1000))
    if backend == "postgresql":
        kwargs["connect_args"] = {"options": f"-c lock_timeout={millis}"}
        return create_engine(u, **kwargs)
    engine = create_engine(u, **kwargs)
    seconds = max(1, round(busy_timeout))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET SESSION innodb_lock_wait_timeout = {seconds}")

    return engine


def _sqlite_engine(u: URL, busy_timeout: float) -> Engine:
    from crpm_core.persistence.dialects import sqlite_functions

    memory = is_memory_sqlite(u)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": busy_timeout, "check_same_thread": False}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(u, **kwargs)
    millis = max(0, int(busy_timeout * 1000))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # CRPM emits BEGIN itself, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={millis}")
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        sqlite_functions.register(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("crpm_write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
