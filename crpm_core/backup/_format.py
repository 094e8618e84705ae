"""The archive: a zip of one JSON Lines file per table and a manifest that describes them.

``manifest.json`` names the format and its version, the schema revision the rows belong to
(Alembic's), when the backup was taken and from which backend, and for every table, in the
order the rows must be loaded (parents before children): its file, its columns with their
kinds, its row count, the SHA-256 of its file and the next id its sequence would hand out.

Each line of a table's file is a JSON array of one row's values in the manifest's column
order. The kinds say how a value is written, so every backend reads back exactly what was
stored: ``integer`` (a JSON number of any size), ``text`` (a JSON string, any Unicode),
``boolean`` (``true``/``false``), ``datetime`` (ISO 8601 in UTC with microseconds and
``+00:00``), ``decimal`` (exact text, never a float), ``date``, ``float``, ``bytes``
(base64); ``null`` is NULL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

import attrs
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
)
from sqlalchemy.types import TypeEngine

from crpm_core.errors import CRPMError
from crpm_core.persistence.dialects import BigMoney

FORMAT = "crpm-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
KINDS = ("integer", "text", "boolean", "datetime", "decimal", "date", "float", "bytes")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_CHUNK = 1 << 20


class RestoreRefused(CRPMError):
    """A restore (or the check of an archive) was refused before anything was written: the
    archive is damaged, not a CRPM backup or from a newer CRPM, or the target database is
    not empty. The message says which, in one line."""


@attrs.frozen
class TableEntry:
    """One table of an archive: its file, columns (name, kind), rows, checksum, next id."""

    name: str
    file: str
    columns: tuple[tuple[str, str], ...]
    rows: int
    sha256: str
    next_id: int | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


@attrs.frozen
class Manifest:
    """What an archive holds; ``tables`` in the order their rows are loaded."""

    schema_revision: str
    created_at: datetime
    source_backend: str
    crpm_version: str
    tables: tuple[TableEntry, ...]
    format_version: int = FORMAT_VERSION

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_json(self) -> str:
        """The manifest as stored: JSON, one table to a line."""
        head = {
            "format": FORMAT,
            "format_version": self.format_version,
            "schema_revision": self.schema_revision,
            "created_at": self.created_at.isoformat(),
            "source_backend": self.source_backend,
            "crpm_version": self.crpm_version,
        }
        tables = [
            json.dumps(
                {
                    "name": t.name,
                    "file": t.file,
                    "rows": t.rows,
                    "sha256": t.sha256,
                    "next_id": t.next_id,
                    "columns": [list(c) for c in t.columns],
                },
                ensure_ascii=False,
            )
            for t in self.tables
        ]
        fields = [
            f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()
        ]
        return "\n".join(["{", *fields, ' "tables": [', "  " + ",\n  ".join(tables), " ]", "}", ""])


def kind_of(column: Column[Any]) -> str:
    """The archive kind of a column, from its SQLAlchemy type (a type CRPM does not know
    yet is an error, so a new column is never written in a shape that cannot be read)."""
    kind = _kind(column.type)
    if kind is None:
        raise TypeError(f"{column.table.name}.{column.name}: no backup kind for {column.type!r}")
    return kind


def _kind(typ: TypeEngine[Any]) -> str | None:
    impl = getattr(typ, "impl", None)
    if isinstance(typ, Boolean):
        return "boolean"
    if isinstance(typ, BigMoney):  # whole minor units, as many digits as they take
        return "integer"
    if isinstance(typ, Integer):
        return "integer"
    if isinstance(typ, DateTime) or isinstance(impl, DateTime):
        return "datetime"
    if isinstance(typ, Date):
        return "date"
    if isinstance(typ, Float):
        return "float"
    if isinstance(typ, Numeric):
        return "decimal"
    if isinstance(typ, String):
        return "text"
    if isinstance(typ, LargeBinary):
        return "bytes"
    return None


# Values -----------------------------------------------------------------------------------


def _datetime_out(value: datetime) -> str:
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def _text_out(value: Any) -> str:
    return str(value)


def _date_out(value: date) -> str:
    return value.isoformat()


def _bytes_out(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


_ENCODE: dict[str, Callable[[Any], Any] | None] = {
    # None: the driver's value is already what JSON writes (int, str, bool, float)
    "integer": None,
    "text": None,
    "boolean": None,
    "float": None,
    "datetime": _datetime_out,
    "decimal": _text_out,
    "date": _date_out,
    "bytes": _bytes_out,
}


def row_encoder(kinds: list[str]) -> Callable[[Sequence[Any]], bytes]:
    """A function turning a batch of database rows into their lines (UTF-8, each ending in
    a newline)."""
    convert = [(i, f) for i, k in enumerate(kinds) if (f := _ENCODE[k]) is not None]
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def line(row: Any) -> str:
        if not convert:
            return dumps(list(row))
        values = list(row)
        for i, f in convert:
            if values[i] is not None:
                values[i] = f(values[i])
        return dumps(values)

    def encode(rows: Sequence[Any]) -> bytes:
        return ("\n".join(map(line, rows)) + "\n").encode()

    return encode


def _text_in(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not text")
    return value


def _datetime_in(value: Any) -> datetime:
    moment = datetime.fromisoformat(_text_in(value))
    if moment.tzinfo is None:
        raise ValueError("a time without its zone")
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _decimal_in(value: Any) -> Decimal:
    try:
        number = Decimal(_text_in(value))
    except InvalidOperation:
        raise ValueError("not a decimal number") from None
    if not number.is_finite():
        raise ValueError("not a finite number")
    return number


def _date_in(value: Any) -> date:
    return date.fromisoformat(_text_in(value))


def _bytes_in(value: Any) -> bytes:
    try:
        return base64.b64decode(_text_in(value), validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None


def _float_in(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    return float(value)


_DECODE: dict[str, Callable[[Any], Any] | None] = {
    # None: JSON's value is the one to insert (the database refuses a wrong type)
    "integer": None,
    "text": None,
    "boolean": None,
    "datetime": _datetime_in,
    "decimal": _decimal_in,
    "date": _date_in,
    "float": _float_in,
    "bytes": _bytes_in,
}


def rows_decoder(entry: TableEntry) -> Callable[[list[bytes], int], list[dict[str, Any]]]:
    """A function turning a batch of lines of ``entry``'s file (the first is line ``n``)
    into rows for an insert; a line that is not what the manifest says is
    :class:`RestoreRefused`, with its number."""
    names = entry.column_names
    convert = [(n, f) for n, k in entry.columns if (f := _DECODE[k]) is not None]
    width = len(names)

    def row(values: Any) -> dict[str, Any]:
        if not isinstance(values, list) or len(values) != width:
            raise ValueError(f"not a list of {width} values")
        made = dict(zip(names, values, strict=True))
        for name, f in convert:
            if made[name] is not None:
                made[name] = f(made[name])
        return made

    def decode(batch: list[bytes], first: int) -> list[dict[str, Any]]:
        try:
            return [row(values) for values in json.loads(b"[" + b",".join(batch) + b"]")]
        except (ValueError, TypeError):
            pass
        for number, line in enumerate(batch, start=first):  # which line is wrong
            try:
                row(json.loads(line))
            except (ValueError, TypeError) as exc:
                raise RestoreRefused(
                    f"the archive is damaged: {entry.file} line {number}: {exc}; nothing was "
                    "restored"
                ) from None
        raise RestoreRefused(f"the archive is damaged: {entry.file}; nothing was restored")

    return decode


# Reading an archive -----------------------------------------------------------------------


UNREADABLE = (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error)
"""What reading a damaged zip raises: a changed byte in a deflated member can surface as
``zlib.error`` (neither an OSError nor a ValueError)."""


def open_archive(path: str | os.PathLike[str]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise
    except UNREADABLE as exc:
        raise RestoreRefused(
            f"{Path(path).name} is not a readable CRPM backup (a zip file: {exc}); nothing "
            "was restored"
        ) from None


def read_manifest(archive: zipfile.ZipFile) -> Manifest:
    """The archive's manifest, checked for its shape; :class:`RestoreRefused` if it is
    missing or wrong."""
    try:
        raw = archive.read(MANIFEST)
    except KeyError:
        raise _damaged("it has no manifest.json (not a CRPM backup?)") from None
    except UNREADABLE as exc:
        raise _damaged(f"manifest.json cannot be read ({exc})") from None
    try:
        data = json.loads(raw)
        return _manifest(data)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _damaged(f"manifest.json is wrong ({exc})") from None


def _manifest(data: Any) -> Manifest:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"its format is not {FORMAT}")
    version = data["format_version"]
    if type(version) is not int or version < 1:
        raise ValueError("format_version is not a whole number")
    if version > FORMAT_VERSION:
        raise RestoreRefused(
            f"the archive has format version {version}; this CRPM reads up to "
            f"{FORMAT_VERSION}: restore it with a newer CRPM"
        )
    revision = data["schema_revision"]
    if not isinstance(revision, str) or not revision:
        raise ValueError("schema_revision is missing")
    created = _datetime_in(data["created_at"])
    tables = []
    seen: set[str] = set()
    for item in data["tables"]:
        name = item["name"]
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name in seen:
            raise ValueError(f"table name {name!r}")
        seen.add(name)
        if item["file"] != f"{name}.jsonl":
            raise ValueError(f"file of {name}")
        columns = []
        for column in item["columns"]:
            cname, kind = column
            if not isinstance(cname, str) or not _NAME.fullmatch(cname) or kind not in KINDS:
                raise ValueError(f"column {column!r} of {name}")
            columns.append((cname, kind))
        if not columns or len({c for c, _ in columns}) != len(columns):
            raise ValueError(f"columns of {name}")
        rows, digest, next_id = item["rows"], item["sha256"], item.get("next_id")
        if type(rows) is not int or rows < 0:
            raise ValueError(f"row count of {name}")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"sha256 of {name}")
        if next_id is not None and (type(next_id) is not int or not 1 <= next_id < 2**63):
            raise ValueError(f"next_id of {name}")
        tables.append(TableEntry(name, item["file"], tuple(columns), rows, digest, next_id))
    if not tables:
        raise ValueError("it lists no tables")
    return Manifest(
        schema_revision=revision,
        created_at=created,
        source_backend=str(data.get("source_backend", "")),
        crpm_version=str(data.get("crpm_version", "")),
        tables=tuple(tables),
        format_version=version,
    )


def verify(archive: zipfile.ZipFile, manifest: Manifest) -> None:
    """Check every file against the manifest (present, nothing extra, row count, SHA-256):
    the whole archive is read once; :class:`RestoreRefused` names the first difference."""
    expected = {MANIFEST} | {t.file for t in manifest.tables}
    present = set(archive.namelist())
    extra = sorted(present - expected)
    if extra:
        raise _damaged(f"it holds files the manifest does not list ({', '.join(extra[:3])})")
    for entry in manifest.tables:
        if entry.file not in present:
            raise _damaged(f"{entry.file} is missing")
        digest = hashlib.sha256()
        lines = 0
        try:
            with archive.open(entry.file) as member:
                while chunk := member.read(_CHUNK):
                    digest.update(chunk)
                    lines += chunk.count(b"\n")
        except UNREADABLE as exc:
            raise _damaged(f"{entry.file} cannot be read ({exc})") from None
        if digest.hexdigest() != entry.sha256:
            raise _damaged(f"{entry.file} does not match its checksum")
        if lines != entry.rows:
            raise _damaged(f"{entry.file} has {lines:,} rows, the manifest says {entry.rows:,}")


def lines(archive: zipfile.ZipFile, entry: TableEntry) -> Iterator[bytes]:
    """The lines of ``entry``'s file, streamed."""
    with archive.open(entry.file) as member:
        yield from member


def _damaged(why: str) -> RestoreRefused:
    return RestoreRefused(
        f"the archive is damaged or not a CRPM backup: {why}; nothing was restored"
    )


class HashingWriter:
    """Wraps a writable member of the zip: counts and hashes what passes through."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._digest = hashlib.sha256()
        self.rows = 0

    def write(self, data: bytes, rows: int) -> None:
        self._digest.update(data)
        self._out.write(data)
        self.rows += rows

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()
