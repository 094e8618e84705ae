"""Backup and restore: a shop moves SQLite → PostgreSQL → MariaDB → SQLite and every public
read gives back the same data, ids included; damaged archives, archives from a newer CRPM and
non-empty targets are refused with the target untouched; an archive from an older schema is
upgraded on the way in."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, func, inspect, select
from sqlalchemy.engine import URL

import crpm_core
from crpm_core import CRPM, backup, errors
from crpm_core.persistence import migrate
from crpm_core.persistence.database import Database
from crpm_core.persistence.dialects import UTCDateTime, normalize_url
from crpm_core.persistence.tables import metadata
from tests.databases import selected_backends, temporary_database
from tests.helpers import ledger_sum, snapshot

AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
PASSWORD = "correct horse battery"


def fill_shop(crm: CRPM) -> dict[str, Any]:
    """A shop with every kind of data: customers (inactive, deleted, non-ASCII, no phone),
    products (no SKU, reorder points, inactive), multi-line orders at awkward times, returns,
    cancels of lines and orders, restocks and corrections, staff with hashes and tokens (one
    revoked), settings, and the audit trail all of this wrote."""
    people = [
        crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie", phone="+353 1 555 0101"),
        crm.customers.add(name="Łukasz Żółć", email="lukasz@example.pl", phone="(0)22 555-01-02"),
        crm.customers.add(name="東京 花子", email="hanako@example.jp"),
        crm.customers.add(name="Ana 'Nana' Núñez", email="ANA@Example.ES", phone="555 0104"),
        crm.customers.add(name="Gone Soon", email="gone@example.com"),
    ]
    crm.customers.deactivate(people[3].id)
    crm.customers.delete(people[4].id)  # the newest id: never handed out again
    goods = [
        crm.products.add(name="Green tea 100g", price="6.50", stock=40, sku="TEA-100"),
        crm.products.add(name="Чай чёрный", price="0.01", stock=500, reorder_point=50),
        crm.products.add(name="Crème brûlée kit", price="999999999.99", stock=3, sku="CB-1"),
        crm.products.add(name="Old mug ☕", price="4.00", stock=10, sku="MUG"),
    ]
    crm.products.restock(goods[0].id, 12, note="supplier: Ó Briain & Sons")
    crm.products.set_stock(goods[1].id, 480, note="counted; 20 broken")
    crm.products.update(goods[0].id, price="6.95")
    crm.products.deactivate(goods[3].id)
    moments = [
        datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC),  # midnight on a range boundary
        datetime(2024, 3, 31, 0, 59, 59, 999999, tzinfo=UTC),  # the hour Europe skips
        datetime(2024, 10, 27, 1, 30, 0, 123456, tzinfo=UTC),  # the hour Europe repeats
        datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    orders = [
        crm.orders.place(
            customer_id=people[0].id,
            lines=[(goods[0].id, 2), (goods[1].id, 30)],
            purchased_at=moments[0],
            note="gift — wrap it",
            ref="WEB-0001",
        ),
        crm.orders.place(
            customer_id=people[1].id,
            lines=[(goods[1].id, 5), (goods[2].id, 1), (goods[0].id, 1)],
            purchased_at=moments[1],
        ),
        crm.orders.place(
            customer_id=people[2].id, lines=[(goods[0].id, 3)], purchased_at=moments[2]
        ),
        crm.orders.place(
            customer_id=people[0].id, lines=[(goods[1].id, 7)], purchased_at=moments[3]
        ),
    ]
    crm.purchases.return_items(orders[0].lines[1].id, 10, note="damaged in post")
    crm.purchases.cancel(orders[1].lines[2].id)
    crm.orders.cancel(orders[2].id)
    crm.purchases.record(customer_id=people[1].id, product_id=goods[1].id, quantity=1)
    crm.settings.update(shop_name="Ó Briain's Tea & Café", currency="EUR", timezone="Europe/Dublin")
    owner = crm.users.add(username="ada", password=PASSWORD, role="owner")
    clerk = crm.users.add(username="bob.clerk", password=PASSWORD + "!", role="clerk")
    crm.users.deactivate(clerk.id)
    kept = crm.users.issue_token(owner.id, name="web shop")
    revoked = crm.users.issue_token(owner.id, name="old till")
    crm.users.revoke_token(revoked)
    with pytest.raises(errors.AuthenticationFailed):  # a failed login is counted and kept
        crm.users.authenticate("ada", "wrong password")
    return {"token": kept, "revoked": revoked, "deleted_customer": people[4].id}


def everything(crm: CRPM) -> dict[str, Any]:
    """Every public read of the shop, ids included."""
    customers = crm.customers.list(order_by="id", limit=1000).items
    products = crm.products.list(order_by="id", limit=1000).items
    span = {"start": datetime(2023, 1, 1, tzinfo=UTC), "end": AS_OF}
    return {
        "customers": customers,
        "products": products,
        "low_stock": crm.products.low_stock(),
        "orders": crm.orders.list(limit=1000).items,
        "purchases": crm.purchases.list(limit=1000).items,
        "history": {c.id: crm.purchases.history(c.id) for c in customers},
        "ledger": crm.reports.stock_movements(limit=1000).items,
        "ledger_sums": {p.id: ledger_sum(crm, p.id) for p in products},
        "audit": crm.audit.list(limit=1000).items,
        "users": crm.users.list(limit=1000).items,
        "settings": crm.settings.get(),
        "summary": crm.reports.sales_summary(),
        "summary_2024": crm.reports.sales_summary(**span),
        "top": crm.reports.top_customers(limit=100),
        "performance": crm.reports.product_performance(),
        "monthly": crm.reports.sales_over_time(bucket="month", **span),
        "rfm": crm.reports.rfm(as_of=AS_OF),
        "reorder": crm.reports.reorder_suggestions(as_of=AS_OF),
        "rows": snapshot(crm),
    }


def without_restore_row(view: dict[str, Any]) -> dict[str, Any]:
    """``view`` less the audit row the restore added (the newest), checked here."""
    newest = view["audit"][0]
    assert (newest.action, newest.entity, newest.actor) == ("restore", "settings", "system")
    assert newest.id == max(e.id for e in view["audit"])  # after the rows it brought back
    rows = dict(view["rows"])
    rows["audit_log"] = [r for r in rows["audit_log"] if r[0] != newest.id]
    return {**view, "audit": view["audit"][1:], "rows": rows}


def url_text(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def hops() -> list[str]:
    """SQLite → PostgreSQL → MariaDB → SQLite, less the servers this run leaves out."""
    chosen = selected_backends()
    return [b for b in ("sqlite", "postgresql", "mariadb") if b in chosen] + ["sqlite"]


def test_a_shop_moves_through_every_backend_and_back_unchanged(tmp_path: Path) -> None:
    with ExitStack() as stack:
        source_url = stack.enter_context(temporary_database("sqlite", tmp_path))
        with crpm_core.connect(source_url) as crm:
            facts = fill_shop(crm)
        for hop, backend in enumerate(hops()[1:], start=1):
            archive = tmp_path / f"hop{hop}.zip"
            with crpm_core.connect(source_url) as crm:
                before = everything(crm)
                made = backup.write(crm, archive)
                assert everything(crm) == before  # a backup changes nothing, adds no audit row
            assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600  # it holds password hashes
            assert made.schema_revision == migrate.head_revision()
            assert {t.name: t.rows for t in made.tables} == {
                name: len(rows) for name, rows in before["rows"].items()
            }
            target_url = stack.enter_context(temporary_database(backend, tmp_path))
            restored = backup.restore(archive, url_text(target_url))
            assert restored == made
            with crpm_core.connect(target_url) as crm:
                after = everything(crm)
                assert without_restore_row(after) == before
                _works_like_the_original(crm, before, facts)
            source_url = target_url


def _works_like_the_original(crm: CRPM, before: dict[str, Any], facts: dict[str, Any]) -> None:
    """Hashes, tokens and login failures came along, and new records get fresh ids on the
    restored database, past every id it holds (and past a deleted customer's)."""
    assert crm.users.authenticate("ada", PASSWORD).username == "ada"
    assert crm.users.authenticate_token(facts["token"]).username == "ada"
    with pytest.raises(errors.AuthenticationFailed):
        crm.users.authenticate_token(facts["revoked"])
    customer = crm.customers.add(name="Névé New", email=f"new{len(before['audit'])}@example.com")
    assert customer.id > facts["deleted_customer"]
    tea = before["products"][0]
    order = crm.orders.place(
        customer_id=customer.id, lines=[(tea.id, 1), (before["products"][1].id, 2)]
    )
    assert order.id > max(o.id for o in before["orders"])
    assert min(line.id for line in order.lines) > max(p.purchase_id for p in before["purchases"])
    assert (
        crm.products.get(tea.id).stock == before["products"][0].stock - 1 == ledger_sum(crm, tea.id)
    )
    moves = crm.reports.stock_movements(product_id=tea.id, limit=1).items
    assert moves[0].id > max(m.id for m in before["ledger"])
    crm.orders.cancel(order.id)
    assert crm.products.get(tea.id).stock == before["products"][0].stock


def test_a_backup_is_for_owners_only(crm: CRPM, tmp_path: Path) -> None:
    crm.users.add(username="mia", password=PASSWORD, role="manager")
    with pytest.raises(errors.PermissionDenied):
        backup.write(crm.as_user("mia"), tmp_path / "no.zip")
    assert not (tmp_path / "no.zip").exists()
    assert list(tmp_path.iterdir()) == []  # no half-written file either
    crm.users.add(username="olga", password=PASSWORD, role="owner")
    assert backup.write(crm.as_user("olga"), tmp_path / "yes.zip").rows > 0


def test_every_column_of_the_schema_has_a_kind_and_every_table_is_backed_up(
    crm: CRPM, tmp_path: Path
) -> None:
    made = backup.write(crm, tmp_path / "empty.zip")
    assert [t.name for t in made.tables] == [t.name for t in metadata.sorted_tables]
    for entry, table in zip(made.tables, metadata.sorted_tables, strict=True):
        assert entry.column_names == tuple(c.name for c in table.columns)
        assert entry.rows == 0
    with zipfile.ZipFile(tmp_path / "empty.zip") as archive:
        assert sorted(archive.namelist()) == sorted(
            ["manifest.json", *(f"{t.name}.jsonl" for t in metadata.sorted_tables)]
        )


# Refusals ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("archive")
    with temporary_database("sqlite", folder) as url, crpm_core.connect(url) as crm:
        fill_shop(crm)
        backup.write(crm, folder / "good.zip")
    return folder / "good.zip"


def _rezip(source: Path, target: Path, change: Any) -> Path:
    """Copy the archive, letting ``change(name, data)`` return new data (None: leave out)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            data = change(name, old.read(name))
            if data is not None:
                new.writestr(name, data)
    return target


def _manifest_edit(edit: Any) -> Any:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return change


def _table(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in manifest["tables"] if t["name"] == name)


def damaged(kind: str, good: Path, folder: Path) -> Path:
    bad = folder / f"{kind}.zip"
    data = good.read_bytes()
    if kind == "truncated":
        bad.write_bytes(data[: len(data) * 2 // 3])
    elif kind == "byte-changed":  # one byte in the middle of the compressed rows
        with zipfile.ZipFile(good) as archive:
            info = archive.getinfo("purchases.jsonl")
        head = info.header_offset
        name_length, extra_length = struct.unpack("<HH", data[head + 26 : head + 30])
        at = head + 30 + name_length + extra_length + info.compress_size // 2
        bad.write_bytes(data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :])
    elif kind == "row-altered":  # a valid zip whose rows no longer match their checksum
        _rezip(
            good,
            bad,
            lambda n, d: d.replace(b"Zo\xc3\xab", b"Zoe") if n == "customers.jsonl" else d,
        )
    elif kind == "file-missing":
        _rezip(good, bad, lambda n, d: None if n == "purchases.jsonl" else d)
    elif kind == "file-extra":
        _rezip(good, bad, lambda n, d: d)
        with zipfile.ZipFile(bad, "a") as archive:
            archive.writestr("evil.jsonl", "[1]\n")
    elif kind == "manifest-missing":
        _rezip(good, bad, lambda n, d: None if n == "manifest.json" else d)
    elif kind == "manifest-not-json":
        _rezip(good, bad, lambda n, d: d[:-20] if n == "manifest.json" else d)
    elif kind == "manifest-rows-wrong":
        _rezip(good, bad, _manifest_edit(lambda m: _table(m, "orders").update(rows=3)))
    elif kind == "manifest-table-missing":
        _rezip(
            good,
            bad,
            _manifest_edit(
                lambda m: m.update(tables=[t for t in m["tables"] if t["name"] != "users"])
            ),
        )
    elif kind == "manifest-column-wrong":
        edit = lambda m: _table(m, "products")["columns"][3].__setitem__(1, "text")  # noqa: E731
        _rezip(good, bad, _manifest_edit(edit))
    elif kind == "manifest-format-wrong":
        _rezip(good, bad, _manifest_edit(lambda m: m.update(format="zip-of-anything")))
    elif kind == "newer-revision":
        _rezip(good, bad, _manifest_edit(lambda m: m.update(schema_revision="9999")))
    elif kind == "newer-format":
        _rezip(good, bad, _manifest_edit(lambda m: m.update(format_version=2)))
    elif kind == "not-a-zip":
        bad.write_text("name,email\nZoë,zoe@example.ie\n", encoding="utf-8")
    else:
        raise ValueError(kind)
    return bad


DAMAGES = [
    "truncated",
    "byte-changed",
    "row-altered",
    "file-missing",
    "file-extra",
    "manifest-missing",
    "manifest-not-json",
    "manifest-rows-wrong",
    "manifest-table-missing",
    "manifest-column-wrong",
    "manifest-format-wrong",
    "newer-revision",
    "newer-format",
    "not-a-zip",
]


def _state(url: URL) -> tuple[list[str], dict[str, int]]:
    """The target's tables and their row counts, read without CRPM's help."""
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            names = sorted(inspect(conn).get_table_names())
            found = MetaData()
            found.reflect(conn)
            counts = {
                name: conn.execute(
                    select(func.count()).select_from(found.tables[name])
                ).scalar_one()
                for name in names
            }
        return names, counts
    finally:
        engine.dispose()


@pytest.fixture(params=["no tables", "empty schema"])
def empty_target(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[URL]:
    with temporary_database(backend, tmp_path) as url:
        if request.param == "empty schema":
            crpm_core.connect(url).close()
        yield url


@pytest.mark.parametrize("kind", DAMAGES)
def test_a_damaged_archive_is_refused_and_the_target_left_as_it_was(
    kind: str, good_archive: Path, empty_target: URL, tmp_path: Path
) -> None:
    bad = damaged(kind, good_archive, tmp_path)
    before = _state(empty_target)
    with pytest.raises(backup.RestoreRefused) as refused:
        backup.restore(bad, url_text(empty_target))
    message = str(refused.value)
    assert "\n" not in message and "Traceback" not in message
    if kind == "newer-revision":
        assert "newer CRPM" in message and "9999" in message
    elif kind == "newer-format":
        assert "format version 2" in message
    else:
        assert "damaged" in message or "manifest" in message or "not a readable" in message
    assert _state(empty_target) == before
    with pytest.raises(backup.RestoreRefused):
        backup.check(bad)


def test_checking_a_good_archive_reads_it_whole(good_archive: Path) -> None:
    made = backup.check(good_archive)
    assert made.rows == sum(t.rows for t in made.tables) > 50
    assert made.source_backend == "sqlite"


def _resealed(good: Path, bad: Path, table: str, keep: Any) -> Path:
    """A copy whose ``table`` keeps only the lines ``keep(line)`` accepts, with a manifest
    that matches it again (its rows and checksum): sound as a file, wrong as a shop."""
    with zipfile.ZipFile(good) as old:
        rows = [line for line in old.read(f"{table}.jsonl").splitlines(True) if keep(line)]
    data = b"".join(rows)

    def edit(manifest: dict[str, Any]) -> None:
        _table(manifest, table).update(rows=len(rows), sha256=hashlib.sha256(data).hexdigest())

    fix = _manifest_edit(edit)
    return _rezip(good, bad, lambda n, d: data if n == f"{table}.jsonl" else fix(n, d))


def test_rows_that_break_the_schema_roll_the_whole_restore_back(
    good_archive: Path, empty_target: URL, tmp_path: Path
) -> None:
    """Lines that pass their checksums but name an order that is not there: the database
    refuses them, and the tables and rows written before are gone again."""
    bad = _resealed(
        good_archive, tmp_path / "orphans.zip", "orders", lambda line: b"WEB-0001" not in line
    )
    backup.check(bad)  # sound as a file
    before = _state(empty_target)
    with pytest.raises(backup.RestoreRefused, match="do not fit the schema") as refused:
        backup.restore(bad, url_text(empty_target))
    assert "\n" not in str(refused.value)
    assert _state(empty_target) == before


@pytest.mark.parametrize("used", ["a customer", "a settings row", "a foreign table"])
def test_a_target_that_is_not_empty_is_refused_untouched(
    used: str, backend: str, good_archive: Path, tmp_path: Path
) -> None:
    with temporary_database(backend, tmp_path) as url:
        if used == "a foreign table":
            engine = create_engine(normalize_url(url))
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
            engine.dispose()
        else:
            with crpm_core.connect(url) as crm:
                if used == "a customer":
                    crm.customers.add(name="Already here", email="here@example.com")
                else:
                    crm.settings.update(shop_name="Somebody else's shop")
        before = _state(url)
        with pytest.raises(backup.RestoreRefused, match="empty database"):
            backup.restore(good_archive, url_text(url))
        assert _state(url) == before


# An archive from an older schema ----------------------------------------------------------


def _old_archive(folder: Path, revision: str) -> tuple[Path, dict[str, Any]]:
    """An archive as an older CRPM wrote it: a shop at ``revision`` (today's shop, its
    schema stepped back), written with the tables that revision has."""
    with temporary_database("sqlite", folder) as url:
        with crpm_core.connect(url) as crm:
            fill_shop(crm)
            kept = {name: rows for name, rows in snapshot(crm).items()}
        db = Database(url)
        migrate.downgrade(db, revision)
        found = MetaData()
        with db.engine.connect() as conn:
            found.reflect(conn)
        old_tables = [t for t in found.sorted_tables if t.name != "alembic_version"]
        for table in old_tables:
            for column in table.columns:
                if column.type.__class__.__name__ == "DATETIME":
                    column.type = UTCDateTime()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("crpm_core.backup._snapshot.tables", lambda: old_tables)
            patch.setattr("crpm_core.persistence.migrate.head_revision", lambda: revision)
            crm = crpm_core.api.CRPM(db)
            archive = folder / f"at-{revision}.zip"
            backup.write(crm, archive)
        db.dispose()
    return archive, kept


def test_an_archive_from_an_older_schema_is_upgraded_on_the_way_in(
    empty_target: URL, tmp_path: Path
) -> None:
    archive, kept = _old_archive(tmp_path, "0004")
    made = backup.check(archive)
    assert made.schema_revision == "0004"
    assert "users" not in {t.name for t in made.tables}  # staff came with 0005
    backup.restore(archive, url_text(empty_target))
    with crpm_core.connect(empty_target) as crm:
        assert migrate.current_revision(crm.db) == migrate.head_revision()
        rows = snapshot(crm)
        for name in ("customers", "products", "orders", "purchases", "stock_movements", "settings"):
            assert rows[name] == kept[name], name
        assert rows["users"] == [] and rows["api_tokens"] == []
        assert [e.action for e in crm.audit.list().items] == ["restore"]
        products = crm.products.list(order_by="id").items
        assert all(p.stock == ledger_sum(crm, p.id) for p in products)
        sold = crm.purchases.record(customer_id=1, product_id=products[0].id, quantity=1)
        assert sold.id > max(r[0] for r in kept["purchases"])
        assert crm.customers.add(name="New", email="n@example.com").id == 6  # 5 was deleted


# SQLite's own copy ------------------------------------------------------------------------


def test_a_sqlite_copy_opens_as_the_same_shop(tmp_path: Path) -> None:
    with temporary_database("sqlite", tmp_path) as url, crpm_core.connect(url) as crm:
        fill_shop(crm)
        before = snapshot(crm)
        backup.sqlite_copy(crm, tmp_path / "copy.db")
        assert snapshot(crm) == before
    assert stat.S_IMODE(os.stat(tmp_path / "copy.db").st_mode) == 0o600
    with crpm_core.connect(f"sqlite:///{tmp_path / 'copy.db'}") as copy:
        assert snapshot(copy) == before


def test_a_sqlite_copy_of_another_backend_is_refused(crm: CRPM, tmp_path: Path) -> None:
    if crm.db.dialect_name == "sqlite":
        backup.sqlite_copy(crm, tmp_path / "fine.db")
        assert (tmp_path / "fine.db").exists()
        return
    with pytest.raises(errors.ValidationError, match="SQLite"):
        backup.sqlite_copy(crm, tmp_path / "no.db")
    assert not (tmp_path / "no.db").exists()


def test_times_and_texts_round_trip_exactly(tmp_path: Path, backend: str) -> None:
    """The archive's values are exact: microseconds, the first and last days CRPM takes,
    NULLs, quotes, backslashes, tabs and characters outside the Basic Multilingual Plane."""
    far = datetime(9999, 12, 29, 23, 59, 59, 999999, tzinfo=UTC)
    early = datetime(1, 1, 2, 0, 0, 0, 1, tzinfo=UTC)
    with temporary_database("sqlite", tmp_path) as source, crpm_core.connect(source) as crm:
        c = crm.customers.add(name='𝔘𝔫𝔦𝔠𝔬𝔡𝔢 "quotes" \\ back', email="u@example.com")
        p = crm.products.add(name="Tab\there", price="0.00", stock=2)
        crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1, purchased_at=far)
        crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1, purchased_at=early)
        before = snapshot(crm)
        backup.write(crm, tmp_path / "exact.zip")
    with temporary_database(backend, tmp_path) as target:
        backup.restore(tmp_path / "exact.zip", url_text(target))
        with crpm_core.connect(target) as crm:
            after = snapshot(crm)
            after["audit_log"] = after["audit_log"][:-1]
            assert after == before
            times = sorted(line.purchased_at for line in crm.purchases.list().items)
            assert times == [early, far]
            assert crm.customers.get(c.id).phone is None


def test_any_changed_byte_of_the_compressed_rows_is_refused_plainly(
    good_archive: Path, tmp_path: Path
) -> None:
    """A changed byte anywhere in a deflated member is refused as a damaged archive: some
    positions make zlib itself fail (``zlib.error``, neither OSError nor ValueError), which
    must not reach the caller raw."""
    data = good_archive.read_bytes()
    with zipfile.ZipFile(good_archive) as archive:
        info = archive.getinfo("purchases.jsonl")
    head = info.header_offset
    name_length, extra_length = struct.unpack("<HH", data[head + 26 : head + 30])
    start = head + 30 + name_length + extra_length
    with zipfile.ZipFile(good_archive) as archive:
        original = archive.read("purchases.jsonl")
    bad = tmp_path / "bad.zip"
    for at in range(start, start + info.compress_size):
        for flip in (0x01, 0x80):
            bad.write_bytes(data[:at] + bytes([data[at] ^ flip]) + data[at + 1 :])
            try:
                backup.check(bad)
            except backup.RestoreRefused:
                continue
            # Accepted: only where the flip hit the stream's unused padding bits, so the rows
            # read back are exactly the original ones.
            with zipfile.ZipFile(bad) as archive:
                assert archive.read("purchases.jsonl") == original
