"""The `crpm` command line, run in-process against every backend."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy.engine import URL

import crpm_core
from crpm_core import CRPM, transfer
from crpm_core.cli import ProgressBar, main
from crpm_core.transfer import Progress
from tests.core.test_transfer import DATA, PURCHASES, Shop, make_shop
from tests.helpers import ledger_sum, snapshot


@pytest.fixture
def url(db_url: URL) -> str:
    return db_url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return make_shop(tmp_path_factory.mktemp("cli-shop"), customers=500, products=50, sales=3_000)


def crpm(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``crpm args`` and return its exit status, standard output and standard error."""
    try:
        code = main(list(args))
    except SystemExit as stop:  # argparse: --help, --version, usage errors
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert crpm(capsys, "--version") == (0, f"crpm {crpm_core.__version__}\n", "")


def test_help_documents_the_stock_options_and_time_zones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = crpm(capsys, "import", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "--history-only" in text and "--move-stock" in text
    assert "must carry a time zone" in text and 'one "sale" movement per product' in text
    code, out, _ = crpm(capsys, "export", "--help")
    assert code == 0 and "'+353 1 555 0101" in out


# Import ----------------------------------------------------------------------------------


def test_import_a_shop(crm: CRPM, url: str, shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    assert crpm(capsys, "--db", url, "import", "customers", str(shop.customers)) == (
        0,
        f"imported 500 customers from {shop.customers}\n",
        "",
    )
    code, out, _ = crpm(capsys, "import", "products", str(shop.products), "--db", url)
    assert code == 0 and out.startswith("imported 50 products")
    code, out, _ = crpm(capsys, "--db", url, "import", "purchases", str(shop.purchases))
    assert code == 0
    assert (
        out == f"imported 3,000 purchases from {shop.purchases} (history only: stock untouched)\n"
    )
    assert crm.purchases.list(limit=1).total == 3_000
    assert {p.sku: p.stock for p in crm.products.list(limit=100)} == shop.stock


def test_move_stock_from_the_command_line(
    crm: CRPM, url: str, shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    transfer.import_customers(crm, shop.customers)
    transfer.import_products(crm, shop.products)
    code, out, _ = crpm(
        capsys, "--db", url, "import", "purchases", str(shop.purchases), "--move-stock"
    )
    assert (code, out.endswith("(stock moved)\n")) == (0, True)
    for product in crm.products.list(limit=100):
        assert product.stock == shop.stock[str(product.sku)] - shop.units.get(str(product.sku), 0)
        assert ledger_sum(crm, product.id) == product.stock


def test_move_stock_is_only_for_purchases(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = crpm(capsys, "--db", url, "import", "customers", "x.csv", "--move-stock")
    assert code == 2 and "--move-stock applies only to purchases" in err
    code, _, err = crpm(
        capsys, "--db", url, "import", "purchases", "x.csv", "--move-stock", "--history-only"
    )
    assert code == 2 and "not allowed with" in err


def test_a_bad_row_is_one_line_on_stderr_and_nothing_changes(
    crm: CRPM, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    before = snapshot(crm)
    lines = ["name,email,phone"] + [
        f"José {i},jose.{i}@example.es,+34 91 123 45 67" for i in range(999)
    ]
    lines[700] = "José Álvarez-Núñez,ZOE@EXAMPLE.IE,"
    path = tmp_path / "customers.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = crpm(capsys, "--db", url, "import", "customers", str(path))
    assert (code, out) == (1, "")
    assert err == (
        f"crpm: error: {path}: line 701, column email: ZOE@EXAMPLE.IE is already used by a "
        "customer (any case); nothing was imported\n"
    )
    assert snapshot(crm) == before


def test_overselling_with_move_stock_suggests_history_only(
    crm: CRPM, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crm.customers.add(name="山田 太郎", email="taro@example.jp")
    crm.products.add(name="Matcha whisk", price="15.00", stock=1, sku="WHISK")
    before = snapshot(crm)
    path = tmp_path / "p.csv"
    path.write_text(
        f"{PURCHASES}\ntaro@example.jp,WHISK,2,15.00,2024-03-01T00:00:00Z\n", encoding="utf-8"
    )
    code, _, err = crpm(capsys, "--db", url, "import", "purchases", str(path), "--move-stock")
    assert code == 1
    assert "line 2, column quantity: product WHISK has 1 in stock" in err
    assert "--history-only" in err
    assert snapshot(crm) == before


def test_import_from_standard_input(
    crm: CRPM, url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (DATA / "customers_real.csv").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, out, _ = crpm(capsys, "--db", url, "import", "customers", "-")
    assert (code, out) == (0, "imported 19 customers from standard input\n")
    assert crm.customers.list().total == 19


def test_a_progress_bar_shows_on_a_terminal(
    crm: CRPM, url: str, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["--db", url, "import", "customers", str(shop.customers)]) == 0
    shown = terminal.getvalue()
    assert "\rimport customers: checking [" in shown and "] 100% 500 rows" in shown
    assert "\rimport customers: writing  [########################] 100% 500 rows" in shown
    assert shown.endswith("\r")  # the bar is erased at the end
    terminal.seek(0)
    terminal.truncate()
    assert main(["--db", url, "import", "products", str(shop.products), "--no-progress"]) == 0
    assert terminal.getvalue() == ""


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    crm: CRPM, url: str, shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = crpm(capsys, "--db", url, "import", "customers", str(shop.customers))
    assert (code, err) == (0, "")


def test_progress_bar_draws_at_most_every_interval() -> None:
    stream = io.StringIO()
    ticks = iter([0.0, 0.01, 0.05, 0.2, 0.21])
    bar = ProgressBar(stream, "import", width=10, interval=0.1, clock=lambda: next(ticks))
    bar(Progress("checking", 1_000, 0.1))
    bar(Progress("checking", 2_000, 0.2))  # too soon: skipped
    bar(Progress("checking", 3_000, None))  # too soon: skipped
    bar(Progress("checking", 4_000, None))
    bar(Progress("writing", 4_000, 1.0))  # the end is always drawn
    frames = stream.getvalue().split("\r")[1:]
    assert [f.rstrip() for f in frames] == [
        "import: checking [#.........]  10% 1,000 rows",
        "import: checking 4,000 rows",
        "import: writing  [##########] 100% 4,000 rows",
    ]
    bar.close()
    assert stream.getvalue().endswith("\r" + " " * len(frames[-1]) + "\r")


# Export ----------------------------------------------------------------------------------


def test_export_to_stdout_and_file_round_trip(
    crm: CRPM, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    transfer.import_customers(crm, DATA / "customers_real.csv")
    crm.customers.add(name="=1+2", email="formula@example.com", phone="+1 212 555 0123")
    code, out, err = crpm(capsys, "--db", url, "export", "customers", "-")
    assert (code, err) == (0, "exported 20 customers to standard output\n")
    assert "'=1+2,formula@example.com,'+1 212 555 0123" in out
    path = tmp_path / "customers.csv"
    assert crpm(capsys, "--db", url, "export", "customers", str(path))[0] == 0
    assert path.read_bytes().decode("utf-8") == out
    code, raw, _ = crpm(capsys, "--db", url, "export", "customers", "-", "--raw")
    assert "\r\n=1+2,formula@example.com,+1 212 555 0123\r\n" in raw

    before = [(c.name, c.email, c.phone) for c in crm.customers.list(order_by="id")]
    from tests.helpers import wipe

    wipe(crm)
    assert crpm(capsys, "--db", url, "import", "customers", str(path))[0] == 0
    assert [(c.name, c.email, c.phone) for c in crm.customers.list(order_by="id")] == before


# Reports ---------------------------------------------------------------------------------


@pytest.fixture
def sales(crm: CRPM) -> CRPM:
    transfer.import_customers(crm, DATA / "customers_real.csv")
    transfer.import_products(
        crm,
        io.StringIO(
            "sku,name,price,stock\nESP,Espresso beans 1kg,18.90,100\nCB,Crème brûlée kit,24.00,10\n"
            "MUG,Ceramic mug,9.99,50\nGADGET,Never-sold gadget,99.99,3\n"
        ),
    )
    rows = [
        "zoe.obrien@example.ie,ESP,2,18.90,2024-02-29T23:59:59Z",
        "zoe.obrien@example.ie,CB,1,24.00,2024-03-01T00:00:00Z",
        "taro.yamada@example.jp,ESP,5,17.50,2024-03-15T08:00:00+09:00",
        "jose.alvarez@ejemplo.es,MUG,3,9.99,2024-04-02T12:00:00-05:00",
        "jose.alvarez@ejemplo.es,ESP,1,18.90,2024-06-30T23:00:00-02:00",
        "minh.khai@example.vn,CB,2,24.00,2024-07-01T10:00:00Z",
    ]
    transfer.import_purchases(crm, io.StringIO(PURCHASES + "\n" + "\n".join(rows) + "\n"))
    zoe = crm.customers.list(search="zoe.obrien").items[0]
    mug = crm.products.list(search="MUG").items[0]
    crm.purchases.cancel(crm.purchases.record(customer_id=zoe.id, product_id=mug.id, quantity=4).id)
    return crm


REPORT_CALLS: list[tuple[list[str], str, dict[str, Any]]] = [
    (["summary"], "sales_summary", {}),
    (
        ["summary", "--start", "2024-03-01", "--end", "2024-07-01T02:00+02:00"],
        "sales_summary",
        {"start": datetime(2024, 3, 1, tzinfo=UTC), "end": datetime(2024, 7, 1, tzinfo=UTC)},
    ),
    (["top-customers"], "top_customers", {"limit": 10}),
    (["top-customers", "--limit", "2"], "top_customers", {"limit": 2}),
    (
        ["top-customers", "--start", "2024-03-01T00:00", "--end", "2024-04-01"],
        "top_customers",
        {
            "limit": 10,
            "start": datetime(2024, 3, 1, tzinfo=UTC),
            "end": datetime(2024, 4, 1, tzinfo=UTC),
        },
    ),
    (["products"], "product_performance", {}),
    (["over-time", "--bucket", "month"], "sales_over_time", {"bucket": "month"}),
    (
        ["over-time", "--bucket", "week", "--start", "2024-02-26", "--end", "2024-03-18"],
        "sales_over_time",
        {
            "bucket": "week",
            "start": datetime(2024, 2, 26, tzinfo=UTC),
            "end": datetime(2024, 3, 18, tzinfo=UTC),
        },
    ),
    (["over-time"], "sales_over_time", {"bucket": "day"}),
]


def library(crm: CRPM, method: str, kwargs: dict[str, Any]) -> list[Any]:
    result = getattr(crm.reports, method)(**kwargs)
    return result if isinstance(result, list) else [result]


def as_json(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@pytest.mark.parametrize(("args", "method", "kwargs"), REPORT_CALLS)
def test_json_reports_equal_the_library(
    sales: CRPM,
    url: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    method: str,
    kwargs: dict[str, Any],
) -> None:
    code, out, _ = crpm(capsys, "--db", url, "report", *args, "--format", "json")
    assert code == 0
    expected = [
        {k: as_json(v) for k, v in attrs.asdict(r).items()} for r in library(sales, method, kwargs)
    ]
    got = json.loads(out)
    assert (got if isinstance(got, list) else [got]) == expected
    assert expected  # every case has something to show
    for row in expected:  # money is a string with exactly two places
        for key in ("revenue", "stock_value", "average_order_value"):
            if key in row:
                assert re.fullmatch(r"\d+\.\d\d", row[key])


@pytest.mark.parametrize(("args", "method", "kwargs"), REPORT_CALLS)
def test_csv_reports_equal_the_library(
    sales: CRPM,
    url: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    method: str,
    kwargs: dict[str, Any],
) -> None:
    code, out, _ = crpm(capsys, "report", *args, "--db", url, "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    results = library(sales, method, kwargs)
    assert rows[0] == [f.name for f in attrs.fields(type(results[0]))]
    assert [[transfer.unguard(c) for c in row] for row in rows[1:]] == [
        [_csv(v) for v in attrs.astuple(r, recurse=False)] for r in results
    ]


def _csv(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def test_table_reports_show_the_library_figures(
    sales: CRPM, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = crpm(capsys, "--db", url, "report", "top-customers")
    assert code == 0
    header, rule, *body = out.splitlines()
    assert header.split() == [
        "rank",
        "customer",
        "id",
        "name",
        "email",
        "purchase",
        "count",
        "units",
        "revenue",
        "order",
        "count",
    ]
    assert set(rule) == {"-", " "}
    ranking = sales.reports.top_customers()
    assert [re.split(r"\s{2,}", line.strip()) for line in body] == [
        [
            str(r.rank),
            str(r.customer_id),
            r.name,
            r.email,
            str(r.purchase_count),
            str(r.units),
            str(r.revenue),
            str(r.order_count),
        ]
        for r in ranking
    ]
    # The last column is right-aligned: every line ends in the same terminal column, also
    # those with 山田 太郎, whose characters take two columns each.
    assert any("山田 太郎" in line for line in body)
    assert len({_columns(line) for line in out.splitlines()}) == 1

    code, out, _ = crpm(capsys, "--db", url, "report", "summary", "--start", "2024-03-01")
    summary = sales.reports.sales_summary(start=datetime(2024, 3, 1, tzinfo=UTC))
    cells = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in out.splitlines()[2:]]
    figures = {c[0]: c[1] if len(c) > 1 else "" for c in cells}
    assert figures["revenue"] == str(summary.revenue) == "208.37"
    assert figures["start"] == "2024-03-01" and figures["end"] == ""
    assert figures["units sold"] == str(summary.units_sold)

    code, out, _ = crpm(capsys, "--db", url, "report", "products", "--limit", "2")
    body = out.splitlines()[2:]
    best = sales.reports.product_performance()[:2]
    assert [line.split()[:3] for line in body] == [
        [str(p.rank), str(p.product_id), str(p.sku)] for p in best
    ]
    assert all(line.endswith("yes") for line in body)


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_empty_period_and_bad_ranges(
    sales: CRPM, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = crpm(
        capsys, "--db", url, "report", "top-customers", "--start", "2030-01-01", "--format", "json"
    )
    assert (code, json.loads(out)) == (0, [])
    code, out, _ = crpm(capsys, "--db", url, "report", "top-customers", "--start", "2030-01-01")
    assert code == 0 and out.endswith("(nothing in this period)\n")
    code, _, err = crpm(
        capsys, "--db", url, "report", "summary", "--start", "2024-05-01", "--end", "2024-04-01"
    )
    assert code == 1 and err == "crpm: error: end: must not be before start\n"
    code, _, err = crpm(capsys, "--db", url, "report", "summary", "--start", "last tuesday")
    assert code == 2 and "is not a date" in err
    code, _, err = crpm(capsys, "--db", url, "report", "top-customers", "--limit", "0")
    assert code == 2


# Demo and errors -------------------------------------------------------------------------


def test_demo_fills_an_empty_database_once(
    crm: CRPM, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = crpm(capsys, "--db", url, "demo", "--customers", "6", "--purchases", "25")
    assert (code, out) == (0, "added 6 customers, 32 products and 25 purchases\n")
    assert crm.customers.list().total == 6 and crm.purchases.list().total == 25
    before = snapshot(crm)
    code, out, err = crpm(capsys, "--db", url, "demo")
    assert (code, out) == (1, "")
    assert "already has customers or products" in err and "--force" in err
    assert snapshot(crm) == before


def test_expected_errors_are_one_line_without_traceback(
    crm: CRPM, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.csv"
    code, _, err = crpm(capsys, "--db", url, "import", "products", str(missing))
    assert (code, err) == (1, f"crpm: error: {missing}: no such file\n")
    code, _, err = crpm(capsys, "--db", "nosuchdb://x", "report", "summary")
    assert code == 1 and err.startswith("crpm: error: not a usable database URL")
    closed = "postgresql://nobody:secret@127.0.0.1:1/none"
    code, _, err = crpm(capsys, "--db", closed, "export", "customers", "-")
    assert code == 1 and err.startswith("crpm: error: the database cannot be used")
    assert "secret" not in err and len(err.splitlines()) == 1
    code, _, err = crpm(capsys, "--db", url, "import", "orders", "x.csv")
    assert code == 2 and "invalid choice" in err


def test_demo_twice_with_force_adds_a_second_shop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["--db", url, "demo", "--customers", "20", "--purchases", "50"]
    assert main(args) == 0
    assert main(args) == 1  # not empty: refused without --force
    assert main([*args, "--force"]) == 0
    with crpm_core.connect(url) as crm:
        assert crm.customers.list().total == 40
        assert crm.reports.sales_summary().purchase_count == 100


def test_export_movements_streams_the_stock_ledger(
    crm: CRPM, db_url: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    url = db_url.render_as_string(hide_password=False)
    product = crm.products.add(name="Kettle", price="49.00", stock=3, sku="KET")
    crm.products.restock(product.id, 2, note="-5% supplier promo")
    code, out, err = crpm(capsys, "--db", url, "export", "movements", "-")
    assert code == 0 and "exported 2 movements" in err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["kind"], r["change"], r["stock_after"]) for r in rows] == [
        ("initial", "3", "3"),
        ("restock", "2", "5"),
    ]
    assert rows[1]["note"] == "'-5% supplier promo"
