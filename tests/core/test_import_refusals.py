"""Imports under load and with bad rows far down a file: large imports at the same time both
succeed, and a bad row names its true line and column whatever the backend."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

import crpm_core
from crpm_core import CRPM, errors, transfer
from crpm_core.persistence import dialects
from crpm_core.transfer import RowError
from tests.helpers import snapshot


def _customers(prefix: str, n: int, bad_at: int | None = None) -> str:
    lines = ["name,email,phone"]
    for i in range(n):
        phone = "+1 555 0100"
        if bad_at is not None and len(lines) + 1 == bad_at:
            phone = "1" + " -" * 20 + "234567"  # 7 digits, 47 characters
        lines.append(f"Cust {prefix}{i},{prefix}{i}@example.com,{phone}")
    return "\n".join(lines) + "\n"


def test_two_large_imports_at_once_both_succeed(
    db_url: URL, crm: CRPM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both take the bulk path (indexes and keys dropped and rebuilt), which deadlocked on
    PostgreSQL when two ran at once; the bulk lock makes the second wait for the first."""
    monkeypatch.setattr(dialects.bulk, "BULK_LOAD_ROWS", 500)
    files = {p: _customers(p, 3_000) for p in ("a", "b")}
    outcomes: dict[str, object] = {}

    def run(prefix: str) -> None:
        with crpm_core.connect(db_url) as own:
            try:
                outcomes[prefix] = transfer.import_customers(own, io.StringIO(files[prefix])).rows
            except BaseException as exc:
                outcomes[prefix] = exc

    threads = [threading.Thread(target=run, args=(p,)) for p in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == {"a": 3_000, "b": 3_000}
    assert crm.customers.list().total == 6_000
    assert crm.customers.list(search="cust b2999").total == 1


def test_a_bad_phone_at_line_50000_names_its_line_and_column(crm: CRPM, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(_customers("c", 50_000, bad_at=50_000), encoding="utf-8")
    before = snapshot(crm)
    with pytest.raises(RowError) as refused:
        transfer.import_customers(crm, path)
    assert (refused.value.line, refused.value.column) == (50_000, "phone")
    assert "40 characters" in str(refused.value)
    assert snapshot(crm) == before


def test_a_database_refusal_while_writing_is_a_crpm_error(
    crm: CRPM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a driver says while rows are written (COPY on PostgreSQL, executemany
    elsewhere) reaches the caller as a CRPM error, never raw, and nothing is stored."""
    from crpm_core.services import customers as customer_rules

    real = customer_rules.new_row

    def broken(**fields: object) -> dict[str, object]:
        row = real(**fields)
        if str(fields["name"]).endswith("7"):
            row["name"] = None  # only the database's NOT NULL sees it
        return row

    monkeypatch.setattr(customer_rules, "new_row", broken)
    before = snapshot(crm)
    with pytest.raises(errors.CRPMError) as refused:
        transfer.import_customers(crm, io.StringIO(_customers("x", 10)))
    assert type(refused.value).__module__ == "crpm_core.errors"
    assert "nothing was imported" in str(refused.value)
    assert snapshot(crm) == before
