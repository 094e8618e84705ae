"""Shop settings, reorder points, folded search keys, order references, the ledger's actor.

- ``settings``: one row (created on first update; defaults until then).
- ``products.reorder_point``: a product's own low-stock point (NULL: the shop's default).
- ``customers.search_key``, ``products.search_key``: the searchable fields folded (no case,
  no accents), so a search finds the same rows on every backend; filled here for the rows
  that exist, with a frozen copy of the folding rule.
- ``stock_movements.actor``: who moved the stock (earlier rows: ``system``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLE_KWARGS: dict[str, Any] = {"mysql_charset": "utf8mb4", "mariadb_charset": "utf8mb4"}
BATCH = 2_000


def _exact_text() -> sa.Text:
    return sa.Text().with_variant(
        mysql.TEXT(charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


# The folding rule of this revision (crpm_core.domain.search, frozen).
def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", bare.casefold())


def _key(*fields: str | None, phone: str | None = None) -> str:
    parts = [_fold(f) for f in fields if f]
    if phone:
        parts.append(_fold(phone))
    digits = "".join(ch for ch in phone or "" if "0" <= ch <= "9")
    return "\x1f".join(parts) + "\x1e" + digits


def _fill(table: str, columns: list[str], make: object) -> None:
    conn = op.get_bind()
    t = sa.table(table, sa.column("id"), sa.column("search_key"), *map(sa.column, columns))
    last = 0
    while True:
        rows = conn.execute(
            sa.select(t.c.id, *(t.c[c] for c in columns))
            .where(t.c.id > last)
            .order_by(t.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        conn.execute(
            sa.update(t).where(t.c.id == sa.bindparam("rid")).values(search_key=sa.bindparam("k")),
            [{"rid": r[0], "k": make(*r[1:])} for r in rows],  # type: ignore[operator]
        )
        last = rows[-1][0]


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("shop_name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("low_stock_default", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_settings"),
        sa.CheckConstraint("id = 1", name=op.f("ck_settings_single_row")),
        **TABLE_KWARGS,
    )
    op.add_column(
        "customers",
        sa.Column("search_key", _exact_text(), nullable=False, server_default=sa.text("''")),
    )
    op.add_column("products", sa.Column("reorder_point", sa.Integer, nullable=True))
    op.add_column(
        "products",
        sa.Column("search_key", _exact_text(), nullable=False, server_default=sa.text("''")),
    )
    op.add_column(
        "stock_movements",
        sa.Column("actor", sa.String(100), nullable=False, server_default=sa.text("'system'")),
    )
    _fill("customers", ["name", "email", "phone"], lambda n, e, p: _key(n, e, phone=p))
    _fill("products", ["name", "sku"], lambda n, s: _key(n, s))


def downgrade() -> None:
    with op.batch_alter_table("stock_movements") as batch:
        batch.drop_column("actor")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("search_key")
        batch.drop_column("reorder_point")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("search_key")
    op.drop_table("settings")
