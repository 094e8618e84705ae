"""The Alembic migrations produce exactly the schema the code declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import crpm_core
from crpm_core.persistence import migrate
from crpm_core.persistence.database import Database
from crpm_core.persistence.tables import metadata
from tests.databases import temporary_database


def _schema(url: Any) -> dict[str, Any]:
    """Tables, columns, keys and indexes as the database reports them."""
    engine = create_engine(crpm_core.persistence.dialects.normalize_url(url))
    try:
        insp = inspect(engine)
        schema: dict[str, Any] = {}
        for table in sorted(t for t in insp.get_table_names() if t != "alembic_version"):
            schema[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)
                ],
                "pk": insp.get_pk_constraint(table)["constrained_columns"],
                "fks": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in insp.get_foreign_keys(table)
                ),
                "indexes": sorted(
                    (tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(table)
                ),
                "unique": sorted(
                    tuple(u["column_names"]) for u in insp.get_unique_constraints(table)
                ),
                "checks": sorted(str(c["name"]) for c in insp.get_check_constraints(table)),
            }
        return schema
    finally:
        engine.dispose()


def test_migrated_database_matches_the_declared_tables(backend: str, tmp_path: Path) -> None:
    with (
        temporary_database(backend, tmp_path) as migrated_url,
        temporary_database(backend, tmp_path) as created_url,
    ):
        crpm_core.connect(migrated_url).close()
        created = Database(created_url)
        metadata.create_all(created.engine)
        created.dispose()
        assert _schema(migrated_url) == _schema(created_url)

        db = Database(migrated_url)
        try:
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), metadata)
            assert diff == []
            assert migrate.current_revision(db) == migrate.head_revision()
        finally:
            db.dispose()


def test_connect_is_idempotent_and_keeps_data(backend: str, tmp_path: Path) -> None:
    with temporary_database(backend, tmp_path) as url:
        with crpm_core.connect(url) as crm:
            crm.customers.add(name="Keep me", email="keep@example.com")
        with crpm_core.connect(url) as crm:
            assert crm.customers.list().total == 1


def test_downgrade_and_upgrade_round_trip(backend: str, tmp_path: Path) -> None:
    with temporary_database(backend, tmp_path) as url:
        db = Database(url)
        try:
            migrate.upgrade(db)
            migrate.downgrade(db, "base")
            assert _schema(url) == {}
            migrate.upgrade(db)
            assert set(_schema(url)) == {t.name for t in metadata.sorted_tables}
        finally:
            db.dispose()


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_every_revision_upgrades_to_the_fresh_schema_and_keeps_its_data(
    backend: str, tmp_path: Path
) -> None:
    """A database built at each older revision, with rows in it, upgrades to exactly the
    schema of a fresh one; its customers and products are found by the new search keys."""

    revisions = _revisions()
    assert revisions[-1] == migrate.head_revision()
    with temporary_database(backend, tmp_path) as fresh_url:
        crpm_core.connect(fresh_url).close()
        fresh = _schema(fresh_url)
        for old in revisions[:-1]:
            with temporary_database(backend, tmp_path) as url:
                db = Database(url)
                try:
                    migrate.upgrade(db, old)
                    with db.transaction() as conn:
                        _insert_as_of(conn)
                finally:
                    db.dispose()
                with crpm_core.connect(url) as crm:
                    assert crm.customers.list(search="σισυφος oz").total == 1
                    assert crm.customers.list(search="15550100").total == 1
                    assert crm.products.list(search="the vert").total == 1
                    assert crm.products.get(1).reorder_point is None
                    assert crm.settings.get().currency == "EUR"
                assert _schema(url) == fresh, f"upgraded from {old}"


def test_migrations_import_no_live_code() -> None:
    """A migration runs against the code of its own day: it imports only Alembic, SQLAlchemy
    and the standard library, never crpm_core (whose tables and rules change later)."""
    import ast

    versions = Path(migrate.MIGRATIONS) / "versions"
    for path in sorted(versions.glob("0*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("crpm_core"), (path.name, node.module)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("crpm_core"), (path.name, alias.name)


def _insert_as_of(conn: Any) -> None:
    """A customer and a product as the code of the database's revision would write them."""
    from sqlalchemy import inspect, text

    from crpm_core.domain import search

    keyed = "search_key" in {c["name"] for c in inspect(conn).get_columns("customers")}
    at = {"t": True, "at": "2026-01-01 00:00:00"}
    customer = {
        "name": "ΣΊΣΥΦΟΣ Öz",
        "email": "Sis@Example.com",
        "email_key": "sis@example.com",
        "phone": "+1 555 0100",
    }
    product = {"sku": "TÉ-1", "name": "Thé vert", "price_minor": 650, "stock": 3}
    if keyed:
        customer["search_key"] = search.key(
            customer["name"], customer["email"], phone=customer["phone"]
        )
        product["search_key"] = search.key(str(product["name"]), str(product["sku"]))
    for table, row in (("customers", customer), ("products", product)):
        names = ", ".join([*row, "active", "created_at"])
        values = ", ".join([*(f":{k}" for k in row), ":t", ":at"])
        conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({values})"), {**row, **at})


def test_the_month_rollups_are_built_from_the_day_rollups_of_a_shop_with_sales(
    backend: str, tmp_path: Path
) -> None:
    """A shop with sales in several Tokyo months (one a return, one cancelled) taken back to
    revision 0007, which has no month rollups, and up again: the migration fills them from
    the day rollups, and ``crpm check`` finds them equal to the raw rows."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from crpm_core.persistence.tables import product_sales_months

    with temporary_database(backend, tmp_path) as url:
        with crpm_core.connect(url) as crm:
            crm.settings.update(timezone="Asia/Tokyo")
            cid = crm.customers.add(name="Ōno Hana", email="hana@example.jp").id
            pid = crm.products.add(name="Matcha", price="12.00", stock=100).id
            at = datetime(2026, 1, 31, 15, 30, tzinfo=UTC)  # 1 February in Tokyo
            lines = [
                crm.purchases.record(
                    customer_id=cid,
                    product_id=pid,
                    quantity=n + 1,
                    purchased_at=at + timedelta(days=31 * n),
                )
                for n in range(6)
            ]
            crm.purchases.return_items(lines[0].id, 1)
            crm.purchases.cancel(lines[1].id)
            assert crm.check() == []
        db = Database(url)
        try:
            migrate.downgrade(db, "0007")
            assert "product_sales_months" not in _schema(url)
            migrate.upgrade(db)
            with db.transaction() as conn:
                live = select(func.count()).where(product_sales_months.c.lines > 0)
                # February to July in Tokyo, less March (its one sale was cancelled)
                assert conn.execute(live).scalar() == 5
        finally:
            db.dispose()
        with crpm_core.connect(url) as crm:
            assert crm.check() == []
