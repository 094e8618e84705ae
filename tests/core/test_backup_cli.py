"""`crpm backup` and `crpm restore`: moving a shop in two commands, and one clear line with
exit status 1 for everything refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

import crpm_core
from crpm_core import CRPM
from crpm_core.persistence import migrate
from crpm_core.persistence.tables import metadata
from tests.core.test_backup import damaged, fill_shop
from tests.core.test_cli import crpm
from tests.databases import temporary_database
from tests.helpers import snapshot

HEAD = migrate.head_revision()
TABLES = len(metadata.sorted_tables)


@pytest.fixture
def url(db_url: URL) -> str:
    return db_url.render_as_string(hide_password=False)


def test_a_shop_moves_in_two_commands(
    crm: CRPM, backend: str, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_shop(crm)
    before = snapshot(crm)
    archive = tmp_path / "shop.zip"
    code, out, err = crpm(capsys, "backup", str(archive), "--db", url)
    assert (code, err) == (0, "")
    rows = sum(len(r) for r in before.values())
    assert (
        out == f"wrote a backup of {rows:,} rows in {TABLES} tables (schema {HEAD}) to {archive}\n"
    )
    assert snapshot(crm) == before  # no audit row for a backup

    code, out, _ = crpm(capsys, "restore", "--check", str(archive))
    assert code == 0 and out.startswith(
        f"{archive} is a sound backup: {rows:,} rows in {TABLES} tables"
    )
    assert f"from {backend if backend != 'mariadb' else 'mysql'}" in out

    with temporary_database("sqlite", tmp_path) as target:
        where = target.render_as_string(hide_password=False)
        code, out, err = crpm(capsys, "--db", where, "restore", str(archive))
        assert (code, err) == (0, "")
        assert out.startswith(f"restored {rows:,} rows in {TABLES} tables (schema {HEAD}, taken ")
        assert out.endswith(f" UTC) into {where}\n")
        with crpm_core.connect(target) as moved:
            after = snapshot(moved)
            restore_row = moved.audit.list(limit=1).items[0]
        assert restore_row.action == "restore" and restore_row.actor.startswith("cli:")
        after["audit_log"] = after["audit_log"][:-1]
        assert after == before

        # The same archive again: the target is no longer empty.
        code, out, err = crpm(capsys, "restore", str(archive), "--db", where)
        assert (code, out) == (1, "")
        assert err == (
            "crpm: error: the target database is not empty (its api_tokens table has rows): "
            "restore into an empty database; nothing was restored\n"
        )


@pytest.mark.parametrize("kind", ["truncated", "row-altered", "file-missing", "newer-revision"])
def test_a_damaged_archive_is_one_line_and_exit_1(
    kind: str, crm: CRPM, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_shop(crm)
    good = tmp_path / "good.zip"
    assert crpm(capsys, "backup", str(good), "--db", url)[0] == 0
    bad = damaged(kind, good, tmp_path)
    with temporary_database("sqlite", tmp_path) as target:
        where = target.render_as_string(hide_password=False)
        code, out, err = crpm(capsys, "restore", str(bad), "--db", where)
        assert (code, out) == (1, "")
        assert err.startswith("crpm: error: ") and err.count("\n") == 1
        assert "nothing was restored" in err or "newer CRPM" in err
        assert crpm(capsys, "restore", "--check", str(bad))[0] == 1
        assert not Path(str(target.database)).exists()  # refused before the target was opened


def test_missing_files_and_folders_are_named(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.zip"
    assert crpm(capsys, "restore", str(missing), "--db", url) == (
        1,
        "",
        f"crpm: error: {missing}: no such file\n",
    )
    folder = tmp_path / "no-such-folder"
    assert crpm(capsys, "backup", str(folder / "shop.zip"), "--db", url) == (
        1,
        "",
        f"crpm: error: {folder}: no such file\n",
    )


def test_sqlite_copy(
    crm: CRPM, backend: str, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    copy = tmp_path / "copy.db"
    code, out, err = crpm(capsys, "backup", "--sqlite-copy", str(copy), "--db", url)
    if backend != "sqlite":
        assert (code, out) == (1, "")
        assert err == "crpm: error: db: --sqlite-copy copies a SQLite database; this one is not\n"
        assert not copy.exists()
        return
    assert (code, out, err) == (0, f"copied the SQLite database to {copy}\n", "")
    with sqlite3.connect(copy) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert raw.execute("SELECT name FROM customers").fetchall() == [("Zoë O'Brien",)]


def test_help_shows_moving_a_shop(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = crpm(capsys, "backup", "--help")
    assert code == 0
    assert "crpm backup shop.zip --db sqlite:///crpm.db" in out
    assert "crpm restore shop.zip --db postgresql://" in out
    code, out, _ = crpm(capsys, "restore", "--help")
    assert code == 0 and "--check" in out and "empty" in out
