"""A driver's error, which differs by backend, turned into the CRPM error it means.

The services catch the errors they expect (a duplicate email, a vanished row) and raise
their own; what is left reaches :func:`translate` at the edge of the transaction, so no
caller ever sees a raw driver error.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from crpm_core.errors import Busy, Conflict, CRPMError, StorageError

# SQLite's messages, PostgreSQL's SQLSTATEs, MariaDB's error numbers for "someone else holds
# the lock" (busy timeout, lock timeout, deadlock victim, serialization failure).
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")
_POSTGRES_BUSY = {"55P03", "40P01", "40001"}
_MYSQL_BUSY = {1205, 1213}


def is_busy(exc: DBAPIError) -> bool:
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state in _POSTGRES_BUSY:
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_BUSY:
        return True
    return isinstance(exc, OperationalError) and any(m in str(orig) for m in _SQLITE_BUSY)


def translate(exc: DBAPIError) -> CRPMError:
    """The CRPM error a driver error means; its message never holds SQL or parameters."""
    if is_busy(exc):
        return Busy()
    if isinstance(exc, IntegrityError):
        return Conflict(
            "the change clashes with data another user stored meanwhile; nothing was "
            "changed, try again"
        )
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        return StorageError(f"the database cannot be used: {_why(exc)}")
    return StorageError(f"the database refused the call: {_why(exc)}")


def _why(exc: DBAPIError) -> str:
    text = str(exc.orig).strip().splitlines()
    return text[0][:200] if text else type(exc.orig).__name__
