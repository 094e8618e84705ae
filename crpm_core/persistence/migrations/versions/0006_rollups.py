"""Rollups: sales per shop-local day, per product and day, per product and per customer,
built from the purchases already stored (live lines, net of returns), with the days in the
shop's time zone from the settings table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE_KWARGS: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mariadb_charset": "utf8mb4",
    "sqlite_autoincrement": True,
}
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MYSQL = ("mysql", "mariadb")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=False).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _figures(*names: str) -> list[sa.Column[Any]]:
    return [sa.Column(name, sa.BigInteger, nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "sales_days",
        sa.Column("day", sa.Date, nullable=False, autoincrement=False),
        *_figures("lines", "units", "returned", "revenue_minor"),
        sa.PrimaryKeyConstraint("day", name="pk_sales_days"),
        **TABLE_KWARGS,
    )
    op.create_table(
        "product_sales_days",
        sa.Column("product_id", Id, nullable=False, autoincrement=False),
        sa.Column("day", sa.Date, nullable=False, autoincrement=False),
        *_figures("lines", "units", "revenue_minor", "orders"),
        sa.PrimaryKeyConstraint("product_id", "day", name="pk_product_sales_days"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_product_sales_days_product_id_products"
        ),
        **TABLE_KWARGS,
    )
    op.create_index("ix_product_sales_days_day", "product_sales_days", ["day"])
    op.create_table(
        "product_sales",
        sa.Column("product_id", Id, nullable=False, autoincrement=False),
        *_figures("lines", "units", "revenue_minor"),
        sa.PrimaryKeyConstraint("product_id", name="pk_product_sales"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_product_sales_product_id_products"
        ),
        **TABLE_KWARGS,
    )
    op.create_table(
        "customer_sales",
        sa.Column("customer_id", Id, nullable=False, autoincrement=False),
        *_figures("orders", "lines", "units", "revenue_minor"),
        sa.Column("first_purchase_at", _utc(), nullable=True),
        sa.Column("last_purchase_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customer_sales"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_customer_sales_customer_id_customers"
        ),
        **TABLE_KWARGS,
    )
    op.create_index("ix_customer_sales_revenue_minor", "customer_sales", ["revenue_minor"])
    _build(op.get_bind())


def downgrade() -> None:
    op.drop_table("customer_sales")
    op.drop_table("product_sales")
    op.drop_table("product_sales_days")
    op.drop_table("sales_days")


# Building the rollups from the stored purchases (a copy of crpm_core.services.rollups as of
# this revision: a migration never imports the live code).

purchases = sa.table(
    "purchases",
    sa.column("id", sa.BigInteger),
    sa.column("customer_id", sa.BigInteger),
    sa.column("product_id", sa.BigInteger),
    sa.column("order_id", sa.BigInteger),
    sa.column("quantity", sa.BigInteger),
    sa.column("returned_quantity", sa.BigInteger),
    sa.column("total_minor", sa.BigInteger),
    sa.column("purchased_at", _utc()),
    sa.column("cancelled_at", _utc()),
)


def _offset(tz: tzinfo, seconds: int) -> int:
    delta = (EPOCH + timedelta(seconds=seconds)).astimezone(tz).utcoffset()
    return 0 if delta is None else int(delta.total_seconds())


def _offsets(tz: tzinfo, lo: datetime, hi: datetime) -> tuple[int, list[tuple[datetime, int]]]:
    """The offset at ``lo`` and every change until ``hi`` (compared a week apart, then found
    to the second)."""
    first = int((lo - EPOCH).total_seconds() // 1)
    last = int((hi - EPOCH).total_seconds() // 1) + 1
    base = current = _offset(tz, first)
    changes: list[tuple[datetime, int]] = []
    at = first
    while at < last:
        ahead = min(at + 7 * 86400, last)
        if _offset(tz, ahead) == current:
            at = ahead
            continue
        before, after = at, ahead
        while after - before > 1:
            middle = (before + after) // 2
            if _offset(tz, middle) == current:
                before = middle
            else:
                after = middle
        current = _offset(tz, after)
        changes.append((EPOCH + timedelta(seconds=after), current))
        at = after
    return base, changes


def _local_day(bind: sa.Connection, tz: tzinfo, lo: datetime, hi: datetime) -> Any:
    """The shop's day of each purchase: its UTC time shifted by the offset of its stretch."""
    expr: Any = purchases.c.purchased_at
    base, changes = _offsets(tz, lo, hi)
    name = bind.dialect.name
    naive = [(at.replace(tzinfo=None), off) for at, off in changes]
    seconds: Any = sa.case(
        *[(expr >= sa.literal(at, _utc()), sa.literal(off)) for at, off in reversed(naive)],
        else_=sa.literal(base),
    )
    if not changes:
        seconds = sa.literal(base)
    if name == "postgresql":
        return sa.cast(expr + sa.func.make_interval(0, 0, 0, 0, 0, 0, seconds), sa.Date)
    if name in MYSQL:
        return sa.cast(sa.func.timestampadd(sa.literal_column("SECOND"), seconds, expr), sa.Date)
    return sa.func.date(expr, sa.func.printf("%+d seconds", seconds))


def _build(bind: sa.Connection) -> None:
    p = purchases.c
    live = p.cancelled_at.is_(None)
    lo, hi = bind.execute(
        sa.select(sa.func.min(p.purchased_at), sa.func.max(p.purchased_at)).where(live)
    ).one()
    if lo is None:
        return
    if isinstance(lo, str):  # SQLite's text
        lo, hi = datetime.fromisoformat(lo), datetime.fromisoformat(hi)
    name = bind.execute(sa.text("SELECT timezone FROM settings WHERE id = 1")).scalar()
    tz: tzinfo = UTC if name in (None, "UTC") else ZoneInfo(name)
    day = _local_day(bind, tz, lo.replace(tzinfo=UTC), hi.replace(tzinfo=UTC)).label("day")
    units = sa.func.sum(p.quantity - p.returned_quantity).label("units")
    revenue = sa.func.sum(p.total_minor).label("revenue_minor")
    lines = sa.func.count().label("lines")
    orders = sa.func.count(sa.func.distinct(p.order_id)).label("orders")
    copies = {
        "product_sales_days": sa.select(p.product_id, day, lines, units, revenue, orders)
        .where(live)
        .group_by(p.product_id, sa.literal_column("day")),
        "sales_days": sa.select(
            day, lines, units, sa.func.sum(p.returned_quantity).label("returned"), revenue
        )
        .where(live)
        .group_by(sa.literal_column("day")),
        "product_sales": sa.select(p.product_id, lines, units, revenue)
        .where(live)
        .group_by(p.product_id),
        "customer_sales": sa.select(
            p.customer_id,
            orders,
            lines,
            units,
            revenue,
            sa.func.min(p.purchased_at).label("first_purchase_at"),
            sa.func.max(p.purchased_at).label("last_purchase_at"),
        )
        .where(live)
        .group_by(p.customer_id),
    }
    for table, query in copies.items():
        columns = [c.name for c in query.selected_columns]
        target = sa.table(table, *[sa.column(c) for c in columns])
        bind.execute(sa.insert(target).from_select(columns, query))
