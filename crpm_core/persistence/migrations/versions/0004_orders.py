"""Orders of several lines, and returns.

- ``orders``: one row per sale (its customer, time, shop's order number, note, cancellation).
  Every purchase that exists becomes a one-line order of the same id.
- ``purchases.order_id``: the line's order; ``purchases.returned_quantity``: units brought
  back (``total_minor`` stays the line's total net of them).
- The stock ledger's kinds gain ``return``.
- The report indexes cover order_id and returned_quantity, so net figures and order counts
  are still read from the indexes alone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copies of this revision's types and indexes.
TABLE_KWARGS: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mariadb_charset": "utf8mb4",
    "sqlite_autoincrement": True,
}
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KINDS_BEFORE = "kind IN ('initial', 'restock', 'sale', 'cancel', 'adjustment')"
KINDS_AFTER = "kind IN ('initial', 'restock', 'sale', 'cancel', 'adjustment', 'return')"
LIVE = "cancelled_at IS NULL"
INDEXES_BEFORE: dict[str, list[str]] = {
    "ix_purchases_live_sales": [
        "purchased_at",
        "cancelled_at",
        "customer_id",
        "product_id",
        "quantity",
        "total_minor",
    ],
    "ix_purchases_live_by_customer": ["customer_id", "cancelled_at", "quantity", "total_minor"],
    "ix_purchases_live_by_product": ["product_id", "cancelled_at", "quantity", "total_minor"],
}
INDEXES_AFTER: dict[str, list[str]] = {
    "ix_purchases_live_sales": [
        "purchased_at",
        "cancelled_at",
        "customer_id",
        "product_id",
        "order_id",
        "quantity",
        "returned_quantity",
        "total_minor",
    ],
    "ix_purchases_live_by_customer": [
        "customer_id",
        "cancelled_at",
        "order_id",
        "quantity",
        "returned_quantity",
        "total_minor",
    ],
    "ix_purchases_live_by_product": [
        "product_id",
        "cancelled_at",
        "order_id",
        "quantity",
        "returned_quantity",
        "total_minor",
    ],
}


def _exact_key(length: int) -> sa.String:
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=False).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _ledger(kinds: str) -> sa.Table:
    """The stock ledger as this revision has it (for SQLite's table rebuild)."""
    return sa.Table(
        "stock_movements",
        sa.MetaData(),
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("product_id", Id, sa.ForeignKey("products.id"), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("change", sa.Integer, nullable=False),
        sa.Column("stock_after", sa.Integer, nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("purchase_id", Id, sa.ForeignKey("purchases.id"), nullable=True),
        sa.Column("actor", sa.String(100), nullable=False, server_default=sa.text("'system'")),
        sa.PrimaryKeyConstraint("id", name="pk_stock_movements"),
        sa.CheckConstraint(kinds, name="ck_stock_movements_kind_known"),
        sa.CheckConstraint("stock_after >= 0", name="ck_stock_movements_stock_after_not_negative"),
        sa.Index("ix_stock_movements_product_id_at", "product_id", "at"),
        sa.Index("ix_stock_movements_at", "at"),
        sa.Index("ix_stock_movements_purchase_id", "purchase_id"),
        sqlite_autoincrement=True,
    )


def _kinds(kinds: str) -> None:
    if op.get_bind().dialect.name == "sqlite":  # SQLite changes a CHECK by rebuilding the table
        with op.batch_alter_table("stock_movements", copy_from=_ledger(kinds), recreate="always"):
            pass
        return
    op.drop_constraint(op.f("ck_stock_movements_kind_known"), "stock_movements", type_="check")
    op.create_check_constraint(op.f("ck_stock_movements_kind_known"), "stock_movements", kinds)


def _indexes(specs: dict[str, list[str]]) -> None:
    for name in specs:
        op.drop_index(name, table_name="purchases")
    for name, columns in specs.items():
        op.create_index(
            name,
            "purchases",
            columns,
            postgresql_where=sa.text(LIVE),
            sqlite_where=sa.text(LIVE),
        )


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("ref", _exact_key(64), nullable=True),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("placed_at", _utc(), nullable=False),
        sa.Column("cancelled_at", _utc(), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("ref", name="uq_orders_ref"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_orders_customer_id_customers"
        ),
        **TABLE_KWARGS,
    )
    op.create_index("ix_orders_customer_id_placed_at", "orders", ["customer_id", "placed_at"])
    op.create_index("ix_orders_placed_at", "orders", ["placed_at"])
    if op.get_bind().dialect.name == "sqlite":  # a reference added with the column, inline
        op.execute("ALTER TABLE purchases ADD COLUMN order_id INTEGER REFERENCES orders (id)")
    else:
        op.add_column(
            "purchases",
            sa.Column(
                "order_id",
                Id,
                sa.ForeignKey("orders.id", name="fk_purchases_order_id_orders"),
                nullable=True,
            ),
        )
    op.add_column(
        "purchases",
        sa.Column("returned_quantity", sa.Integer, nullable=False, server_default=sa.text("0")),
    )
    op.create_index("ix_purchases_order_id", "purchases", ["order_id"])
    # Every purchase so far is a one-line order with the purchase's own id.
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "INSERT INTO orders (id, customer_id, placed_at, cancelled_at)"
            " SELECT id, customer_id, purchased_at, cancelled_at FROM purchases"
        )
    )
    conn.execute(sa.text("UPDATE purchases SET order_id = id"))
    if conn.dialect.name == "postgresql":  # explicit ids: move the sequence past them
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('orders', 'id'),"
                " COALESCE((SELECT MAX(id) FROM orders), 1),"
                " (SELECT MAX(id) FROM orders) IS NOT NULL)"
            )
        )
    _indexes(INDEXES_AFTER)
    _kinds(KINDS_AFTER)


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM stock_movements WHERE kind = 'return'"))
    _kinds(KINDS_BEFORE)
    _indexes(INDEXES_BEFORE)
    if conn.dialect.name != "sqlite":  # MariaDB keeps the index while the key needs it
        op.drop_constraint(op.f("fk_purchases_order_id_orders"), "purchases", type_="foreignkey")
    op.drop_index("ix_purchases_order_id", table_name="purchases")
    with op.batch_alter_table("purchases") as batch:
        batch.drop_column("returned_quantity")
        batch.drop_column("order_id")
    op.drop_table("orders")  # with its indexes
