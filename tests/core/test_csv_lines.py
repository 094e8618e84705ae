"""An imported CSV's bad rows name their true line and column: bytes that are not UTF-8 are
reported on their own physical line, with the column whose cell holds them, however far into
the file they are (the reader decodes line by line, it does not read ahead)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crpm_core import CRPM, transfer
from crpm_core.transfer import RowError
from crpm_core.transfer import _files as files
from tests.helpers import snapshot

COLUMNS = ("name", "email", "phone")
BAD = b"Jos\xe9"  # "José" in Latin-1: 0xE9 alone is not UTF-8


def customer_lines(count: int, *, end: bytes = b"\r\n") -> list[bytes]:
    """A header and ``count`` rows, one line each, as bytes with their line end."""
    rows = [b"name,email,phone" + end]
    rows += [f"Zoë {i},zoe.{i}@example.ie,+353 1 555 0101".encode() + end for i in range(count)]
    return rows


def with_bad(lines: list[bytes], line: int, column: int) -> bytes:
    """The lines with the cell of ``column`` on ``line`` (1 is the header) made not UTF-8."""
    cells = lines[line - 1].rstrip(b"\r\n").split(b",")
    cells[column] = BAD + cells[column]
    lines = [*lines]
    lines[line - 1] = b",".join(cells) + b"\r\n"
    return b"".join(lines)


def read_all(source: files.Source) -> list[tuple[int, list[str]]]:
    with files.read_text(source) as (text, _):
        return list(files.records(text, COLUMNS))


def error_of(source: files.Source) -> RowError:
    with pytest.raises(RowError) as caught:
        read_all(source)
    return caught.value


# The line and the column of bytes that are not UTF-8 -------------------------------------


@pytest.mark.parametrize(("line", "column"), [(50_000, 1), (2, 0), (49_999, 2), (60_001, 0)])
def test_a_bad_byte_names_its_exact_line_and_column(tmp_path: Path, line: int, column: int) -> None:
    data = with_bad(customer_lines(60_000), line, column)
    path = tmp_path / "customers.csv"
    path.write_bytes(data)
    for source in (path, io.BytesIO(data), io.BytesIO(b"\xef\xbb\xbf" + data)):
        caught = error_of(source)
        assert (caught.line, caught.column) == (line, COLUMNS[column]), source
        assert "0xE9 is not UTF-8" in caught.message
        assert str(caught).startswith(f"line {line}, column {COLUMNS[column]}: ")


def test_a_bad_byte_inside_a_quoted_cell_spanning_lines_names_its_own_line() -> None:
    data = (
        b"name,email,phone\r\n"
        b"Ada,ada@example.com,\r\n"
        b'"Zo\xc3\xab\r\n'  # line 3: a record of four lines
        b'O\'Brien",zoe@example.ie,"+353 1\r\n'
        b"555\r\n"
        b'0101 \xe9"\r\n'  # line 6: the bad byte, in the phone cell
        b"Bob,bob@example.com,\r\n"
    )
    caught = error_of(io.BytesIO(data))
    assert (caught.line, caught.column) == (6, "phone")


def test_a_bad_byte_on_the_first_line_of_a_multi_line_record() -> None:
    data = b'name,email,phone\n"\xff\nsecond line",x@example.com,\n'
    caught = error_of(io.BytesIO(data))
    assert (caught.line, caught.column) == (2, "name")


def test_a_bad_byte_in_the_header_is_line_1() -> None:
    caught = error_of(io.BytesIO(b"name,em\xe9il,phone\nZo\xc3\xab,zoe@example.ie,\n"))
    assert (caught.line, caught.column) == (1, None)
    assert "not UTF-8" in caught.message


def test_a_character_cut_at_the_end_of_a_line_is_that_line() -> None:
    # The first byte of "ë" (0xC3) ends the line: the character was cut, not split by it.
    data = b"name,email,phone\nZoe,zoe@example.ie,\nZo\xc3\nZoe,x@example.ie,\n"
    caught = error_of(io.BytesIO(data))
    assert caught.line == 3
    assert caught.column == "name"


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_every_kind_of_line_end_counts_lines_the_same(end: bytes) -> None:
    lines = customer_lines(300, end=end)
    lines[200] = lines[200].replace(b"+353", b"+353 \xff")
    caught = error_of(io.BytesIO(b"".join(lines)))
    assert (caught.line, caught.column) == (201, "phone")


def test_a_pipe_that_cannot_seek_reports_the_same_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "CHUNK", 5)  # short reads: lines cut everywhere
    data = with_bad(customer_lines(2_000), 1_234, 1)
    caught = error_of(io.BufferedReader(_Pipe(data), buffer_size=7))
    assert (caught.line, caught.column) == (1_234, "email")


def test_the_bad_byte_comes_before_a_csv_error_in_the_same_record() -> None:
    data = b'name,email,phone\nZoe,zoe@example.ie,\n"Zo\xff"x,zoe@example.ie,\n'
    caught = error_of(io.BytesIO(data))
    assert (caught.line, caught.column) == (3, None)
    assert "not UTF-8" in caught.message


# CSV errors and ordinary rows keep their lines -------------------------------------------


def test_a_csv_syntax_error_names_its_line() -> None:
    data = b'name,email,phone\nZoe,zoe@example.ie,\nAda,ada@example.com,\n"Bob"x,b@example.com,\n'
    caught = error_of(io.BytesIO(data))
    assert (caught.line, caught.column) == (4, None)
    assert "not valid CSV" in caught.message


def test_an_unterminated_quote_is_an_error_at_the_end() -> None:
    caught = error_of(io.BytesIO(b'name,email,phone\nZoe,zoe@example.ie,\n"Ada,a@x.io,\n'))
    assert "not valid CSV" in caught.message


def test_records_start_where_their_first_line_is() -> None:
    data = (
        "\ufeffname,email,phone\r\n"
        '"Zoë\r\nO\'Brien",zoe@example.ie,\r\n'
        "\r\n"
        'Ada,ada@example.com,"+353\n1 555 0101"\n'
        "Bob,bob@example.com,'+44 20 7946 0000\r"
    ).encode()
    assert read_all(io.BytesIO(data)) == [
        (2, ["Zoë\r\nO'Brien", "zoe@example.ie", ""]),
        (5, ["Ada", "ada@example.com", "+353\n1 555 0101"]),
        (7, ["Bob", "bob@example.com", "+44 20 7946 0000"]),  # the guard's ' removed
    ]


def test_a_text_file_opened_without_utf8_sig_still_has_its_header() -> None:
    assert read_all(io.StringIO("\ufeffname,email,phone\nZoë,zoe@example.ie,\n")) == [
        (2, ["Zoë", "zoe@example.ie", ""])
    ]


def outcome(source: files.Source) -> object:
    """The records of a file, or where and why it is refused."""
    try:
        return read_all(source)
    except RowError as exc:
        return (exc.line, exc.column, exc.message)


_cells = st.text(st.characters(codec="utf-8"), max_size=12)


@given(
    rows=st.lists(st.tuples(_cells, _cells, _cells), max_size=12),
    end=st.sampled_from(["\n", "\r\n", "\r"]),
    chunk=st.integers(1, 40),
    bom=st.booleans(),
)
def test_lines_and_cells_are_those_of_a_text_reader(
    rows: list[tuple[str, str, str]], end: str, chunk: int, bom: bool
) -> None:
    """Bytes give the same records, on the same lines, as text read with universal newlines
    (what a TextIOWrapper gave), whatever the cells, line ends and read sizes."""
    out = io.StringIO()
    csv.writer(out, lineterminator=end).writerows([COLUMNS, *rows])
    data = (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()
    text = io.TextIOWrapper(io.BytesIO(data), "utf-8-sig", newline="")
    expected = outcome(text)
    old_chunk = files.CHUNK
    files.CHUNK = chunk
    try:
        assert outcome(io.BytesIO(data)) == expected
    finally:
        files.CHUNK = old_chunk


MARK = "\ue000"  # where the bad byte goes


@given(
    rows=st.lists(
        st.tuples(*[st.text(st.characters(codec="utf-8", exclude_characters=MARK))] * 3),
        min_size=1,
        max_size=8,
    ),
    where=st.tuples(st.integers(0, 7), st.integers(0, 2), st.integers(0, 5)),
    byte=st.sampled_from([0x80, 0xBF, 0xC0, 0xC3, 0xE2, 0xF0, 0xF8, 0xFF]),
    end=st.sampled_from(["\n", "\r\n", "\r"]),
    chunk=st.integers(1, 40),
)
def test_any_bad_byte_anywhere_names_its_physical_line_and_column(
    rows: list[tuple[str, str, str]],
    where: tuple[int, int, int],
    byte: int,
    end: str,
    chunk: int,
) -> None:
    row, column, at = where[0] % len(rows), where[1], where[2]
    cells = list(rows[row])
    cells[column] = cells[column][:at] + MARK + cells[column][at:]
    rows = [*rows[:row], (cells[0], cells[1], cells[2]), *rows[row + 1 :]]
    out = io.StringIO()  # every cell quoted: csv.writer leaves a lone "\r" bare otherwise
    csv.writer(out, lineterminator=end, quoting=csv.QUOTE_ALL).writerows([COLUMNS, *rows])
    data = out.getvalue().encode()
    position = data.index(MARK.encode())
    data = data[:position] + bytes([byte]) + data[position + len(MARK.encode()) :]
    before = data[:position].splitlines(keepends=True)
    line = len(before) + (1 if not before or before[-1].endswith((b"\r", b"\n")) else 0)
    old_chunk = files.CHUNK
    files.CHUNK = chunk
    try:
        caught = error_of(io.BytesIO(data))
    finally:
        files.CHUNK = old_chunk
    assert (caught.line, caught.column) == (line, COLUMNS[column])


# Streaming and progress ------------------------------------------------------------------


def test_reading_streams_in_chunks_and_reports_progress(tmp_path: Path) -> None:
    data = b"".join(customer_lines(50_000))
    source = _Counting(data)
    with files.read_text(source) as (text, fraction):
        assert fraction() == 0.0
        seen = []
        for i, _ in enumerate(files.records(text, COLUMNS)):
            if i % 10_000 == 0:
                seen.append(fraction())
        assert fraction() == 1.0
    assert seen == sorted(seen) and 0 < seen[1] < 1
    assert max(source.sizes) <= files.CHUNK  # never the whole file at once


def test_a_line_longer_than_a_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "CHUNK", 16)
    long = f"name,email,phone\n{'Zoë ' * 5_000},zoe@example.ie,\n".encode()
    caught = error_of(io.BytesIO(long + b"Ada,a\xe9@example.com,\n"))
    assert (caught.line, caught.column) == (3, "email")


# Through the import, on every backend ----------------------------------------------------


def test_an_import_with_a_bad_byte_names_the_line_and_column_and_stores_nothing(
    crm: CRPM, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(with_bad(customer_lines(55_000), 50_000, 1))
    before = snapshot(crm)
    with pytest.raises(RowError) as caught:
        transfer.import_customers(crm, path)
    assert (caught.value.line, caught.value.column) == (50_000, "email")
    assert snapshot(crm) == before
    assert crm.customers.list().total == 0


def test_an_import_with_a_csv_error_stores_nothing(crm: CRPM) -> None:
    data = b"".join(customer_lines(100)) + b'"Bob"x,bob@example.com,\r\n'
    with pytest.raises(RowError) as caught:
        transfer.import_customers(crm, io.BytesIO(data))
    assert (caught.value.line, caught.value.column) == (102, None)
    assert crm.customers.list().total == 0


# Helpers ---------------------------------------------------------------------------------


class _Pipe(io.RawIOBase):
    """A byte stream that cannot seek, like standard input from a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


class _Counting(io.BytesIO):
    """A binary file that remembers the size of every read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.sizes: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.sizes.append(len(self.getbuffer()) if size is None or size < 0 else size)
        return super().read(size)
