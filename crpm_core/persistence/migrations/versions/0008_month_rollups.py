"""Sales per product per shop-local month, and the buyers of a range from the customers'
rollups.

``product_sales_months`` holds what ``product_sales_days`` holds, added up per local month
(keyed by its first day), so a long range reads a row per product per whole month and days
only around them. It is built here from the day rollups (the same local days). Two indexes on
``customer_sales`` count a range's buyers when the range holds the newest (``last_at``) or
the oldest (``first_at``) sale.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.types import UserDefinedType

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLE_KWARGS: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mariadb_charset": "utf8mb4",
    "sqlite_autoincrement": True,
}
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class _Blob(UserDefinedType[Any]):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "BLOB"


def _money() -> Any:
    return sa.Numeric(38, 0).with_variant(_Blob(), "sqlite")


# Frozen here: the month of a stored date, and an exact sum of money, per backend.
MONTH = {
    "sqlite": "date(day, 'start of month')",
    "postgresql": "CAST(date_trunc('month', CAST(day AS TIMESTAMP)) AS DATE)",
    "mysql": "(day - INTERVAL (DAYOFMONTH(day) - 1) DAY)",
}
MONEY = {
    "sqlite": "crpm_sum(revenue_minor)",
    "postgresql": "SUM(revenue_minor)",
    "mysql": "SUM(revenue_minor)",
}


def upgrade() -> None:
    op.create_table(
        "product_sales_months",
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("product_id", Id, nullable=False),
        sa.Column("lines", sa.BigInteger, nullable=False),
        sa.Column("units", sa.BigInteger, nullable=False),
        sa.Column("returned", sa.BigInteger, nullable=False),
        sa.Column("revenue_minor", _money(), nullable=False),
        sa.PrimaryKeyConstraint("month", "product_id", name="pk_product_sales_months"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_product_sales_months_product_id_products"
        ),
        **TABLE_KWARGS,
    )
    op.create_index(
        "ix_product_sales_months_product_id_month",
        "product_sales_months",
        ["product_id", "month"],
    )
    op.create_index("ix_customer_sales_last_at_lines", "customer_sales", ["last_at", "lines"])
    op.create_index("ix_customer_sales_first_at_lines", "customer_sales", ["first_at", "lines"])
    conn = op.get_bind()
    name = "mysql" if conn.dialect.name in ("mysql", "mariadb") else conn.dialect.name
    names = ["product_id", "lines", "units", "returned", "revenue_minor"]
    days = sa.table("product_sales_days", sa.column("day"), *(sa.column(n) for n in names))
    months = sa.table("product_sales_months", sa.column("month"), *(sa.column(n) for n in names))
    month: Any = sa.literal_column(MONTH[name])
    d = days.c
    query = sa.select(
        month,
        d.product_id,
        sa.func.sum(d.lines),
        sa.func.sum(d.units),
        sa.func.sum(d.returned),
        sa.literal_column(MONEY[name]),
    ).group_by(month, d.product_id)
    conn.execute(sa.insert(months).from_select(["month", *names], query))


def downgrade() -> None:
    op.drop_index("ix_customer_sales_first_at_lines", table_name="customer_sales")
    op.drop_index("ix_customer_sales_last_at_lines", table_name="customer_sales")
    op.drop_table("product_sales_months")
