"""crpm_core.tabular: one text form for values, one formula guard, one CSV writer, used by
the export, the command line's reports and the app's downloads alike."""

from __future__ import annotations

import ast
import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import crpm_core
from crpm_core import CRPM, tabular, transfer
from crpm_core.cli import write_report
from crpm_core.domain import CustomerRanking
from crpm_core.tabular import FORMULA_STARTS, cell, csv_bytes, guard, unguard, write_csv
from crpm_ui import formatting

TRICKY = [  # names a customer may have (a tab or a carriage return is not one)
    "'Ohana",  # a leading quote: guarded too, so that unguard gives it back
    "''",
    "'=1+1",
    "=HYPERLINK(1)",
    "+353 1 555 0101",
    "-2+3",
    "@Cup",
    "Zoë O'Brien",
    "plain",
]


# The guard --------------------------------------------------------------------------------


@given(st.text())
def test_unguard_undoes_guard_on_any_text(text: str) -> None:
    assert unguard(guard(text)) == text


@given(st.text())
def test_a_guarded_cell_never_starts_like_a_formula(text: str) -> None:
    guarded = guard(text)
    assert guarded[:1] not in FORMULA_STARTS
    assert guarded == ("'" + text if text[:1] in FORMULA_STARTS | {"'"} else text)


@pytest.mark.parametrize("start", sorted(FORMULA_STARTS))
@given(rest=st.text())
def test_every_formula_start_is_guarded(start: str, rest: str) -> None:
    assert guard(start + rest) == "'" + start + rest


def test_the_formula_starts_are_owasps() -> None:
    assert frozenset("=+-@\t\r") == FORMULA_STARTS


@pytest.mark.parametrize("text", ["'Ohana", "Zoë O'Brien", "'", "x'=", ""])
def test_a_quote_not_before_a_formula_start_is_kept_on_import(text: str) -> None:
    assert unguard(text) == text


# Values as text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("", ""),
        ("=x", "=x"),  # cell() gives the text; guarding is the writer's business
        (Decimal("12.50"), "12.50"),
        (Decimal("-4.00"), "-4.00"),
        (Decimal("1E+2"), "100"),
        (Decimal("0.000001"), "0.000001"),
        (True, "true"),
        (False, "false"),
        (-4, "-4"),
        (0, "0"),
        (datetime(2024, 5, 1, 9, 30, tzinfo=UTC), "2024-05-01T09:30:00+00:00"),
        (
            datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))),
            "2024-05-01T09:30:00+02:00",
        ),
        (date(2024, 5, 1), "2024-05-01"),
    ],
)
def test_one_text_for_each_value(value: object, text: str) -> None:
    assert cell(value) == text


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_money_is_plain_and_exact(value: Decimal) -> None:
    text = cell(value)
    assert "E" not in text.upper()
    assert Decimal(text) == value


# The writer -------------------------------------------------------------------------------


def parse(data: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data, newline="")))


_value = st.one_of(
    st.text(),
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.none(),
    st.booleans(),
)


@given(st.lists(st.tuples(_value, _value, _value), max_size=10))
def test_text_is_guarded_and_numbers_are_data(rows: list[tuple[object, object, object]]) -> None:
    out = io.StringIO()
    assert write_csv(out, ["a", "b", "c"], rows) == len(rows)
    header, *back = parse(out.getvalue())
    assert header == ["a", "b", "c"]
    assert len(back) == len(rows)
    for written, row in zip(back, rows, strict=True):
        for text, value in zip(written, row, strict=True):
            if isinstance(value, str):
                assert text == guard(value)
                assert unguard(text) == value  # what an import reads back
            else:
                assert text == cell(value)  # -4 stays -4


def test_numbers_stay_numbers_and_text_is_guarded() -> None:
    data = csv_bytes(["name", "change", "price", "note"], [["-x", -4, Decimal("-1.50"), None]])
    assert data == "\ufeffname,change,price,note\r\n'-x,-4,-1.50,\r\n".encode()


def test_without_the_guard_values_are_written_as_they_are() -> None:
    out = io.StringIO()
    write_csv(out, ["a", "b"], [["=1+1", "'x"]], guard_formulas=False, lineterminator="\n")
    assert out.getvalue() == "a,b\n=1+1,'x\n"


def test_text_columns_choose_which_string_cells_are_text() -> None:
    out = io.StringIO()
    rows = [["-4", "=x", "@y"]]
    write_csv(out, ["change", "name", "note"], rows, text_columns=["name", 2])
    assert parse(out.getvalue())[1] == ["-4", "'=x", "'@y"]


def test_csv_bytes_has_a_byte_order_mark_unless_asked_not_to() -> None:
    assert csv_bytes(["a"], [["Zoë"]]) == "\ufeffa\r\nZoë\r\n".encode()
    assert csv_bytes(["a"], [["Zoë"]], bom=False) == "a\r\nZoë\r\n".encode()


def test_rows_are_written_as_they_come() -> None:
    out = io.StringIO()

    def rows() -> Iterator[list[object]]:
        for i in range(3):
            assert out.getvalue().count("\r\n") == 1 + i  # the rows before are written
            yield [i]

    assert write_csv(out, ["n"], rows()) == 3


def test_the_module_imports_no_database_or_ui_code() -> None:
    tree = ast.parse(Path(tabular.__file__).read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {n.split(".")[0] for n in names} & {"sqlalchemy", "nicegui", "crpm_ui"}
    assert not [n for n in names if n.startswith("crpm_core")]


# One guard for the export, the command line and the app -----------------------------------


def test_the_old_names_are_the_same_functions() -> None:
    assert transfer.guard is guard
    assert transfer.unguard is unguard
    assert transfer.FORMULA_STARTS is FORMULA_STARTS
    assert formatting.csv_bytes is csv_bytes


@pytest.fixture(scope="module")
def shop() -> Iterator[CRPM]:
    """Customers with tricky names, each with one purchase (for the top-customers report)."""
    with crpm_core.connect("sqlite://") as crm:
        product = crm.products.add(name="Tea", price=Decimal("2.50"), stock=100, sku="TEA")
        for i, name in enumerate(TRICKY):
            customer = crm.customers.add(name=name, email=f"c{i}@example.com")
            crm.purchases.record(customer_id=customer.id, product_id=product.id, quantity=1)
        yield crm


def _three_ways(crm: CRPM) -> tuple[list[str], list[str], list[str]]:
    """The customers' names as ``crpm export customers``, ``crpm report top-customers
    --format csv`` and the app's top-customers download write them."""
    exported = io.StringIO()
    transfer.export_customers(crm, exported)
    report = io.StringIO()
    write_report(report, CustomerRanking, crm.reports.top_customers(limit=100), "csv")
    ranking = crm.reports.top_customers(limit=100)
    download = formatting.csv_bytes(["name"], ([c.name] for c in ranking)).decode("utf-8-sig")
    by_export = sorted(r[0] for r in parse(exported.getvalue())[1:])
    at = [f.name for f in attrs.fields(CustomerRanking)].index("name")
    by_report = sorted(r[at] for r in parse(report.getvalue())[1:])
    by_app = sorted(r[0] for r in parse(download)[1:])
    return by_export, by_report, by_app


def test_the_export_the_cli_and_the_app_guard_cells_alike(shop: CRPM) -> None:
    by_export, by_report, by_app = _three_ways(shop)
    assert by_export == by_report == by_app == sorted(guard(n) for n in TRICKY)
    assert "''Ohana" in by_export  # a leading ' gets one more everywhere
    assert sorted(unguard(n) for n in by_export) == sorted(TRICKY)


def test_they_call_the_same_function(shop: CRPM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "guard", lambda text: f"<{text}>")
    by_export, by_report, by_app = _three_ways(shop)
    assert by_export == by_report == by_app == sorted(f"<{n}>" for n in TRICKY)


def test_report_numbers_are_not_guarded(shop: CRPM) -> None:
    report = io.StringIO()
    write_report(report, CustomerRanking, shop.reports.top_customers(limit=1), "csv")
    header, row = parse(report.getvalue())
    assert dict(zip(header, row, strict=True))["revenue"] == "2.50"
