"""Files: text from a path or a file object, numbered CSV records, atomic output."""

from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TypeAlias, cast

from crpm_core.transfer._formats import RowError, unguard

Source: TypeAlias = "str | os.PathLike[str] | IO[str] | IO[bytes]"
Target: TypeAlias = "str | os.PathLike[str] | IO[str]"
ENCODING = "utf-8-sig"  # reads files with or without the byte order mark Excel writes


@contextmanager
def read_text(source: Source) -> Iterator[tuple[IO[str], Callable[[], float | None]]]:
    """The source as text, and a function telling which fraction of it has been read
    (``None`` when that is unknown). A path is opened and closed here; a file object is
    read from where it stands and left open."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as raw:
            whole = os.fstat(raw.fileno()).st_size
            yield io.TextIOWrapper(raw, encoding=ENCODING, newline=""), _fraction(raw, 0, whole)
        return
    if isinstance(source.read(0), str):
        yield cast(IO[str], source), lambda: None
        return
    binary = cast(io.BufferedReader, source)
    start, size = _position_and_size(binary)
    wrapper = io.TextIOWrapper(binary, encoding=ENCODING, newline="")
    try:
        yield wrapper, _fraction(binary, start, size)
    finally:
        wrapper.detach()  # the caller's file stays open


def _position_and_size(binary: IO[bytes]) -> tuple[int, int | None]:
    try:
        if binary.seekable():
            start = binary.tell()
            size = binary.seek(0, io.SEEK_END) - start
            binary.seek(start)
            return start, size
    except (AttributeError, OSError, ValueError):
        pass
    return 0, None


def _fraction(raw: IO[bytes], start: int, size: int | None) -> Callable[[], float | None]:
    def fraction() -> float | None:
        try:
            return min(1.0, (raw.tell() - start) / size) if size else None
        except OSError:  # a pipe
            return None

    return fraction


def records(text: Iterable[str], columns: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, cells)`` for each data row, cells in the order of ``columns``.

    The header may list the columns in any order (names are trimmed and compared ignoring
    case). Blank lines are skipped. Every cell has one protective ``'`` of an export removed.
    ``line`` is the line on which the record starts (a quoted cell may span lines).
    """
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader, None)
        while header == []:
            header = next(reader, None)
        if header is None:
            raise RowError(1, None, f"the file is empty; the header must be {','.join(columns)}")
        order = _column_order(reader.line_num, [h.strip().lower() for h in header], columns)
        width = len(header)
        line = reader.line_num + 1
        for record in reader:
            if record:
                if len(record) != width:
                    raise _width_error(line, record, header, width)
                yield line, [unguard(record[i]) for i in order]
            line = reader.line_num + 1
    except csv.Error as exc:
        raise RowError(reader.line_num, None, f"not valid CSV: {exc}") from None
    except UnicodeDecodeError:
        raise RowError(
            reader.line_num + 1, None, "the file is not UTF-8 text (save it as CSV UTF-8)"
        ) from None


def _column_order(line: int, header: list[str], columns: tuple[str, ...]) -> list[int]:
    expected = ",".join(columns)
    for position, name in enumerate(header):
        if name not in columns:
            raise RowError(line, name or f"#{position + 1}", f"unknown column; expected {expected}")
        if header.index(name) != position:
            raise RowError(line, name, "appears twice in the header")
    for name in columns:
        if name not in header:
            raise RowError(line, name, f"column is missing; the header must be {expected}")
    return [header.index(name) for name in columns]


def _width_error(line: int, record: list[str], header: list[str], width: int) -> RowError:
    if len(record) < width:
        missing = header[len(record)].strip().lower()
        return RowError(line, missing, f"missing: the row has {len(record)} of {width} fields")
    return RowError(line, None, f"the row has {len(record)} fields; the header has {width}")


@contextmanager
def output(target: Target) -> Iterator[IO[str]]:
    """A text stream to write CSV to. A path is written to a temporary file beside it that
    replaces it only when everything was written, so a failed export leaves no half file."""
    if not isinstance(target, str | os.PathLike):
        yield target
        return
    path = Path(target)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with partial.open("x", encoding="utf-8", newline="") as stream:
            yield stream
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
