"""A covering index for a product's units over a window of days.

``reorder_suggestions`` sums each active product's units over the window's whole days with
one subquery per product; with ``lines`` and ``units`` in the index it reads only the index
(a few dozen entries per product) instead of sorting every row of the window (measured at
10,000 products and 30 days: 110 ms on SQLite before, 40 ms after). The narrower index
``(product_id, day)`` is a prefix of the new one and goes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_product_sales_days_product_id_day_lines_units",
        "product_sales_days",
        ["product_id", "day", "lines", "units"],
    )
    op.drop_index("ix_product_sales_days_product_id_day", table_name="product_sales_days")


def downgrade() -> None:
    op.create_index(
        "ix_product_sales_days_product_id_day", "product_sales_days", ["product_id", "day"]
    )
    op.drop_index(
        "ix_product_sales_days_product_id_day_lines_units", table_name="product_sales_days"
    )
