"""The archive's values, kind by kind: each comes back exactly as it went in, and a line that
is not what the manifest says is refused with its file and line number."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crpm_core.backup import RestoreRefused, TableEntry
from crpm_core.backup._format import row_encoder, rows_decoder

KINDS = ["integer", "text", "boolean", "datetime", "decimal", "date", "float", "bytes"]
ENTRY = TableEntry(
    name="things",
    file="things.jsonl",
    columns=tuple((f"c_{k}", k) for k in KINDS),
    rows=0,
    sha256="0" * 64,
)

values = st.tuples(
    st.none() | st.integers(min_value=-(2**70), max_value=2**70),
    st.none() | st.text(),
    st.none() | st.booleans(),
    st.none() | st.datetimes(timezones=st.just(UTC)),
    st.none() | st.decimals(allow_nan=False, allow_infinity=False),
    st.none() | st.dates(),
    st.none() | st.floats(allow_nan=False, allow_infinity=False),
    st.none() | st.binary(),
)


@given(rows=st.lists(values, max_size=20))
def test_every_kind_round_trips_exactly(rows: list[tuple[object, ...]]) -> None:
    data = row_encoder(KINDS)(rows) if rows else b""
    lines = data.splitlines(keepends=True)
    assert len(lines) == len(rows)
    decoded = rows_decoder(ENTRY)(lines, 1) if lines else []
    assert [tuple(r.values()) for r in decoded] == rows


def test_times_are_written_in_utc_and_naive_ones_taken_as_utc() -> None:
    dublin_summer = datetime(2024, 7, 1, 12, 30, tzinfo=timezone(timedelta(hours=1)))
    naive = datetime(2024, 1, 1, 0, 0)
    line = row_encoder(["datetime", "datetime"])([(dublin_summer, naive)])
    assert line == b'["2024-07-01T11:30:00.000000+00:00","2024-01-01T00:00:00.000000+00:00"]\n'


def test_a_wrong_line_is_named_by_its_number() -> None:
    entry = TableEntry("t", "t.jsonl", (("id", "integer"), ("at", "datetime")), 3, "0" * 64)
    decode = rows_decoder(entry)
    good = b'[1,"2024-01-01T00:00:00+00:00"]\n'
    for bad, why in [
        (b'[2,"2024-01-01T00:00:00"]\n', "a time without its zone"),
        (b"[2]\n", "not a list of 2 values"),
        (b'[2,"2024-01-01T00:00:00+00:00"\n', "line 11"),
        (b'{"id":2}\n', "not a list of 2 values"),
    ]:
        with pytest.raises(RestoreRefused, match=r"t\.jsonl line 11") as refused:
            decode([good, bad, good], 10)
        assert why in str(refused.value)
    assert decode([good], 1) == [{"id": 1, "at": datetime(2024, 1, 1, tzinfo=UTC)}]


def test_decimals_and_dates_are_exact_text() -> None:
    line = row_encoder(["decimal", "date", "bytes"])(
        [(Decimal("12345678901234567890.01"), date(1, 1, 2), b"\x00\xff")]
    )
    assert line == b'["12345678901234567890.01","0001-01-02","AP8="]\n'
