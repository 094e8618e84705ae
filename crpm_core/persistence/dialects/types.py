"""Column types whose storage differs by backend.

- Ids: a true ``INTEGER PRIMARY KEY`` (a ROWID alias) on SQLite, ``BIGINT`` elsewhere.
- Keys compared byte for byte (email keys, SKUs, search keys) use a binary collation on
  MariaDB, whose default collation ignores case and accents.
- Times are stored as naive UTC with microseconds and handed out timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.types import UserDefinedType

MYSQL_NAMES = ("mysql", "mariadb")
TABLE_KWARGS: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mariadb_charset": "utf8mb4",
    "sqlite_autoincrement": True,  # ids of deleted rows are never handed out again
}

# An integer primary key that is a true autoincrement alias of ROWID on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


def ExactKey(length: int) -> String:  # noqa: N802 - reads like a type
    """A string compared byte for byte (MariaDB's default collation ignores case and accents)."""
    return String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), *MYSQL_NAMES
    )


def ExactText() -> Text:  # noqa: N802 - reads like a type
    """Unbounded text compared byte for byte (the folded search keys)."""
    return Text().with_variant(mysql.TEXT(charset="utf8mb4", collation="utf8mb4_bin"), *MYSQL_NAMES)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored naive UTC, microseconds kept."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in MYSQL_NAMES:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sqlite.DATETIME())  # type: ignore[no-untyped-call]
        return dialect.type_descriptor(DateTime(timezone=False))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the database layer")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL paths on SQLite
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


class _SQLiteAnyNumber(UserDefinedType[Any]):
    """A SQLite column of BLOB affinity: integers stay integers and the digits of a larger
    one stay text (an INTEGER or NUMERIC column would turn them into an inexact REAL)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "BLOB"


INT64 = 2**63 - 1


class BigMoney(TypeDecorator[int]):
    """Integer minor units that may pass 2**63 (a rollup's sum of many large sales): an exact
    NUMERIC(38, 0) on the servers; on SQLite an integer, or its digits when it is larger."""

    impl = Numeric(38, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteAnyNumber())
        return dialect.type_descriptor(Numeric(38, 0))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite" and not -INT64 <= value <= INT64:
            return str(value)
        return int(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)
