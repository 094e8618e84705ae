"""The Dashboard's tiles, chart and lists; Analytics' range, buckets, charts and CSV files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from nicegui import ui
from nicegui.testing import User

from crpm_core import CRPM
from tests.ui.helpers import element, table, until


def sample_shop(shop: CRPM) -> None:
    """Two buyers, three products (one low on stock), four sales, one of them cancelled."""
    now = datetime.now(UTC)
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    bob = shop.customers.add(name="=HYPERLINK(1)", email="bob@example.org")
    tea = shop.products.add(name="Tea", price="2.50", stock=50, sku="TEA")
    low = shop.settings.get().low_stock_default
    cup = shop.products.add(name="@Cup", price="10.00", stock=low + 2, sku="CUP")
    shop.products.add(name="Spoon", price="1.00", stock=40, sku="SPN")
    shop.purchases.record(customer_id=ada.id, product_id=tea.id, quantity=4)  # 10.00
    shop.purchases.record(customer_id=bob.id, product_id=cup.id, quantity=2)  # 20.00
    old = now - timedelta(days=200)
    shop.purchases.record(customer_id=ada.id, product_id=tea.id, quantity=1, purchased_at=old)
    gone = shop.purchases.record(customer_id=ada.id, product_id=tea.id, quantity=10)
    shop.purchases.cancel(gone.id)


async def test_dashboard_tiles_and_lists(app_user: User, shop: CRPM) -> None:
    sample_shop(shop)
    await app_user.open("/")
    assert element(app_user, "tile-revenue").text == "30.00"  # last 30 days, live sales only
    assert element(app_user, "tile-units").text == "6"
    assert element(app_user, "tile-customers").text == "2"
    assert element(app_user, "tile-products").text == "3"
    assert (
        element(app_user, "tile-low-stock").text == "1"
    )  # the cup, at the shop's low_stock_default
    low = table(app_user, "low-stock")
    assert [r["name"] for r in low.rows] == ["@Cup"]
    recent = table(app_user, "recent-purchases")
    assert len(recent.rows) == 3  # the sale of 200 days ago is not recent
    assert recent.rows[0]["total"] == "25.00 (cancelled)"
    trend = element(app_user, "revenue-trend")
    revenue = trend.options["series"][0]["data"]
    assert len(revenue) == 30 and revenue[-1] == 30.0 and sum(revenue) == 30.0


async def test_an_empty_shop_has_a_calm_dashboard(app_user: User, shop: CRPM) -> None:
    await app_user.open("/")
    assert element(app_user, "tile-revenue").text == "0.00"
    assert table(app_user, "recent-purchases").rows == []


async def test_analytics_defaults_to_the_last_30_days(app_user: User, shop: CRPM) -> None:
    sample_shop(shop)
    await app_user.open("/analytics")
    assert element(app_user, "a-revenue").text == "30.00"
    assert element(app_user, "a-units").text == "6"
    assert element(app_user, "a-purchases").text == "2"
    top = element(app_user, "chart-top-customers").options
    assert top["yAxis"]["data"] == ["=HYPERLINK(1)", "Ada"]
    assert top["tooltip"]["renderMode"] == "richText"  # names never become HTML
    best = element(app_user, "chart-best").options["yAxis"]["data"]
    least = element(app_user, "chart-least").options["yAxis"]["data"]
    assert best[0] == "Tea" and least[0] == "Spoon"
    stock = table(app_user, "stock-table")
    assert {r["name"]: r["stock"] for r in stock.rows} == {"Tea": 45, "@Cup": 5, "Spoon": 40}
    moves = table(app_user, "movements-table")
    assert moves.pagination["rowsNumber"] == 8  # 3 initial, 4 sales, 1 cancel


async def test_a_wider_range_and_month_buckets(app_user: User, shop: CRPM) -> None:
    sample_shop(shop)
    await app_user.open("/analytics")
    start = (datetime.now(UTC) - timedelta(days=365)).date().isoformat()
    element(app_user, "range-from").value = start
    await until(lambda: element(app_user, "a-revenue").text == "32.50", what="wider range")
    element(app_user, "bucket").value = "month"  # what a click on "Month" does
    chart = element(app_user, "chart-over-time")
    await until(lambda: len(chart.options["xAxis"]["data"]) in (12, 13), what="months")
    assert sum(chart.options["series"][0]["data"]) == 32.5


async def test_a_reversed_range_is_refused_inline(app_user: User, shop: CRPM) -> None:
    sample_shop(shop)
    await app_user.open("/analytics")
    to = element(app_user, "range-to")
    to.value = "2000-01-01"
    await until(lambda: to.error == "Must not be before the start", what="range error")
    assert element(app_user, "a-revenue").text == "30.00"  # unchanged


async def test_csv_downloads_neutralise_formulas(app_user: User, shop: CRPM) -> None:
    sample_shop(shop)
    await app_user.open("/analytics")
    app_user.find(marker="csv-customers").click()
    response = await app_user.download.next()
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["rank", "name", "email", "purchases", "units", "revenue"]
    assert rows[1][1] == "'=HYPERLINK(1)"  # would run as a formula otherwise
    assert rows[1][5] == "20.00" and rows[2][1] == "Ada"

    app_user.find(marker="csv-stock").click()
    response = await app_user.download.next()
    stock = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[1] for r in stock[1:]] == ["'@Cup", "Spoon", "Tea"]  # lowest stock first

    app_user.find(marker="csv-movements").click()
    response = await app_user.download.next()
    assert response.content.startswith("\ufeff".encode())  # spreadsheets read it as UTF-8
    moves = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(moves) == 8
    assert {r["kind"] for r in moves} == {"initial", "sale", "cancel"}
    assert "-4" in [r["change"] for r in moves]  # numbers stay numbers
    assert "'@Cup" in [r["product_name"] for r in moves]  # text that looks like a formula


async def test_a_stock_update_download_too_big_for_a_browser_points_to_the_cli(
    app_user: User, shop: CRPM, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crpm_ui.modules import analytics  # the module the app loaded (after the fixture)

    sample_shop(shop)
    monkeypatch.setattr(analytics, "MAX_EXPORT_ROWS", 3)
    await app_user.open("/analytics")
    app_user.find(marker="csv-movements").click()
    await app_user.should_see("crpm export movements")
    with pytest.raises(TimeoutError):
        await app_user.download.next(timeout=0.5)


# Defects of issue 12 (each failed before its fix) ---------------------------------------


def _icons(user: User, marker: str) -> list[str]:
    return [e.name for e in element(user, marker).descendants() if isinstance(e, ui.icon)]


async def test_a_range_without_sales_ranks_no_product(app_user: User, shop: CRPM) -> None:
    """Defect 9: no product is ranked at 0 units among no sales; the charts say so."""
    sample_shop(shop)
    await app_user.open("/analytics")
    best = element(app_user, "chart-best")
    least = element(app_user, "chart-least")
    # with sales: the best-selling are those that sold; the least-selling include the
    # product that sold nothing
    assert best.options["yAxis"]["data"] == ["Tea", "@Cup"]
    assert least.options["yAxis"]["data"] == ["Spoon", "@Cup", "Tea"]
    assert "title" not in best.options
    element(app_user, "range-from").value = "2001-01-01"
    element(app_user, "range-to").value = "2001-01-31"
    await until(lambda: element(app_user, "a-units").text == "0", what="an empty range")
    for marker in ("chart-best", "chart-least", "chart-top-customers", "chart-over-time"):
        options = element(app_user, marker).options
        assert options["title"]["text"] == "No sales in this range", marker
    assert best.options["yAxis"]["data"] == [] and least.options["yAxis"]["data"] == []
    assert best.options["series"][0]["data"] == []


async def test_partial_periods_are_labelled_partial(app_user: User, shop: CRPM) -> None:
    """Defect 10: a month the range covers only in part is "2026-10 (partial)"."""
    await app_user.open("/analytics")
    element(app_user, "range-from").value = "2026-10-31"
    element(app_user, "range-to").value = "2026-11-30"
    element(app_user, "bucket").value = "month"
    chart = element(app_user, "chart-over-time")
    await until(
        lambda: chart.options["xAxis"]["data"] == ["2026-10 (partial)", "2026-11"],
        what="month labels",
    )
    element(app_user, "range-to").value = "2026-12-01"
    await until(
        lambda: (
            chart.options["xAxis"]["data"] == ["2026-10 (partial)", "2026-11", "2026-12 (partial)"]
        ),
        what="a partial last month",
    )
    element(app_user, "bucket").value = "week"  # 2026-10-26 is a Monday
    await until(
        lambda: (
            chart.options["xAxis"]["data"][0] == "2026-10-26 (partial)"
            and chart.options["xAxis"]["data"][1] == "2026-11-02"
        ),
        what="week labels",
    )


async def test_good_news_wears_no_warning(app_user: User, shop: CRPM) -> None:
    """Defect 11: "Every product is well stocked" and "No purchases yet" are calm."""
    shop.products.add(name="Tea", price="2.50", stock=500)
    await app_user.open("/")
    assert element(app_user, "tile-low-stock").text == "0"
    assert _icons(app_user, "low-stock-link") == ["check_circle"]
    for marker, icon in (("low-stock", "check_circle"), ("recent-purchases", "info")):
        slot = table(app_user, marker).slots["no-data"].template or ""
        assert f'name="{icon}"' in slot and "warning" not in slot, marker
    shop.products.add(name="Mug", price="5.00", stock=1)  # at or below the default point
    await app_user.open("/")
    assert element(app_user, "tile-low-stock").text == "1"
    assert _icons(app_user, "low-stock-link") == ["warning"]  # bad news may warn


async def test_the_to_date_is_inclusive_and_the_cli_equivalent_is_shown(
    app_user: User, shop: CRPM
) -> None:
    """Defect 14: the app's To is a whole day, included; the CLI's --end is the day after."""
    await app_user.open("/analytics")
    element(app_user, "range-from").value = "2026-02-01"
    element(app_user, "range-to").value = "2026-02-28"
    hint = element(app_user, "range-hint")
    await until(lambda: "--start 2026-02-01 --end 2026-03-01" in hint.text, what="the hint")
    assert "both included" in hint.text


async def test_a_long_range_is_grouped_so_no_chart_is_huge(app_user: User, shop: CRPM) -> None:
    """Defect 17: the over-time chart never has more than MAX_POINTS bars; a day per bar
    over ten years is grouped by month, and an unbounded range is refused."""
    from crpm_ui.modules import analytics

    sample_shop(shop)
    await app_user.open("/analytics")
    chart = element(app_user, "chart-over-time")
    last = datetime.now(UTC).date()
    element(app_user, "range-from").value = (last - timedelta(days=3600)).isoformat()
    await until(lambda: element(app_user, "bucket").value == "month", what="month buckets")
    await until(lambda: 100 <= len(chart.options["xAxis"]["data"]) <= 120, what="months")
    assert app_user.notify.contains("Grouped by month")
    element(app_user, "bucket").value = "day"  # asked again: still grouped
    await until(lambda: element(app_user, "bucket").value == "month", what="refused days")
    assert len(chart.options["xAxis"]["data"]) <= analytics.MAX_POINTS
    element(app_user, "range-from").value = (last - timedelta(days=300)).isoformat()
    element(app_user, "bucket").value = "day"
    await until(lambda: len(chart.options["xAxis"]["data"]) == 301, what="days again")
    frm = element(app_user, "range-from")
    frm.value = "0001-01-01"
    element(app_user, "range-to").value = "9999-12-30"
    await until(lambda: bool(frm.error), what="the unbounded range refused")
    assert len(chart.options["xAxis"]["data"]) == 301  # nothing was built


def test_every_range_the_page_accepts_fits_the_point_budget() -> None:
    from datetime import date

    from crpm_ui.downloads import MAX_RANGE_DAYS
    from crpm_ui.modules import analytics

    first = date(2020, 1, 1)
    for days in (0, 1, 30, 399, 400, 2000, 2900, MAX_RANGE_DAYS):
        last = first + timedelta(days=days)
        for bucket in analytics.BUCKETS:
            chosen = analytics.fitting_bucket(first, last, bucket)
            assert analytics.points(first, last, chosen) <= analytics.MAX_POINTS, (days, bucket)
            assert list(analytics.BUCKETS).index(chosen) >= list(analytics.BUCKETS).index(bucket)


async def test_the_dashboard_links_to_the_reorder_list(app_user: User, shop: CRPM) -> None:
    sample_shop(shop)
    await app_user.open("/")
    link = element(app_user, "reorder-link")
    assert link.props["href"] == "/insights?tab=reorder"
    assert "1 at or below their reorder point" in link.text
    assert element(app_user, "low-stock-link").props["href"] == "/insights?tab=reorder"


async def test_a_clerk_s_low_stock_tile_links_to_the_products(clerk: User, shop: CRPM) -> None:
    sample_shop(shop)
    await clerk.open("/")
    assert element(clerk, "low-stock-link").props["href"] == "/products"
    await clerk.should_not_see(marker="reorder-link")


async def test_the_last_30_days_are_the_shop_s_own_days(app_user: User, shop: CRPM) -> None:
    """In a shop at UTC+14 a sale half an hour into its first local day of the 30 is still
    the evening before in UTC: the dashboard, Analytics and its hint count it as the shop does,
    and a sale half an hour before that day does not count."""
    zone = ZoneInfo("Pacific/Kiritimati")  # +14:00 all year
    shop.settings.update(timezone="Pacific/Kiritimati")
    tea = shop.products.add(name="Tea", price="2.50", stock=50, sku="TEA")
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    first = datetime.now(zone).date() - timedelta(days=29)
    midnight = datetime(first.year, first.month, first.day, tzinfo=zone)
    inside = midnight + timedelta(minutes=30)
    assert inside.astimezone(UTC).date() < first  # the day before in UTC
    shop.purchases.record(customer_id=ada.id, product_id=tea.id, quantity=4, purchased_at=inside)
    before = midnight - timedelta(minutes=30)
    shop.purchases.record(customer_id=ada.id, product_id=tea.id, quantity=1, purchased_at=before)
    await app_user.open("/")
    assert element(app_user, "tile-revenue").text == "10.00"
    await app_user.should_see("Revenue per day, last 30 days (Pacific/Kiritimati)")
    revenue = element(app_user, "revenue-trend").options["series"][0]["data"]
    assert len(revenue) == 30 and revenue[0] == 10.0
    await app_user.open("/analytics")
    assert element(app_user, "a-revenue").text == "10.00"
    hint = element(app_user, "range-hint").text
    assert "Pacific/Kiritimati" in hint and f"--start {first.isoformat()}T00:00+14:00" in hint
