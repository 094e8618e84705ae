"""Rollups: sales per shop-local day, per product per day, per product and per customer,
built from the stored sales; an index for the restocks of a range.

A frozen copy of the rebuild (crpm_core.services.rollups keeps the live one): a day is the
local date of ``purchased_at`` in the settings' time zone, found by adding the zone's UTC
offset of the time's interval (a CASE over the zone's transitions) and taking the date.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import UserDefinedType

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


class _Blob(UserDefinedType[Any]):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "BLOB"


def _money() -> Any:
    return sa.Numeric(38, 0).with_variant(_Blob(), "sqlite")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=False).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _figures() -> list[sa.Column[Any]]:
    return [
        sa.Column("lines", sa.BigInteger, nullable=False),
        sa.Column("units", sa.BigInteger, nullable=False),
        sa.Column("returned", sa.BigInteger, nullable=False),
        sa.Column("revenue_minor", _money(), nullable=False),
    ]


def upgrade() -> None:
    op.create_index("ix_stock_movements_kind_at", "stock_movements", ["kind", "at"])
    op.create_table(
        "sales_days",
        sa.Column("day", sa.Date, nullable=False),
        *_figures(),
        sa.Column("orders", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_sales_days"),
        **TABLE_KWARGS,
    )
    op.create_table(
        "product_sales_days",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("product_id", Id, nullable=False),
        *_figures(),
        sa.PrimaryKeyConstraint("day", "product_id", name="pk_product_sales_days"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_product_sales_days_product_id_products"
        ),
        **TABLE_KWARGS,
    )
    op.create_index(
        "ix_product_sales_days_product_id_day", "product_sales_days", ["product_id", "day"]
    )
    op.create_table(
        "product_sales",
        sa.Column("product_id", Id, nullable=False, autoincrement=False),
        *_figures(),
        sa.PrimaryKeyConstraint("product_id", name="pk_product_sales"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_product_sales_product_id_products"
        ),
        **TABLE_KWARGS,
    )
    op.create_table(
        "customer_sales",
        sa.Column("customer_id", Id, nullable=False, autoincrement=False),
        *_figures(),
        sa.Column("orders", sa.BigInteger, nullable=False),
        sa.Column("kept_orders", sa.BigInteger, nullable=False),
        sa.Column("first_at", _utc(), nullable=True),
        sa.Column("last_at", _utc(), nullable=True),
        sa.Column("last_kept_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customer_sales"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_customer_sales_customer_id_customers"
        ),
        **TABLE_KWARGS,
    )
    op.create_index("ix_customer_sales_revenue_minor", "customer_sales", ["revenue_minor"])
    _rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("customer_sales")
    op.drop_table("product_sales")
    op.drop_table("product_sales_days")
    op.drop_table("sales_days")
    op.drop_index("ix_stock_movements_kind_at", table_name="stock_movements")


# The rebuild, as of this revision ---------------------------------------------------------

purchases = sa.table(
    "purchases",
    sa.column("customer_id"),
    sa.column("product_id"),
    sa.column("order_id"),
    sa.column("quantity"),
    sa.column("returned_quantity"),
    sa.column("total_minor"),
    sa.column("purchased_at"),
    sa.column("cancelled_at"),
)
P = purchases.c


def _rebuild(conn: sa.Connection) -> None:
    dialect = conn.dialect.name
    zone_name = conn.execute(sa.text("SELECT timezone FROM settings WHERE id = 1")).scalar()
    tz = ZoneInfo(zone_name or "UTC")
    live = P.cancelled_at.is_(None)
    kept = P.quantity > P.returned_quantity
    money: Any = (
        (lambda e: sa.func.crpm_sum(e))
        if dialect == "sqlite"
        else (lambda e: sa.func.sum(sa.cast(e, sa.Numeric(38, 0))))
    )
    sums = [
        sa.func.count().label("lines"),
        sa.func.sum(P.quantity - P.returned_quantity).label("units"),
        sa.func.sum(P.returned_quantity).label("returned"),
        money(P.total_minor).label("revenue_minor"),
    ]
    day = _local_date(conn, tz).label("day")
    queries = {
        "sales_days": sa.select(
            day, *sums, sa.func.count(sa.func.distinct(P.order_id)).label("orders")
        )
        .where(live)
        .group_by(sa.literal_column("day")),
        "product_sales_days": sa.select(day, P.product_id.label("product_id"), *sums)
        .where(live)
        .group_by(sa.literal_column("day"), P.product_id),
        "product_sales": sa.select(P.product_id.label("product_id"), *sums)
        .where(live)
        .group_by(P.product_id),
        "customer_sales": sa.select(
            P.customer_id.label("customer_id"),
            *sums,
            sa.func.count(sa.func.distinct(P.order_id)).label("orders"),
            sa.func.count(sa.func.distinct(sa.case((kept, P.order_id)))).label("kept_orders"),
            sa.func.min(P.purchased_at).label("first_at"),
            sa.func.max(P.purchased_at).label("last_at"),
            sa.func.max(sa.case((kept, P.purchased_at))).label("last_kept_at"),
        )
        .where(live)
        .group_by(P.customer_id),
    }
    for name, query in queries.items():
        sub = query.subquery()
        target = sa.table(name, *(sa.column(c.name) for c in sub.c))
        conn.execute(sa.insert(target).from_select([c.name for c in sub.c], sa.select(*sub.c)))


def _local_date(conn: sa.Connection, tz: ZoneInfo) -> Any:
    dialect = conn.dialect.name
    lo, hi = conn.execute(sa.select(sa.func.min(P.purchased_at), sa.func.max(P.purchased_at))).one()
    offsets = [(None, 0)] if lo is None else _transitions(tz, _aware(lo), _aware(hi))
    if len(offsets) == 1:
        seconds: Any = sa.literal_column(str(offsets[0][1]))
    else:
        whens: list[Any] = [
            (
                P.purchased_at < sa.literal(at.replace(tzinfo=None), sa.DateTime()),
                sa.literal_column(str(prev)),
            )
            for (at, _), (_, prev) in zip(offsets[1:], offsets[:-1], strict=True)
        ]
        seconds = sa.case(*whens, else_=sa.literal_column(str(offsets[-1][1])))
    if dialect == "postgresql":
        return sa.cast(
            P.purchased_at + sa.func.make_interval(0, 0, 0, 0, 0, 0, seconds), postgresql.DATE
        )
    if dialect in ("mysql", "mariadb"):
        return sa.func.date(
            sa.func.timestampadd(sa.literal_column("SECOND"), seconds, P.purchased_at)
        )
    return sa.func.date(
        sa.func.substr(P.purchased_at, 1, 19), sa.func.printf("%+d seconds", seconds)
    )


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


def _transitions(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[Any, int]]:
    def offset(at: datetime) -> int:
        delta = at.astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    start = start.replace(microsecond=0)
    result: list[tuple[Any, int]] = [(start, offset(start))]
    lo = start
    while lo < end:
        try:
            hi = min(lo + timedelta(days=7), end)
        except OverflowError:
            hi = end
        while offset(hi) != result[-1][1]:
            a, b = max(lo, result[-1][0]), hi
            while b - a > timedelta(seconds=1):
                mid = (a + (b - a) / 2).replace(microsecond=0)
                if offset(mid) == result[-1][1]:
                    a = mid
                else:
                    b = mid
            result.append((b, offset(b)))
        lo = hi
    return result
