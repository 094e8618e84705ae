"""Files: text from a path or a file object, numbered CSV records, atomic output."""

from __future__ import annotations

import csv
import io
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import IO, Final, TypeAlias, cast

from crpm_core.transfer._formats import RowError, unguard

Source: TypeAlias = "str | os.PathLike[str] | IO[str] | IO[bytes]"
Target: TypeAlias = "str | os.PathLike[str] | IO[str]"

CHUNK: Final = 1 << 16
"""Bytes read at a time from a binary source."""
_BOM: Final = b"\xef\xbb\xbf"  # the byte order mark Excel writes before CSV UTF-8
_UNDECODED: Final = re.compile("[\udc80-\udcff]")  # a byte that was not UTF-8, escaped
_NOT_UTF8: Final = "the file is not UTF-8 text (save it as CSV UTF-8)"


@contextmanager
def read_text(source: Source) -> Iterator[tuple[Iterable[str], Callable[[], float | None]]]:
    """The source as lines of text, and a function telling which fraction of it has been read
    (``None`` when that is unknown). A path is opened and closed here; a file object is
    read from where it stands and left open.

    Bytes (a path, a binary file) are decoded as UTF-8 one physical line at a time, so that
    :func:`records` can name the exact line, and the column, of a byte that is not UTF-8.
    """
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as raw:
            whole = os.fstat(raw.fileno()).st_size
            yield Lines(raw), _fraction(raw, 0, whole)
        return
    if isinstance(source.read(0), str):
        yield cast(IO[str], source), lambda: None
        return
    binary = cast(IO[bytes], source)
    start, size = _position_and_size(binary)
    yield Lines(binary), _fraction(binary, start, size)


class Lines:
    """The physical lines of UTF-8 bytes as text, each with its line end.

    Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` (universal newlines, as a text file reads
    them); a byte order mark at the start is dropped. UTF-8 never splits a character across
    a line end, so each line decodes on its own. A line that is not UTF-8 is passed on with
    its bad bytes escaped (U+DC80 … U+DCFF, which UTF-8 text never holds) and its number is
    added to ``bad``: one more than the lines ``consumed`` so far, which :func:`records` sets
    to its csv reader's count.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.bad: list[int] = []
        self.consumed: Callable[[], int] = lambda: 0

    def __iter__(self) -> Iterator[str]:
        lines = chain.from_iterable(_split(self._raw))
        while True:
            try:
                yield from map(bytes.decode, lines)  # the fast path: no Python code per line
                return
            except UnicodeDecodeError as exc:
                self.bad.append(self.consumed() + 1)
                yield exc.object.decode("utf-8", "surrogateescape")


def _split(raw: IO[bytes]) -> Iterator[list[bytes]]:
    """The lines of ``raw``, a list per chunk read; a line's start waits for its end."""
    rest = b""
    first = True
    while True:
        chunk = raw.read(max(CHUNK, len(rest))) or b""  # a long line: read more at a time
        data = rest + bytes(chunk)
        if first:
            if chunk and len(data) < len(_BOM):
                rest = data
                continue
            data = data.removeprefix(_BOM)
            first = False
        if not chunk:
            if data:
                yield data.splitlines(keepends=True)
            return
        lines = data.splitlines(keepends=True)
        rest = lines.pop() if lines else b""  # it may end with "\r", its "\n" still to come
        yield lines


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


def records(
    text: Iterable[str], columns: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, cells)`` for each data row, cells in the order of ``columns`` then
    ``optional`` (a column of ``optional`` the header leaves out gives empty cells).

    The header may list the columns in any order (names are trimmed and compared ignoring
    case). Blank lines are skipped. Every cell has one protective ``'`` of an export removed.
    ``line`` is the line on which the record starts (a quoted cell may span lines); bytes
    that are not UTF-8 are reported on their own line, with the column that holds them.
    """
    reader = csv.reader(text, strict=True)
    bad: list[int] = []
    if isinstance(text, Lines):
        bad = text.bad
        text.consumed = lambda: reader.line_num
    try:
        header = next(reader, None)
        while header == []:
            header = next(reader, None)
        if bad:
            raise RowError(bad[0], None, _NOT_UTF8)
        if header is None:
            raise RowError(1, None, f"the file is empty; the header must be {','.join(columns)}")
        header[0] = header[0].removeprefix("\ufeff")  # a text file opened without utf-8-sig
        names = [h.strip().lower() for h in header]
        positions = _column_order(reader.line_num, names, columns, optional)
        order = [i for i in positions if i is not None]
        complete = len(order) == len(positions)
        width = len(header)
        line = reader.line_num + 1
        for record in reader:
            if record:
                if bad:
                    raise _undecoded(bad[0], record, names)
                if len(record) != width:
                    raise _width_error(line, record, header, width)
                if complete:
                    yield line, [unguard(record[i]) for i in order]
                else:  # optional columns left out: empty cells in their places
                    yield line, [unguard(record[i]) if i is not None else "" for i in positions]
            line = reader.line_num + 1
    except csv.Error as exc:
        if bad:  # the bytes that are not UTF-8 come first, and they may be the cause
            raise RowError(bad[0], None, _NOT_UTF8) from None
        raise RowError(reader.line_num, None, f"not valid CSV: {exc}") from None
    except UnicodeDecodeError:  # a text file the caller opened (the line is approximate)
        raise RowError(reader.line_num + 1, None, _NOT_UTF8) from None


def _undecoded(line: int, record: list[str], names: list[str]) -> RowError:
    """The error for a record with bytes that are not UTF-8: the cell that holds the first."""
    for position, cell in enumerate(record):
        found = _UNDECODED.search(cell)
        if found:
            byte = ord(found.group()) - 0xDC00
            column = names[position] if position < len(names) else None
            message = f"byte 0x{byte:02X} is not UTF-8 text (save the file as CSV UTF-8)"
            return RowError(line, column, message)
    return RowError(line, None, _NOT_UTF8)


def _column_order(
    line: int, header: list[str], columns: tuple[str, ...], optional: tuple[str, ...]
) -> list[int | None]:
    """Where each of ``columns`` then ``optional`` is in the header (``None``: an optional
    column the file leaves out)."""
    expected = ",".join(columns) + "".join(f"[,{name}]" for name in optional)
    for position, name in enumerate(header):
        if name not in columns and name not in optional:
            raise RowError(line, name or f"#{position + 1}", f"unknown column; expected {expected}")
        if header.index(name) != position:
            raise RowError(line, name, "appears twice in the header")
    for name in columns:
        if name not in header:
            raise RowError(line, name, f"column is missing; the header must be {expected}")
    return [header.index(name) if name in header else None for name in (*columns, *optional)]


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
