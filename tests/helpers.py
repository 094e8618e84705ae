"""Helpers shared by the tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from crpm_core import CRPM
from crpm_core.persistence.tables import (
    ROLLUPS,
    api_tokens,
    audit_log,
    customers,
    metadata,
    orders,
    products,
    purchases,
    settings,
    stock_movements,
    users,
)

TABLES_IN_DELETE_ORDER = (
    *ROLLUPS,
    stock_movements,
    purchases,
    orders,
    products,
    customers,
    settings,
    audit_log,
    api_tokens,
    users,
)


def wipe(crm: CRPM) -> None:
    """Empty every table (cheaper than a new database between tests)."""
    with crm.db.transaction() as conn:
        for table in TABLES_IN_DELETE_ORDER:
            conn.execute(delete(table))


def snapshot(crm: CRPM) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered: two equal snapshots mean nothing changed."""
    with crm.db.transaction(write=False) as conn:
        return {
            table.name: [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key))]
            for table in metadata.sorted_tables
        }


def ledger_sum(crm: CRPM, product_id: int) -> int:
    from sqlalchemy import func

    with crm.db.transaction(write=False) as conn:
        total = conn.execute(
            select(func.coalesce(func.sum(stock_movements.c.change), 0)).where(
                stock_movements.c.product_id == product_id
            )
        ).scalar_one()
    return int(total)
