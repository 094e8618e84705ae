"""The Insights page in a real browser, on a demo shop of its own (a year of sales of a shop
a person would recognise): segments and the reorder list with the mouse and the keyboard,
their CSV files, screenshots for the docs, and a low-stock alert that reaches an owner's
open page when a sale is made by another process."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

import crpm_core
from crpm_core import CRPM, demo
from crpm_ui.modules.insights import HINTS
from tests.browser.conftest import OWNER, SCREENSHOTS, log_in, running_app
from tests.browser.test_accessibility import audit, report
from tests.browser.test_app import settle

pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)  # a busy machine: the app answers in its own process


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CRPM]]:
    """The app on a database of its own, filled with demo data, and a handle on it (which
    plays the other process: the command line, the API, another app server)."""
    db = tmp_path_factory.mktemp("insights") / "shop.db"
    handle = crpm_core.connect(f"sqlite:///{db}")
    handle.users.add(username=OWNER[0], password=OWNER[1], role="owner")
    demo.fill(handle, customers=150, purchases=1200)
    try:
        with running_app(db, log_name="insights.log") as url:
            yield url, handle
    finally:
        handle.close()


@pytest.fixture
def desktop(browser: Browser, demo_app: tuple[str, CRPM]) -> Iterator[BrowserContext]:
    url, _ = demo_app
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    log_in(context.new_page(), url)
    yield context
    context.close()


def _open(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    settle(page)


def _csv(page: Page, button: str) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_segments_with_the_mouse(desktop: BrowserContext, demo_app: tuple[str, CRPM]) -> None:
    url, shop = demo_app
    page = desktop.new_page()
    _open(page, url + "/insights")
    summary = {s.segment: s.customers for s in shop.reports.rfm_segments()}
    for name, count in summary.items():  # the table beside the chart: its text alternative
        row = page.locator(".crpm-table tr").filter(has_text=f"{name}: {HINTS[name]}")
        expect(row.locator("td").nth(1)).to_have_text(f"{count:,}")
    expect(page.get_by_text("At Risk: bought often, not lately — reach out")).to_be_visible()
    assert page.locator(".crpm-chart canvas").count() >= 1  # the chart is drawn
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "desktop-insights.png"), full_page=True)

    busiest = max(summary, key=lambda s: summary[s])
    page.get_by_role("combobox", name="Segment").click()
    page.get_by_role("option", name=f"{busiest} ({summary[busiest]:,})").click()
    members = page.locator('[aria-label="Customers of the segment"]')
    expect(page.get_by_text(f"of {summary[busiest]:,}")).to_be_visible()  # Quasar's pager
    rows = _csv(page, "Download the segment's customers as CSV")
    assert len(rows) == summary[busiest] and {r["segment"] for r in rows} == {busiest}
    first = members.locator("tbody tr").first  # the biggest spender of the segment
    top = max(rows, key=lambda r: (float(r["monetary"]), int(r["customer_id"])))
    expect(first).to_contain_text(top["name"])


def test_the_reorder_list_with_the_keyboard(
    desktop: BrowserContext, demo_app: tuple[str, CRPM]
) -> None:
    url, shop = demo_app
    page = desktop.new_page()
    _open(page, url + "/insights")
    tab = page.get_by_role("tab", name="Customer segments")
    tab.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.get_by_role("tab", name="Reorder")).to_have_attribute("aria-selected", "true")
    reorder = page.locator('[aria-label="What to reorder"]')
    expect(reorder).to_be_visible()
    expected = shop.reports.reorder_suggestions()
    expect(reorder.locator("tbody tr").first).to_contain_text(expected[0].name)
    settle(page)
    page.screenshot(path=str(SCREENSHOTS / "desktop-insights-reorder.png"), full_page=True)

    rows = _csv(page, "Download the reorder list as CSV")
    assert [r["name"] for r in rows] == [s.name for s in expected]

    # the most urgent product's reorder point, from the keyboard alone
    product = expected[0]
    page.get_by_role("button", name=f"Change the reorder point of {product.name}").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=f"Reorder point of {product.name}")
    expect(dialog).to_be_visible()
    field = dialog.get_by_label("Reorder point")
    field.fill(str(product.reorder_point + 1))
    field.press("Enter")
    expect(
        page.get_by_text(f"{product.name}: reorder point {product.reorder_point + 1}")
    ).to_be_visible()
    assert shop.products.get(product.product_id).reorder_point == product.reorder_point + 1


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_insights_on_a_phone(browser: Browser, demo_app: tuple[str, CRPM], mode: str) -> None:
    """On a 390-px phone both tabs fit the width, a segment's customers can be listed and
    the reorder list read; screenshots for the app guide."""
    url, shop = demo_app
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in(page, url)
        _open(page, url + "/insights")
        if mode == "dark":
            page.get_by_role("switch", name="Dark mode").click()
            expect(page.locator("body.body--dark")).to_have_count(1)
            settle(page)
        summary = {s.segment: s.customers for s in shop.reports.rfm_segments()}
        busiest = max(summary, key=lambda s: summary[s])
        page.get_by_role("combobox", name="Segment").click()
        page.get_by_role("option", name=f"{busiest} ({summary[busiest]:,})").click()
        expect(page.get_by_text(f"of {summary[busiest]:,}")).to_be_visible()
        settle(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")  # the fixed header at the top of the picture
        page.screenshot(path=str(SCREENSHOTS / f"phone-{mode}-insights.png"), full_page=True)
        page.get_by_role("tab", name="Reorder").click()
        reorder = page.locator('[aria-label="What to reorder"]')
        expect(reorder.locator("tbody tr").first).to_contain_text(
            shop.reports.reorder_suggestions()[0].name
        )
        settle(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(
            path=str(SCREENSHOTS / f"phone-{mode}-insights-reorder.png"), full_page=True
        )
    finally:
        context.close()


def test_a_sale_elsewhere_alerts_an_open_page(
    desktop: BrowserContext, demo_app: tuple[str, CRPM]
) -> None:
    url, shop = demo_app
    page = desktop.new_page()
    _open(page, url + "/")
    grinder = shop.products.add(name="Café grinder “Ölmühle”", price="89.00", stock=8)
    buyer = shop.customers.add(name="Siobhán O'Brien", email="siobhan.alert@example.ie")
    page.wait_for_timeout(6_000)  # the app has seen the grinder above its point
    shop.orders.place(customer_id=buyer.id, lines=[(grinder.id, 4)])  # 4: at or below 5
    notice = page.locator(".q-notification").filter(has_text="Café grinder")
    expect(notice).to_contain_text(
        "Low on stock: Café grinder “Ölmühle” is down to 4", timeout=15_000
    )
    # The alert is read as easily as the rest of the app (it once had dark text on its
    # orange, 2.5:1): in light mode and, after the switch, in dark mode.
    for dark in (False, True):
        if dark:
            page.get_by_role("switch", name="Dark mode").click()
            expect(page.locator("body.body--dark")).to_have_count(1)
        settle(page)
        problems = audit(page, ".q-notifications", texts=1, fields=0, controls=1)
        assert problems == [], report(problems)
    notice.get_by_role("button", name="Dismiss").click()
    expect(notice).to_have_count(0)
    page.get_by_role("switch", name="Dark mode").click()  # back to light for the other tests
    shop.orders.place(customer_id=buyer.id, lines=[(grinder.id, 1)])  # still low: no news
    page.wait_for_timeout(7_000)
    expect(page.locator(".q-notification").filter(has_text="Café grinder")).to_have_count(0)
