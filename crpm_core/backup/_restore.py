"""Restoring a backup into an empty database of any backend: everything is checked before
anything is written, then the rows are loaded in one transaction, ids kept."""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    Float,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Text,
    inspect,
    literal,
    select,
    table,
    text,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.types import TypeEngine

from crpm_core.backup._format import (
    Manifest,
    RestoreRefused,
    TableEntry,
    kind_of,
    lines,
    open_archive,
    read_manifest,
    rows_decoder,
    verify,
)
from crpm_core.errors import Conflict
from crpm_core.persistence import dialects, migrate
from crpm_core.persistence.database import Database
from crpm_core.persistence.dialects import MYSQL_NAMES, UTCDateTime
from crpm_core.persistence.dialects.failures import translate
from crpm_core.persistence.tables import metadata
from crpm_core.services.unit_of_work import SYSTEM, Clock, UnitOfWork, utc_now

CHUNK = 10_000
"""Rows sent to the database per bulk insert."""
VERSION_TABLE = "alembic_version"


def check(path: str | os.PathLike[str]) -> Manifest:
    """Check an archive without writing anything: its manifest, every file's presence, row
    count and SHA-256, and that this CRPM knows its schema revision. Returns the manifest;
    :class:`RestoreRefused` says what is wrong."""
    with open_archive(path) as archive:
        manifest = read_manifest(archive)
        _check_revision(manifest)
        verify(archive, manifest)
    return manifest


def restore(
    path: str | os.PathLike[str],
    url: str | URL,
    *,
    actor: str = SYSTEM,
    clock: Clock = utc_now,
    busy_timeout: float = dialects.DEFAULT_BUSY_TIMEOUT,
) -> Manifest:
    """Load the backup at ``path`` into the empty database at ``url`` (no tables, or CRPM's
    schema without rows), ids kept; then upgrade it to this CRPM's schema if the archive is
    older, and add one audit row (action ``restore``, by ``actor``) after the rows it
    brought back. Returns the archive's manifest.

    Before anything is written the archive is checked whole (:func:`check`) and the target
    inspected: a damaged archive, one from a newer CRPM, or a target that is not empty is
    :class:`RestoreRefused`, and the target is left exactly as it was (no table created).
    The rows go in in one transaction; sequences and auto-increments are set past the
    restored ids, so the next record gets a fresh one on every backend."""
    with open_archive(path) as archive:
        manifest = read_manifest(archive)
        order = _check_revision(manifest)
        verify(archive, manifest)
        db = Database(url, busy_timeout=busy_timeout)
        try:
            target = _inspect_target(db, order)
            _load(db, archive, manifest, target, order, actor, clock, Path(path).name)
        finally:
            db.dispose()
    return manifest


# Checks -----------------------------------------------------------------------------------


def _revisions() -> list[str]:
    """Every schema revision this CRPM knows, oldest first."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _check_revision(manifest: Manifest) -> list[str]:
    order = _revisions()
    revision = manifest.schema_revision
    if revision not in order:
        raise RestoreRefused(
            f"the archive comes from a newer CRPM (schema revision {revision}; this CRPM knows "
            f"up to {order[-1]}): restore it with that version or later; nothing was restored"
        )
    if revision == order[-1]:
        _check_tables(manifest, {t.name: t for t in metadata.sorted_tables})
    return order


def _check_tables(manifest: Manifest, tables: dict[str, Any]) -> None:
    """The archive's tables and columns are those of the schema at its revision."""
    listed = {t.name for t in manifest.tables}
    if listed != set(tables):
        missing = sorted(set(tables) - listed)
        extra = sorted(listed - set(tables))
        raise RestoreRefused(
            "the archive's manifest is wrong for its schema revision "
            f"{manifest.schema_revision} (tables missing: {', '.join(missing) or 'none'}; "
            f"unknown: {', '.join(extra) or 'none'}); nothing was restored"
        )
    for entry in manifest.tables:
        want = tables[entry.name]
        if isinstance(want, Table):
            expected = {c.name: kind_of(c) for c in want.columns}
            if dict(entry.columns) != expected:
                raise _wrong_columns(manifest, entry)
        elif set(entry.column_names) != set(want):
            raise _wrong_columns(manifest, entry)


def _wrong_columns(manifest: Manifest, entry: TableEntry) -> RestoreRefused:
    return RestoreRefused(
        f"the archive's manifest is wrong for its schema revision {manifest.schema_revision}: "
        f"the columns of {entry.name} differ; nothing was restored"
    )


def _inspect_target(db: Database, order: list[str]) -> str | None:
    """The target's schema revision, ``None`` when it has no tables; refused unless every
    table it has is CRPM's and empty."""
    try:
        with db.transaction(write=False) as conn:
            names = set(inspect(conn).get_table_names())
            if not names:
                return None
            ours = {t.name for t in metadata.sorted_tables} | {VERSION_TABLE}
            foreign = sorted(names - ours)
            if foreign or VERSION_TABLE not in names:
                shown = ", ".join(foreign[:3]) or ", ".join(sorted(names)[:3])
                raise RestoreRefused(
                    f"the target database holds tables that are not a CRPM schema ({shown}): "
                    "restore into an empty database; nothing was restored"
                )
            revision = MigrationContext.configure(conn).get_current_revision()
            if revision not in order:
                raise RestoreRefused(
                    f"the target database's schema (revision {revision}) is not one this CRPM "
                    "knows: restore into an empty database; nothing was restored"
                )
            for name in sorted(names - {VERSION_TABLE}):
                if conn.execute(select(literal(1)).select_from(table(name)).limit(1)).first():
                    raise RestoreRefused(
                        f"the target database is not empty (its {name} table has rows): restore "
                        "into an empty database; nothing was restored"
                    )
            return revision
    except DBAPIError as exc:
        raise translate(exc) from exc


# Loading ----------------------------------------------------------------------------------


def _load(
    db: Database,
    archive: zipfile.ZipFile,
    manifest: Manifest,
    target: str | None,
    order: list[str],
    actor: str,
    clock: Clock,
    name: str,
) -> None:
    revision = manifest.schema_revision
    head = order[-1]
    mysql = db.dialect_name in MYSQL_NAMES
    try:
        with db.transaction(write=True) as conn, dialects.migration_lock(conn):
            if target != revision:
                up = target is None or order.index(target) < order.index(revision)
                _migrate(conn, revision, up=up)
            tables = _tables(conn, manifest, revision == head)
            if mysql:  # DDL: MariaDB commits it at once, so before the rows' transaction
                _set_auto_increments(conn, manifest)
            for entry in manifest.tables:
                largest = _load_table(conn, archive, entry, tables[entry.name], revision == head)
                _set_sequence(conn, entry, largest)
            if revision != head:
                _migrate(conn, head, up=True)
            UnitOfWork(conn, clock, actor).audit(
                "restore",
                "settings",
                None,
                {
                    "archive": [None, name[:200]],
                    "rows": [None, manifest.rows],
                    "schema_revision": [None, revision],
                    "taken_at": [None, manifest.created_at.isoformat()],
                },
            )
    except Conflict as exc:
        _undo(db, target, mysql)
        cause = exc.__cause__
        if isinstance(cause, IntegrityError):  # rows that passed their checksums, yet break a rule
            text = str(cause.orig).strip()
            why = text.splitlines()[0][:200] if text else type(cause.orig).__name__
            raise RestoreRefused(
                f"the archive's rows do not fit the schema ({why}); nothing was restored"
            ) from exc
        raise
    except DBAPIError as exc:
        _undo(db, target, mysql)
        raise translate(exc) from exc
    except BaseException:
        _undo(db, target, mysql)
        raise


def _migrate(conn: Connection, revision: str, *, up: bool) -> None:
    cfg = migrate.alembic_config()
    cfg.attributes["connection"] = conn
    if up:
        command.upgrade(cfg, revision)
    else:
        command.downgrade(cfg, revision)


_TYPES: dict[str, Any] = {
    "integer": BigInteger,
    "text": Text,
    "boolean": Boolean,
    "datetime": UTCDateTime,
    "decimal": Numeric,
    "date": Date,
    "float": Float,
    "bytes": LargeBinary,
}


def _tables(conn: Connection, manifest: Manifest, at_head: bool) -> dict[str, Table]:
    """The tables the rows go into: CRPM's own at the newest revision; at an older one,
    tables shaped as the archive says, once the target's schema is seen to match it."""
    if at_head:
        return {t.name: t for t in metadata.sorted_tables}
    inspector = inspect(conn)
    present = {
        name: [c["name"] for c in inspector.get_columns(name)]
        for name in inspector.get_table_names()
        if name != VERSION_TABLE
    }
    _check_tables(manifest, present)
    shapes = MetaData()
    return {
        entry.name: Table(
            entry.name, shapes, *(Column(c, _type(kind)) for c, kind in entry.columns)
        )
        for entry in manifest.tables
    }


def _type(kind: str) -> TypeEngine[Any]:
    made: TypeEngine[Any] = _TYPES[kind]()
    return made


def _load_table(
    conn: Connection, archive: zipfile.ZipFile, entry: TableEntry, target: Table, at_head: bool
) -> int:
    """Insert ``entry``'s rows in chunks; the largest id seen (0 for none)."""
    decode = rows_decoder(entry)
    key = "id" if dict(entry.columns).get("id") == "integer" else None
    largest = 0
    bulk: AbstractContextManager[None] = (
        dialects.bulk_load(conn, target, entry.rows) if at_head else nullcontext()
    )
    with bulk:
        for first, batch in _batches(archive, entry):
            chunk = decode(batch, first)
            if key is not None:
                largest = max(largest, max(int(r[key] or 0) for r in chunk))
            dialects.insert_many(conn, target, chunk)
    return largest


def _batches(archive: zipfile.ZipFile, entry: TableEntry) -> Iterator[tuple[int, list[bytes]]]:
    """The file's lines in batches of :data:`CHUNK`, each with the number of its first."""
    batch: list[bytes] = []
    first = 1
    for number, line in enumerate(lines(archive, entry), start=1):
        batch.append(line)
        if len(batch) == CHUNK:
            yield first, batch
            batch, first = [], number + 1
    if batch:
        yield first, batch


def _set_sequence(conn: Connection, entry: TableEntry, largest: int) -> None:
    """Make the table's sequence hand out ``max(next_id, largest + 1)`` next."""
    if entry.next_id is None:
        return
    following = max(entry.next_id, largest + 1)
    backend = conn.dialect.name
    if backend == "postgresql":
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n, false)"),
            {"t": entry.name, "n": following},
        )
    elif backend == "sqlite":
        params = {"t": entry.name, "s": following - 1}
        moved = conn.execute(text("UPDATE sqlite_sequence SET seq = :s WHERE name = :t"), params)
        if moved.rowcount == 0 and following > 1:
            conn.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :s)"), params)


def _set_auto_increments(conn: Connection, manifest: Manifest) -> None:
    """MariaDB: each table's next id as the archive gives it (inserted ids above it move it
    on by themselves)."""
    for entry in manifest.tables:
        if entry.next_id is not None and entry.next_id > 1:
            conn.exec_driver_sql(f"ALTER TABLE `{entry.name}` AUTO_INCREMENT = {entry.next_id}")


def _undo(db: Database, target: str | None, mysql: bool) -> None:
    """After a failed load on MariaDB, whose DDL commits at once: remove what was written
    (the tables when the target had none, else the rows). Elsewhere the rollback did it."""
    if not mysql:
        return
    with contextlib.suppress(SQLAlchemyError), db.engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        doomed = [t for t in reversed(metadata.sorted_tables) if t.name in present]
        for t in doomed:
            if target is None:
                conn.exec_driver_sql(f"DROP TABLE `{t.name}`")
            else:
                conn.execute(t.delete())
        if target is None and VERSION_TABLE in present:
            conn.exec_driver_sql(f"DROP TABLE `{VERSION_TABLE}`")
        conn.commit()
