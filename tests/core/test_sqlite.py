"""SQLite done properly: a file by default, WAL, foreign keys, a busy timeout."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

import crpm_core
from crpm_core import errors


def test_default_is_crpm_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRPM_DATABASE_URL", raising=False)
    with crpm_core.connect() as crm:
        crm.customers.add(name="Saved", email="saved@example.com")
    assert (tmp_path / "crpm.db").exists()


def test_environment_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRPM_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    with crpm_core.connect() as crm:
        assert crm.url.database == str(tmp_path / "elsewhere.db")
    assert (tmp_path / "elsewhere.db").exists() and not (tmp_path / "crpm.db").exists()


def test_pragmas(tmp_path: Path) -> None:
    crm = crpm_core.connect(f"sqlite:///{tmp_path / 'p.db'}")
    with crm, crm.db.transaction(write=False) as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    from sqlalchemy.exc import IntegrityError

    from crpm_core.persistence.tables import stock_movements

    crm = crpm_core.connect(f"sqlite:///{tmp_path / 'fk.db'}")
    with crm, pytest.raises(errors.Conflict) as refused, crm.db.transaction() as conn:
        conn.execute(
            stock_movements.insert().values(
                product_id=999, kind="initial", change=1, stock_after=1, at=datetime.now(UTC)
            )
        )
    # the driver's error is kept as the cause, never shown to the caller as it is
    assert isinstance(refused.value.__cause__, IntegrityError)


def test_in_memory_handle_is_shared_safely_by_threads() -> None:
    with crpm_core.connect("sqlite://") as crm:
        c = crm.customers.add(name="T", email="t@example.com")
        p = crm.products.add(name="Bolt", price="0.05", stock=200)
        failures: list[BaseException] = []

        def buy() -> None:
            try:
                for _ in range(25):
                    crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1)
            except BaseException as exc:  # pragma: no cover - reported below
                failures.append(exc)

        threads = [threading.Thread(target=buy) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        assert crm.products.get(p.id).stock == 0
        with pytest.raises(errors.InsufficientStock):
            crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1)
