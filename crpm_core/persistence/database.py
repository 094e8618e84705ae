"""The one place a transaction begins and ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from crpm_core.persistence import dialects
from crpm_core.persistence.dialects.failures import translate


class Database:
    """An engine plus the rule for transactions: commit on success, roll back on any error.

    A driver error that leaves a transaction becomes a :class:`crpm_core.errors.CRPMError`
    (``Busy`` when another writer held the lock past ``busy_timeout`` seconds)."""

    def __init__(
        self, url: str | URL, *, busy_timeout: float = dialects.DEFAULT_BUSY_TIMEOUT
    ) -> None:
        self.url = dialects.normalize_url(url)
        self.busy_timeout = busy_timeout
        self.engine: Engine = dialects.make_engine(self.url, busy_timeout=busy_timeout)
        # One in-memory SQLite connection is shared, so its users take turns.
        self._lock: threading.RLock | None = (
            threading.RLock() if dialects.is_memory_sqlite(self.url) else None
        )

    @property
    def dialect_name(self) -> str:
        return self.engine.dialect.name

    def _guard(self) -> AbstractContextManager[object]:
        return self._lock if self._lock is not None else nullcontext()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Connection]:
        """Yield a connection inside a transaction; leaving by an exception rolls it back."""
        try:
            with self._guard(), self.engine.connect() as conn:
                conn.execution_options(crpm_write=write)
                with conn.begin():
                    yield conn
        except DBAPIError as exc:
            raise translate(exc) from exc

    def dispose(self) -> None:
        self.engine.dispose()
