"""Receipts and printed reports, read back as text with poppler's ``pdftotext``, on every
backend; and the command line that prints them (``crpm receipt``, ``crpm order show``,
``crpm report … --format pdf``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime, time
from decimal import Decimal
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import URL

from crpm_core import CRPM, errors
from crpm_core.cli import main
from crpm_core.domain import Order
from tests.core.test_cli import crpm

ZOE = "Zoë Ó Briain-Łukasiewicz"


@pytest.fixture
def url(db_url: URL) -> str:
    return db_url.render_as_string(hide_password=False)


def pdf_text(data: bytes) -> str:
    """The text of a PDF as ``pdftotext -layout`` lays it out. Without poppler-utils the test
    fails: a receipt that is never read back proves nothing."""
    assert data.startswith(b"%PDF-"), data[:20]
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (tests read PDFs back)")
    done = subprocess.run(
        [tool, "-layout", "-enc", "UTF-8", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


def pdf_file_text(path: Path) -> str:
    return pdf_text(path.read_bytes())


def row(text: str, *cells: str) -> re.Match[str] | None:
    """The line of ``text`` holding ``cells`` in this order, separated by spaces only."""
    pattern = r"^\s*" + r"\s+".join(re.escape(c) for c in cells) + r"\s*$"
    return re.search(pattern, text, re.M)


class Counter:
    """A shop with Greek, Cyrillic and Polish names, a three-line order with a return."""

    def __init__(self, crm: CRPM) -> None:
        self.crm = crm
        self.zoe = crm.customers.add(name=ZOE, email="zoe@example.ie")
        self.ivan = crm.customers.add(name="Иван Петров", email="ivan@example.ru")
        self.wine = crm.products.add(name="Κρασί", price=Decimal("12.50"), stock=20, sku="WINE")
        self.tea = crm.products.add(name="Чай", price=Decimal("4.00"), stock=20, sku="TEA")
        self.vodka = crm.products.add(
            name="Żubrówka 0,7 l", price=Decimal("1234.99"), stock=5, sku="ZUB"
        )

    def order(
        self,
        *,
        ref: str | None = None,
        note: str | None = None,
        purchased_at: datetime = datetime(2026, 7, 1, 23, 30, tzinfo=UTC),
    ) -> Order:
        order = self.crm.orders.place(
            customer_id=self.zoe.id,
            lines=[(self.wine.id, 3), (self.tea.id, 2), (self.vodka.id, 1)],
            purchased_at=purchased_at,
            ref=ref,
            note=note,
        )
        self.crm.purchases.return_items(order.lines[0].id, 1, note="corked")
        return self.crm.orders.get(order.id)


@pytest.fixture
def counter(crm: CRPM) -> Counter:
    return Counter(crm)


# Receipts ---------------------------------------------------------------------------------


def test_a_receipt_shows_every_line_in_its_own_script(counter: Counter) -> None:
    crm = counter.crm
    crm.settings.update(shop_name="Sklep Łucji · Κρασί & Чай")
    order = counter.order(ref="WEB-1001", note="Gift wrap, please")
    assert order.total == Decimal("1267.99")  # 2 * 12.50 + 2 * 4.00 + 1234.99
    text = pdf_text(crm.orders.receipt_pdf(order.id))
    assert "Sklep Łucji · Κρασί & Чай" in text
    assert f"Order {order.id} (ref WEB-1001)" in text
    assert f"Customer: {ZOE}" in text and "zoe@example.ie" in text
    # product, quantity, returned, unit price, total net of returns; EUR is the default
    assert row(text, "Κρασί", "3", "1", "€12.50", "€25.00")
    assert row(text, "Чай", "2", "€4.00", "€8.00")
    assert row(text, "Żubrówka 0,7 l", "1", "€1,234.99", "€1,234.99")
    assert row(text, "Total", "€1,267.99")
    assert "Date: 2026-07-01 23:30 UTC" in text
    assert "Note: Gift wrap, please" in text
    assert "CANCELLED" not in text


def test_a_receipt_without_returns_or_ref_has_no_such_column(counter: Counter) -> None:
    crm = counter.crm
    order = crm.orders.place(customer_id=counter.ivan.id, lines=[(counter.tea.id, 4)])
    text = pdf_text(crm.orders.receipt_pdf(order.id))
    assert f"Order {order.id}\n" in text and "ref" not in text
    assert "Returned" not in text
    assert "Customer: Иван Петров" in text
    assert row(text, "Чай", "4", "€4.00", "€16.00")
    assert row(text, "Total", "€16.00")
    assert "My shop" in text  # the default shop name


def test_a_receipt_uses_the_shops_currency_and_time_zone(counter: Counter) -> None:
    crm = counter.crm
    crm.settings.update(currency="GBP", timezone="Europe/London")
    summer = counter.order()  # 2026-07-01T23:30Z is already the 2nd in London (BST)
    text = pdf_text(crm.orders.receipt_pdf(summer.id))
    assert "Date: 2026-07-02 00:30 BST" in text
    assert row(text, "Κρασί", "3", "1", "£12.50", "£25.00")
    assert row(text, "Total", "£1,267.99")
    assert "€" not in text
    winter = counter.order(purchased_at=datetime(2026, 1, 15, 23, 30, tzinfo=UTC))
    assert "Date: 2026-01-15 23:30 GMT" in pdf_text(crm.orders.receipt_pdf(winter.id))
    crm.settings.update(currency="JPY", timezone="Asia/Tokyo")
    text = pdf_text(crm.orders.receipt_pdf(winter.id))
    assert "Date: 2026-01-16 08:30 JST" in text and "¥" in text


def test_a_cancelled_order_says_so(counter: Counter) -> None:
    crm = counter.crm
    order = counter.order(ref="WEB-2")
    crm.orders.cancel(order.id)
    text = pdf_text(crm.orders.receipt_pdf(order.id))
    assert "CANCELLED" in text
    assert f"Order {order.id} (ref WEB-2)" in text
    assert row(text, "Чай", "2", "€4.00", "€8.00")  # what was sold stays readable


def test_a_line_cancelled_alone_is_marked(counter: Counter) -> None:
    crm = counter.crm
    order = crm.orders.place(
        customer_id=counter.zoe.id, lines=[(counter.wine.id, 1), (counter.tea.id, 1)]
    )
    crm.purchases.cancel(order.lines[1].id)
    text = pdf_text(crm.orders.receipt_pdf(order.id))
    assert "Чай (cancelled)" in text and "CANCELLED" not in text


def test_a_long_name_wraps_and_nothing_is_lost(counter: Counter) -> None:
    crm = counter.crm
    words = [f"słowo{i}" for i in range(30)]
    long = crm.products.add(name=" ".join(words)[:200], price=Decimal("1.00"), stock=1)
    order = crm.orders.place(customer_id=counter.zoe.id, lines=[(long.id, 1)])
    text = pdf_text(crm.orders.receipt_pdf(order.id))
    assert all(w in text.split() for w in long.name.split())
    assert row(text, "Total", "€1.00")


def test_an_unknown_order_has_no_receipt(crm: CRPM) -> None:
    for missing in (1, 987_654, 2**63 - 1, 0, 2**63):
        with pytest.raises(errors.NotFound):
            crm.orders.receipt_pdf(missing)


def test_the_fonts_and_their_licence_ship_with_the_package() -> None:
    fonts = resources.files("crpm_core.printing") / "fonts"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        assert (fonts / name).read_bytes()[:4] == b"\x00\x01\x00\x00"  # TrueType
    assert "Bitstream Vera" in (fonts / "LICENSE").read_text(encoding="utf-8")
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"printing/fonts/*.ttf"' in pyproject and '"printing/fonts/LICENSE"' in pyproject


# Command line -----------------------------------------------------------------------------


def test_crpm_receipt_writes_a_pdf(
    counter: Counter, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order = counter.order(ref="WEB-7")
    target = tmp_path / "receipt.pdf"
    code, out, err = crpm(capsys, "--db", url, "receipt", str(order.id), "-o", str(target))
    assert (code, out) == (0, "")
    assert err == f"wrote the receipt of order {order.id} to {target}\n"
    assert target.read_bytes().startswith(b"%PDF-")
    text = pdf_file_text(target)
    assert f"Order {order.id} (ref WEB-7)" in text and ZOE in text
    assert row(text, "Κρασί", "3", "1", "€12.50", "€25.00")


def test_crpm_receipt_to_standard_output(
    counter: Counter, url: str, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    order = counter.order()
    assert main(["receipt", str(order.id), "-o", "-", "--db", url]) == 0
    out, err = capsysbinary.readouterr()
    assert out.startswith(b"%PDF-") and out.rstrip().endswith(b"%%EOF")
    assert err.decode() == f"wrote the receipt of order {order.id} to standard output\n"
    assert ZOE in pdf_text(out)


def test_crpm_receipt_refusals_are_one_line(
    crm: CRPM, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "r.pdf"
    code, _, err = crpm(capsys, "--db", url, "receipt", "4242", "-o", str(target))
    assert (code, err) == (1, "crpm: error: order 4242 does not exist\n")
    assert not target.exists()
    code, _, err = crpm(capsys, "--db", url, "receipt", "abc", "-o", str(target))
    assert code == 2 and "'abc' is not an order number" in err
    code, _, err = crpm(capsys, "--db", url, "receipt", "1")
    assert code == 2 and "-o" in err


def test_crpm_order_show(counter: Counter, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    crm = counter.crm
    crm.settings.update(currency="GBP", timezone="Europe/London")
    order = counter.order(ref="WEB-1001", note="Gift wrap")
    code, out, err = crpm(capsys, "--db", url, "order", "show", str(order.id))
    assert (code, err) == (0, "")
    assert row(out, "order", str(order.id))
    assert row(out, "ref", "WEB-1001")
    assert row(out, "placed", "2026-07-02", "00:30", "BST")
    assert f"customer  {ZOE} <zoe@example.ie>" in out
    assert row(out, "status", "sold;", "1", "unit", "returned")
    assert row(out, "note", "Gift", "wrap")
    wine, tea, vodka = order.lines
    assert row(out, str(wine.id), "Κρασί", "WINE", "3", "1", "£12.50", "£25.00")
    assert row(out, str(tea.id), "Чай", "TEA", "2", "£4.00", "£8.00")
    assert row(out, str(vodka.id), "Żubrówka 0,7 l", "ZUB", "1", "£1,234.99", "£1,234.99")
    assert row(out, "total", "£1,267.99")
    crm.orders.cancel(order.id)
    code, out, _ = crpm(capsys, "--db", url, "order", "show", str(order.id))
    assert code == 0 and re.search(r"^status\s+cancelled on \d{4}-\d\d-\d\d \d\d:\d\d", out, re.M)
    code, _, err = crpm(capsys, "--db", url, "order", "show", "999999")
    assert (code, err) == (1, "crpm: error: order 999999 does not exist\n")


# Printed reports --------------------------------------------------------------------------


@pytest.fixture
def season(counter: Counter) -> Counter:
    """Orders over three months, with a return and a cancelled order."""
    crm = counter.crm
    counter.order(purchased_at=datetime(2026, 3, 5, 10, tzinfo=UTC))
    crm.orders.place(
        customer_id=counter.ivan.id,
        lines=[(counter.tea.id, 5), (counter.wine.id, 1)],
        purchased_at=datetime(2026, 4, 20, 9, tzinfo=UTC),
    )
    gone = crm.orders.place(
        customer_id=counter.ivan.id,
        lines=[(counter.vodka.id, 1)],
        purchased_at=datetime(2026, 5, 2, 9, tzinfo=UTC),
    )
    crm.orders.cancel(gone.id)
    crm.products.add(name="Никогда", price=Decimal("2.00"), stock=1, sku="NEVER")
    return counter


def report_pdf(capsys: pytest.CaptureFixture[str], url: str, tmp_path: Path, *args: str) -> str:
    target = tmp_path / f"{args[0]}.pdf"
    code, out, err = crpm(
        capsys, "--db", url, "report", *args, "--format", "pdf", "-o", str(target)
    )
    assert (code, out) == (0, ""), err
    assert err == f"wrote the {args[0]} report to {target}\n"
    return pdf_file_text(target)


def test_summary_pdf_holds_the_library_figures(
    season: Counter, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crm = season.crm
    crm.settings.update(shop_name="Κρασί & Чай")
    s = crm.reports.sales_summary()
    text = report_pdf(capsys, url, tmp_path, "summary")
    assert "Κρασί & Чай" in text and "Sales summary" in text and "Period: all time" in text
    assert row(text, "Revenue", f"€{s.revenue:,}")
    assert row(text, "Units sold", f"{s.units_sold:,}")
    assert row(text, "Units returned", str(s.returned_units)) and s.returned_units == 1
    assert row(text, "Orders", str(s.order_count))
    assert row(text, "Average order value", f"€{s.average_order_value:,}")
    assert row(text, "Stock value (now)", f"€{s.stock_value:,}")
    start = datetime(2026, 4, 1, tzinfo=UTC)
    part = crm.reports.sales_summary(start=start)
    text = report_pdf(capsys, url, tmp_path, "summary", "--start", "2026-04-01")
    assert "Period: 2026-04-01 to now" in text
    assert row(text, "Revenue", f"€{part.revenue:,}") and part.revenue != s.revenue


def test_top_customers_pdf(
    season: Counter, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crm = season.crm
    crm.settings.update(currency="GBP")
    ranking = crm.reports.top_customers()
    assert [r.name for r in ranking] == [ZOE, "Иван Петров"]
    text = report_pdf(
        capsys, url, tmp_path, "top-customers", "--start", "2026-01-01", "--end", "2027-01-01"
    )
    assert "Top customers" in text and "Revenue by customer" in text
    assert "Period: 2026-01-01 to 2027-01-01 (exclusive)" in text
    for r in ranking:
        assert row(
            text, str(r.rank), r.name, r.email, str(r.order_count), str(r.units), f"£{r.revenue:,}"
        )


def test_products_pdf_shows_best_and_least_sellers(
    season: Counter, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crm = season.crm
    rows = crm.reports.product_performance()
    text = report_pdf(capsys, url, tmp_path, "products")
    assert "Best sellers" in text and "Least sellers" in text
    for p in rows:
        assert row(
            text,
            str(p.rank),
            p.name,
            p.sku or "",
            f"{p.units_sold:,}",
            str(p.purchase_count),
            f"€{p.revenue:,}",
            str(p.stock),
        )
        assert f"{p.units_sold:,} · €{p.revenue:,}" in text  # its bars' labels
    assert rows[-1].name == "Никогда"
    text = report_pdf(capsys, url, tmp_path, "products", "--limit", "1")
    assert f"The first 1 of {len(rows)} products" in text
    assert "Никогда" in text  # still among the least sellers, though not in the table
    assert not row(text, str(rows[-1].rank), "Никогда", "NEVER", "0", "0", "€0.00", "1")


def test_over_time_pdf(
    season: Counter, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crm = season.crm
    crm.settings.update(timezone="Europe/Warsaw")
    months = crm.reports.sales_over_time(bucket="month")
    assert len(months) == 2  # May's only order is cancelled
    text = report_pdf(capsys, url, tmp_path, "over-time", "--bucket", "month")
    assert "Sales over time, by month" in text and "times in Europe/Warsaw" in text
    for m in months:
        label = f"{first_day(m.period_start, 'Europe/Warsaw'):%Y-%m}"
        assert row(text, label, f"€{m.revenue:,}", str(m.units_sold), str(m.purchase_count))
    days = crm.reports.sales_over_time(bucket="day")
    text = report_pdf(capsys, url, tmp_path, "over-time")
    for d in days:
        label = first_day(d.period_start, "Europe/Warsaw").isoformat()
        assert row(text, label, f"€{d.revenue:,}", str(d.units_sold), str(d.purchase_count))


def first_day(start: datetime, zone: str) -> date:
    """The day a period starts: local midnight in the shop's zone (the contract), else the
    date as given (buckets still cut in UTC)."""
    here = start.astimezone(ZoneInfo(zone))
    return here.date() if here.time() == time(0) else start.date()


def test_an_empty_report_pdf_says_so(
    crm: CRPM, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("top-customers", "products", "over-time"):
        assert "(nothing in this period)" in report_pdf(capsys, url, tmp_path, name)
    assert row(report_pdf(capsys, url, tmp_path, "summary"), "Revenue", "€0.00")


def test_pdf_reports_need_a_file(
    crm: CRPM, url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = crpm(capsys, "--db", url, "report", "summary", "--format", "pdf")
    assert (code, out) == (2, "")
    assert err.startswith("usage: crpm report summary")
    assert "--format pdf writes a file: give -o FILE.pdf" in err
    target = tmp_path / "top.csv"  # -o also takes the text formats
    code, out, _ = crpm(
        capsys, "--db", url, "report", "top-customers", "--format", "csv", "-o", str(target)
    )
    assert (code, out) == (0, "")
    assert target.read_text(encoding="utf-8").startswith("rank,customer_id,name")
