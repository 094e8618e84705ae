"""The covering indexes of the reports, as the table definitions declare them (migrations 0002 and
0004 hold frozen copies).

Every report reads only purchased_at, customer_id, product_id, order_id, quantity,
returned_quantity and total_minor (net of returns) of live (not cancelled) purchases. On
PostgreSQL and SQLite the indexes are partial (``WHERE cancelled_at IS NULL``), so an aggregate
is answered from the index alone; MariaDB has no partial indexes and gets cancelled_at as an
index column instead.
"""

from __future__ import annotations

from sqlalchemy import Index, text

LIVE = "cancelled_at IS NULL"

SPECS: dict[str, tuple[list[str], str]] = {
    "ix_purchases_live_sales": (
        [
            "purchased_at",
            "cancelled_at",
            "customer_id",
            "product_id",
            "order_id",
            "quantity",
            "returned_quantity",
            "total_minor",
        ],
        LIVE,
    ),
    "ix_purchases_live_by_customer": (
        ["customer_id", "cancelled_at", "order_id", "quantity", "returned_quantity", "total_minor"],
        LIVE,
    ),
    "ix_purchases_live_by_product": (
        ["product_id", "cancelled_at", "order_id", "quantity", "returned_quantity", "total_minor"],
        LIVE,
    ),
    "ix_purchases_cancelled": (["purchased_at", "cancelled_at"], "cancelled_at IS NOT NULL"),
}


def report_indexes() -> list[Index]:
    """The indexes as ``Index`` objects for a ``Table`` definition."""
    return [
        Index(
            name,
            *cols,
            postgresql_where=text(where),
            sqlite_where=text(where),
        )
        for name, (cols, where) in SPECS.items()
    ]
