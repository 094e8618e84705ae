"""The schema as SQLAlchemy Core tables. Money columns hold integer minor units (cents)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
    true,
)

from crpm_core.persistence.dialects import (
    TABLE_KWARGS,
    BigMoney,
    ExactKey,
    ExactText,
    Id,
    UTCDateTime,
)
from crpm_core.persistence.indexes import report_indexes

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

customers = Table(
    "customers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("email_key", ExactKey(254), nullable=False, unique=True),
    Column("phone", String(40), nullable=True),
    Column("active", Boolean(create_constraint=False), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # name, email and phone folded for searching (crpm_core.domain.search), migration 0003
    Column("search_key", ExactText(), nullable=False, server_default=text("''")),
    Index(None, "name"),
    **TABLE_KWARGS,
)

products = Table(
    "products",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sku", ExactKey(64), nullable=True, unique=True),
    Column("name", String(200), nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    Column("stock", Integer, nullable=False),
    Column("active", Boolean(create_constraint=False), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # None: the shop's low_stock_default applies (migration 0003)
    Column("reorder_point", Integer, nullable=True),
    Column("search_key", ExactText(), nullable=False, server_default=text("''")),
    CheckConstraint("stock >= 0", name="stock_not_negative"),
    CheckConstraint("price_minor >= 0", name="price_not_negative"),
    Index(None, "name"),
    **TABLE_KWARGS,
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # the shop's own order number (an import's order_ref): unique when given
    Column("ref", ExactKey(64), nullable=True, unique=True),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=False),
    Column("placed_at", UTCDateTime(), nullable=False),
    Column("cancelled_at", UTCDateTime(), nullable=True),
    Column("note", String(500), nullable=True),
    Index(None, "customer_id", "placed_at"),
    Index(None, "placed_at"),
    **TABLE_KWARGS,
)

purchases = Table(
    "purchases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=False),
    Column("product_id", Id, ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("purchased_at", UTCDateTime(), nullable=False),
    Column("cancelled_at", UTCDateTime(), nullable=True),
    # False for history imported without moving stock: cancelling it gives no stock back
    Column("stock_moved", Boolean(create_constraint=False), nullable=False, server_default=true()),
    # the order the line belongs to (migration 0004; nullable only because SQLite cannot add a
    # NOT NULL reference to a table with rows: every line written has one)
    Column("order_id", Id, ForeignKey("orders.id"), nullable=True),
    # units brought back; total_minor is net of them: (quantity - returned) * unit price
    Column("returned_quantity", Integer, nullable=False, server_default=text("0")),
    CheckConstraint("quantity >= 1", name="quantity_positive"),
    Index(None, "customer_id", "purchased_at"),
    Index(None, "product_id", "purchased_at"),
    Index(None, "order_id"),
    # covering indexes of the reports, partial where the backend can (migration 0002)
    *report_indexes(),
    **TABLE_KWARGS,
)

stock_movements = Table(
    "stock_movements",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("product_id", Id, ForeignKey("products.id"), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("change", Integer, nullable=False),
    Column("stock_after", Integer, nullable=False),
    Column("note", String(500), nullable=True),
    Column("purchase_id", Id, ForeignKey("purchases.id"), nullable=True),
    # who moved the stock: the unit of work's actor (migration 0003)
    Column("actor", String(100), nullable=False, server_default=text("'system'")),
    CheckConstraint(
        "kind IN ('initial', 'restock', 'sale', 'cancel', 'adjustment', 'return')",
        name="kind_known",
    ),
    CheckConstraint("stock_after >= 0", name="stock_after_not_negative"),
    Index(None, "product_id", "at"),
    Index(None, "at"),
    Index(None, "purchase_id"),
    Index(None, "kind", "at"),  # restocks in a range (migration 0006)
    **TABLE_KWARGS,
)

settings = Table(
    "settings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1: one shop
    Column("shop_name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("low_stock_default", Integer, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
    **TABLE_KWARGS,
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", ExactKey(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean(create_constraint=False), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # the lockout: failures counted from the first in the window; locked until a time
    Column("failed_logins", Integer, nullable=False, server_default=text("0")),
    Column("first_failure_at", UTCDateTime(), nullable=True),
    Column("locked_until", UTCDateTime(), nullable=True),
    CheckConstraint("role IN ('owner', 'manager', 'clerk')", name="role_known"),
    **TABLE_KWARGS,
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    # SHA-256 of the token (the token is random and long: a fast hash is safe here)
    Column("token_hash", ExactKey(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Index(None, "user_id"),
    **TABLE_KWARGS,
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(40), nullable=False),
    Column("entity", String(20), nullable=False),
    Column("entity_id", BigInteger, nullable=True),
    Column("changes", Text, nullable=False),  # JSON: field -> [before, after]
    Index(None, "at", "id"),
    Index(None, "entity", "entity_id"),
    Index(None, "actor", "at"),
    **TABLE_KWARGS,
)


# Rollups (migration 0006), kept in the transaction of every sale, return, cancel and import
# (crpm_core.services.rollups): what the reports read for whole days and for all time. A
# ``day`` is the shop-local date of ``purchased_at`` in the settings' time zone; every figure
# counts live (not cancelled) lines net of returns, on the day of the original sale. ``crpm
# check`` compares each with the raw rows.


def _figures() -> list[Column[int]]:
    return [
        Column("lines", BigInteger, nullable=False),  # live purchase lines
        Column("units", BigInteger, nullable=False),  # quantity - returned_quantity
        Column("returned", BigInteger, nullable=False),  # returned_quantity
        Column("revenue_minor", BigMoney(), nullable=False),  # total_minor, exact past 2**63
    ]


sales_days = Table(
    "sales_days",
    metadata,
    Column("day", Date, primary_key=True, autoincrement=False),
    *_figures(),
    Column("orders", BigInteger, nullable=False),  # orders with a live line that day
    **TABLE_KWARGS,
)

product_sales_days = Table(
    "product_sales_days",
    metadata,
    Column("day", Date, nullable=False),
    Column("product_id", Id, ForeignKey("products.id"), nullable=False),
    *_figures(),
    PrimaryKeyConstraint("day", "product_id"),
    # covering for a product's units over a window (reorder suggestions read only the index)
    Index(None, "product_id", "day", "lines", "units"),
    **TABLE_KWARGS,
)

product_sales_months = Table(
    "product_sales_months",
    metadata,
    Column("month", Date, nullable=False),  # the first day of a shop-local month
    Column("product_id", Id, ForeignKey("products.id"), nullable=False),
    *_figures(),
    PrimaryKeyConstraint("month", "product_id"),
    Index(None, "product_id", "month"),
    **TABLE_KWARGS,
)

product_sales = Table(
    "product_sales",
    metadata,
    Column("product_id", Id, ForeignKey("products.id"), primary_key=True, autoincrement=False),
    *_figures(),
    **TABLE_KWARGS,
)

customer_sales = Table(
    "customer_sales",
    metadata,
    Column("customer_id", Id, ForeignKey("customers.id"), primary_key=True, autoincrement=False),
    *_figures(),
    Column("orders", BigInteger, nullable=False),  # orders with a live line
    # orders with a unit not returned, and the last of them (rfm's frequency and recency)
    Column("kept_orders", BigInteger, nullable=False),
    Column("first_at", UTCDateTime(), nullable=True),
    Column("last_at", UTCDateTime(), nullable=True),
    Column("last_kept_at", UTCDateTime(), nullable=True),
    Index(None, "revenue_minor"),
    # the buyers of a range that holds the newest or the oldest sale (covering: lines > 0)
    Index(None, "last_at", "lines"),
    Index(None, "first_at", "lines"),
    **TABLE_KWARGS,
)

ROLLUPS = (sales_days, product_sales_days, product_sales_months, product_sales, customer_sales)
