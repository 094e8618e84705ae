"""Customers, products, purchases and the stock ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the column types of this revision: a migration never imports live code,
# which may change after the migration has run somewhere.
TABLE_KWARGS: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mariadb_charset": "utf8mb4",
    "sqlite_autoincrement": True,
}
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def ExactKey(length: int) -> sa.String:  # noqa: N802
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def UTCDateTime() -> sa.DateTime:  # noqa: N802 - naive UTC, microseconds on MariaDB
    return sa.DateTime(timezone=False).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", ExactKey(254), nullable=False),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("active", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        sa.UniqueConstraint("email_key", name="uq_customers_email_key"),
        **TABLE_KWARGS,
    )
    op.create_index("ix_customers_name", "customers", ["name"])

    op.create_table(
        "products",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("sku", ExactKey(64), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("price_minor", sa.BigInteger, nullable=False),
        sa.Column("stock", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.UniqueConstraint("sku", name="uq_products_sku"),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_products_stock_not_negative")),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_products_price_not_negative")),
        **TABLE_KWARGS,
    )
    op.create_index("ix_products_name", "products", ["name"])

    op.create_table(
        "purchases",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("product_id", Id, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger, nullable=False),
        sa.Column("total_minor", sa.BigInteger, nullable=False),
        sa.Column("purchased_at", UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column(
            "stock_moved",
            sa.Boolean(create_constraint=False),
            nullable=False,
            server_default=sa.true(),
        ),
        sa.PrimaryKeyConstraint("id", name="pk_purchases"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_purchases_customer_id_customers"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_purchases_product_id_products"
        ),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_purchases_quantity_positive")),
        **TABLE_KWARGS,
    )
    op.create_index(
        "ix_purchases_customer_id_purchased_at", "purchases", ["customer_id", "purchased_at"]
    )
    op.create_index(
        "ix_purchases_product_id_purchased_at", "purchases", ["product_id", "purchased_at"]
    )
    op.create_index("ix_purchases_purchased_at", "purchases", ["purchased_at"])

    op.create_table(
        "stock_movements",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("product_id", Id, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("change", sa.Integer, nullable=False),
        sa.Column("stock_after", sa.Integer, nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("purchase_id", Id, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_stock_movements"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_stock_movements_product_id_products"
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"], ["purchases.id"], name="fk_stock_movements_purchase_id_purchases"
        ),
        sa.CheckConstraint(
            "kind IN ('initial', 'restock', 'sale', 'cancel', 'adjustment')",
            name=op.f("ck_stock_movements_kind_known"),
        ),
        sa.CheckConstraint(
            "stock_after >= 0", name=op.f("ck_stock_movements_stock_after_not_negative")
        ),
        **TABLE_KWARGS,
    )
    op.create_index("ix_stock_movements_product_id_at", "stock_movements", ["product_id", "at"])
    op.create_index("ix_stock_movements_at", "stock_movements", ["at"])
    op.create_index("ix_stock_movements_purchase_id", "stock_movements", ["purchase_id"])


def downgrade() -> None:
    op.drop_table("stock_movements")
    op.drop_table("purchases")
    op.drop_table("products")
    op.drop_table("customers")
