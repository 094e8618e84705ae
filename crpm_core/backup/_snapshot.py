"""Writing a backup: every table of the schema, read in one consistent snapshot and streamed
into the archive, while the shop keeps selling."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Table, func, select, text
from sqlalchemy.exc import DBAPIError

import crpm_core
from crpm_core.api import CRPM
from crpm_core.backup._format import (
    MANIFEST,
    HashingWriter,
    Manifest,
    TableEntry,
    kind_of,
    row_encoder,
)
from crpm_core.errors import StorageError, ValidationError
from crpm_core.persistence import migrate
from crpm_core.persistence.dialects import MYSQL_NAMES
from crpm_core.persistence.dialects.failures import translate
from crpm_core.persistence.tables import metadata

YIELD_PER = 5_000
"""Rows fetched from the database at a time: memory stays flat however large the shop."""
COMPRESSLEVEL = 1
"""Deflate's fastest level: a third of the size of the plain files, at a fraction of the
time of the default level (the archive is written while the shop sells)."""


def write(crm: CRPM, path: str | os.PathLike[str]) -> Manifest:
    """Write a backup of the whole database behind ``crm`` to the file ``path`` (a zip; it
    replaces an existing file only when complete, and is readable by its owner only: it
    holds the staff's password hashes). Owners only (``PermissionDenied`` otherwise); adds
    no audit row. Returns the archive's manifest."""
    crm.scope.require("backup")
    target = Path(path)
    handle, temporary = _temporary_beside(target)
    os.close(handle)  # created 0600; zipfile reopens it
    try:
        with zipfile.ZipFile(
            temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL
        ) as archive:
            manifest = _dump(crm, archive)
            archive.writestr(MANIFEST, manifest.to_json())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return manifest


def _temporary_beside(target: Path) -> tuple[int, str]:
    """A new file (mode 0600) in ``target``'s folder, renamed over it once complete."""
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such folder", str(folder))
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(target))
    return tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)


def tables() -> list[Table]:
    """Every table of the schema, parents before children (a table added by a later
    migration is backed up without a change here)."""
    return list(metadata.sorted_tables)


def _dump(crm: CRPM, archive: zipfile.ZipFile) -> Manifest:
    db = crm.db
    backend = db.dialect_name
    entries = []
    try:
        with _snapshot(db.engine.connect(), backend) as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
            if revision is None or revision != migrate.head_revision():
                raise StorageError(
                    f"the database's schema is at revision {revision}, not this CRPM's "
                    f"{migrate.head_revision()}: open it with crpm_core.connect() to upgrade it"
                )
            taken = crm.clock().astimezone(UTC)
            for table in tables():
                entries.append(_dump_table(conn, table, archive))
    except DBAPIError as exc:
        raise translate(exc) from exc
    return Manifest(
        schema_revision=revision,
        created_at=taken,
        source_backend=backend,
        crpm_version=crpm_core.__version__,
        tables=tuple(entries),
    )


@contextmanager
def _snapshot(conn: Connection, backend: str) -> Iterator[Connection]:
    """A read-only transaction that sees the database as it was at its start: repeatable
    read on PostgreSQL and MariaDB (a consistent snapshot), a read transaction on SQLite
    (in WAL mode it reads one version of the file while writers append to the log)."""
    with conn:
        if backend == "postgresql":
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        elif backend in MYSQL_NAMES:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        else:
            conn = conn.execution_options(crpm_write=False)  # BEGIN, not BEGIN IMMEDIATE
        with conn.begin():
            if backend in MYSQL_NAMES:
                conn.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            yield conn


def _dump_table(conn: Connection, table: Table, archive: zipfile.ZipFile) -> TableEntry:
    columns = list(table.columns)
    kinds = [kind_of(c) for c in columns]
    encode = row_encoder(kinds)
    name = f"{table.name}.jsonl"
    query = select(*columns).order_by(*table.primary_key.columns)
    largest = 0
    key = _sequence_column(table)
    with archive.open(name, "w", force_zip64=True) as member:
        out = HashingWriter(member)
        result = conn.execution_options(yield_per=YIELD_PER).execute(query)
        for rows in result.partitions():
            out.write(encode(rows), len(rows))
    if key is not None and out.rows:
        largest = int(conn.execute(select(func.max(key))).scalar_one())
    next_id = None
    if key is not None:
        next_id = max(largest + 1, _next_id(conn, table, key.name) or 1)
    return TableEntry(
        name=table.name,
        file=name,
        columns=tuple((c.name, k) for c, k in zip(columns, kinds, strict=True)),
        rows=out.rows,
        sha256=out.sha256,
        next_id=next_id,
    )


def _sequence_column(table: Table) -> Any:
    """The table's id column when the database hands out its values (else ``None``)."""
    key = list(table.primary_key.columns)
    if len(key) != 1 or key[0].autoincrement is False or kind_of(key[0]) != "integer":
        return None
    if key[0].foreign_keys:
        return None
    return key[0]


def _next_id(conn: Connection, table: Table, column: str) -> int | None:
    """The id the table's sequence would hand out next, as the source database keeps it
    (above the largest id when the newest rows were deleted: ids are never reused)."""
    backend = conn.dialect.name
    if backend == "sqlite":
        seq = conn.execute(
            text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table.name}
        ).scalar()
        return None if seq is None else int(seq) + 1
    if backend == "postgresql":
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column}
        ).scalar()
        if sequence is None:
            return None
        last, called = conn.execute(
            text(f"SELECT last_value, is_called FROM {sequence}")  # a name the server gave
        ).one()
        return int(last) + 1 if called else int(last)
    value = conn.execute(
        text(
            "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t"
        ),
        {"t": table.name},
    ).scalar()
    return None if value is None else int(value)


def sqlite_copy(crm: CRPM, path: str | os.PathLike[str]) -> None:
    """Copy the SQLite database behind ``crm`` to the file ``path`` through SQLite's online
    backup API: a consistent copy of the whole file taken while the shop sells, that opens
    as a CRPM database as it is. Owners only; SQLite only (``ValidationError`` otherwise)."""
    crm.scope.require("backup")
    if crm.db.dialect_name != "sqlite":
        raise ValidationError("db", "--sqlite-copy copies a SQLite database; this one is not")
    target = Path(path)
    handle, temporary = _temporary_beside(target)
    os.close(handle)
    try:
        raw = crm.db.engine.raw_connection()
        try:
            source: Any = raw.driver_connection
            copy = sqlite3.connect(temporary)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                copy.close()
        finally:
            raw.close()
        os.replace(temporary, target)
    except sqlite3.Error as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise StorageError(f"the SQLite copy failed: {exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
