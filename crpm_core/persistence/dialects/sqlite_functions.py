"""Functions CRPM's SQL calls on SQLite, registered on every connection.

SQLite's own ``lower()`` knows only ASCII, and its ``SUM`` of integers fails with "integer
overflow" beyond 64 bits; these give the answers PostgreSQL and MariaDB give.
"""

from __future__ import annotations

import sqlite3

INT64_MAX = 2**63 - 1


def _lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _exact(total: int) -> int | str:
    """An integer SQLite can hold, else its digits (read back with ``int()``)."""
    return total if -INT64_MAX <= total <= INT64_MAX else str(total)


def _add(a: int | str | None, b: int | str | None) -> int | str | None:
    """``crpm_add(a, b)``: an exact sum of two integers (or the digits of larger ones)."""
    if a is None:
        return None if b is None else _exact(int(b))
    return _exact(int(a) + (0 if b is None else int(b)))


class ExactSum:
    """``crpm_sum(x)``: the exact sum of integers, NULL when there were none (as SUM)."""

    def __init__(self) -> None:
        self.total: int | None = None

    def step(self, value: int | None) -> None:
        if value is not None:
            self.total = int(value) + (self.total or 0)

    def finalize(self) -> int | str | None:
        return None if self.total is None else _exact(self.total)


class ExactDot:
    """``crpm_dot(a, b)``: the exact sum of ``a * b`` (a stock's value, beyond 64 bits)."""

    def __init__(self) -> None:
        self.total: int | None = None

    def step(self, a: int | None, b: int | None) -> None:
        if a is not None and b is not None:
            self.total = int(a) * int(b) + (self.total or 0)

    def finalize(self) -> int | str | None:
        return None if self.total is None else _exact(self.total)


def register(conn: sqlite3.Connection) -> None:
    conn.create_function("crpm_lower", 1, _lower, deterministic=True)
    conn.create_function("crpm_add", 2, _add, deterministic=True)
    conn.create_aggregate("crpm_sum", 1, ExactSum)  # type: ignore[arg-type]
    conn.create_aggregate("crpm_dot", 2, ExactDot)  # type: ignore[arg-type]
