"""Every difference between SQLite, PostgreSQL and MariaDB/MySQL lives in this package,
one module per job:

- :mod:`.types`: column types (ids, byte-exact keys, aware UTC times) and table options.
- :mod:`.engine`: drivers, connection settings, SQLite's ``BEGIN IMMEDIATE`` and busy
  timeouts (with :mod:`.sqlite_functions`, the SQL functions SQLite lacks).
- :mod:`.sql`: SQL spelled per backend: case folding, advisory locks, period buckets,
  sums that never overflow.
- :mod:`.bulk`: loading many rows (COPY, indexes rebuilt once).
- :mod:`.failures`: a driver's error turned into the CRPM error it means.
"""

from crpm_core.persistence.dialects.bulk import BULK_LOAD_ROWS, bulk_load, insert_many, reserve_ids
from crpm_core.persistence.dialects.engine import (
    DEFAULT_BUSY_TIMEOUT,
    is_memory_sqlite,
    make_engine,
    normalize_url,
)
from crpm_core.persistence.dialects.sql import (
    Sums,
    as_utc_datetime,
    bulk_lock,
    lower,
    migration_lock,
    period_start,
    whole_days,
    with_exact_sums,
)
from crpm_core.persistence.dialects.types import (
    MYSQL_NAMES,
    TABLE_KWARGS,
    BigMoney,
    ExactKey,
    ExactText,
    Id,
    UTCDateTime,
)

__all__ = [
    "BULK_LOAD_ROWS",
    "DEFAULT_BUSY_TIMEOUT",
    "MYSQL_NAMES",
    "TABLE_KWARGS",
    "BigMoney",
    "ExactKey",
    "ExactText",
    "Id",
    "Sums",
    "UTCDateTime",
    "as_utc_datetime",
    "bulk_load",
    "bulk_lock",
    "insert_many",
    "is_memory_sqlite",
    "lower",
    "make_engine",
    "migration_lock",
    "normalize_url",
    "period_start",
    "reserve_ids",
    "whole_days",
    "with_exact_sums",
]
