"""Large imports rebuild the purchase indexes instead of updating them row by row; the
schema ends up exactly as declared, and a failed import leaves it (and the data) untouched."""

from __future__ import annotations

import io
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect
from sqlalchemy.schema import CreateTable

from crpm_core import CRPM, transfer
from crpm_core.persistence import dialects
from crpm_core.persistence.tables import metadata, purchases
from crpm_core.transfer import _importing
from tests.helpers import snapshot


def _purchases_csv(n: int) -> io.StringIO:
    rows = [
        f"c{i % 7}@example.com,SKU-{i % 3},{1 + i % 4},2.50,2026-01-{1 + i % 28:02d}T00:00:00Z"
        for i in range(n)
    ]
    return io.StringIO(
        "customer_email,product_sku,quantity,unit_price,purchased_at\n" + "\n".join(rows) + "\n"
    )


def _indexes(crm: CRPM) -> list[Any]:
    with crm.db.engine.connect() as conn:
        return sorted(str(ix["name"]) for ix in inspect(conn).get_indexes("purchases"))


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialects.bulk, "BULK_LOAD_ROWS", 10)
    monkeypatch.setattr(_importing, "BATCH", 7)


def _shop(crm: CRPM) -> None:
    for i in range(7):
        crm.customers.add(name=f"Customer {i}", email=f"c{i}@example.com")
    for i in range(3):
        crm.products.add(name=f"Product {i}", price="2.50", stock=100, sku=f"SKU-{i}")


def test_a_large_import_keeps_the_declared_schema(
    crm: CRPM, backend: str, small_threshold: None
) -> None:
    _shop(crm)
    before = _indexes(crm)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(crm.db.engine, "before_cursor_execute", seen)
    try:
        result = transfer.import_purchases(crm, _purchases_csv(40))
    finally:
        event.remove(crm.db.engine, "before_cursor_execute", seen)
    assert result.rows == 40
    rebuilt = any(s.lstrip().upper().startswith("DROP INDEX") for s in statements)
    assert rebuilt == (backend in ("sqlite", "postgresql"))  # MariaDB commits DDL: no rebuild
    assert _indexes(crm) == before
    with crm.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert crm.reports.sales_summary().units_sold == sum(1 + i % 4 for i in range(40))
    # the declared tables are left as they were: a new database still gets its foreign keys
    ddl = str(CreateTable(purchases).compile(dialect=crm.db.engine.dialect))
    assert ddl.count("FOREIGN KEY") == 3  # customer, product, order


def test_a_failed_large_import_changes_nothing(
    crm: CRPM, small_threshold: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _shop(crm)
    before, indexes = snapshot(crm), _indexes(crm)
    calls = []
    original = _importing._Purchases.write

    def failing_write(self: Any, conn: Any, batch: list[dict[str, Any]]) -> None:
        calls.append(len(batch))
        if len(calls) == 3:
            raise RuntimeError("disk full")
        original(self, conn, batch)

    monkeypatch.setattr(_importing._Purchases, "write", failing_write)
    with pytest.raises(RuntimeError):
        transfer.import_purchases(crm, _purchases_csv(40))
    assert snapshot(crm) == before
    assert _indexes(crm) == indexes
