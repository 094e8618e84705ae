"""The app in a real browser: a first sale end to end, hostile names stay text, every page
fits a phone in light and dark mode, and screenshots for the docs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from crpm_core import CRPM
from tests.browser.conftest import SCREENSHOTS, logged_in_context

pytestmark = pytest.mark.browser

ROUTES = {
    "/": "dashboard",
    "/customers": "customers",
    "/products": "products",
    "/purchases": "purchases",
    "/analytics": "analytics",
    "/audit": "audit",
    "/users": "users",
    "/settings": "settings",
}
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def desktop(browser: Browser, base_url: str, shop: CRPM) -> Iterator[BrowserContext]:
    context = logged_in_context(browser, base_url, viewport={"width": 1280, "height": 900})
    yield context
    context.close()


# Resolves once no transition or animation is running and every chart's canvas has been
# drawn and stayed the same over two checks (charts are drawn without animation, see
# crpm_ui.theme, so this is quick); false if that takes more than 8 s.
SETTLE = """async () => {
  const frame = () => new Promise((done) => requestAnimationFrame(() => done()));
  const running = () => document.getAnimations().filter(
    (a) => a.playState === "running" && a.effect?.getComputedTiming().endTime !== Infinity);
  const pixels = () => [...document.querySelectorAll(".crpm-chart")].map(
    (chart) => chart.querySelector("canvas")?.toDataURL() ?? null);
  const deadline = performance.now() + 8000;
  let before = null;
  while (performance.now() < deadline) {
    await Promise.all(running().map((a) => a.finished.catch(() => null)));
    await frame();
    await frame();
    const now = pixels();
    if (before && now.every((p, i) => p !== null && p === before[i])) return true;
    before = now;
    await new Promise((done) => setTimeout(done, 50));
  }
  return false;
}"""


def settle(page: Page) -> None:
    """Wait until transitions have ended and every chart is fully drawn."""
    assert page.evaluate(SETTLE), f"{page.url} kept changing (a transition or a chart)"


def open_page(page: Page, base_url: str, route: str) -> None:
    page.goto(base_url + route)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    settle(page)


def tile(page: Page, name: str) -> str:
    return page.locator(f"[data-tile={name}]").inner_text()


def test_a_first_sale_end_to_end(desktop: BrowserContext, base_url: str, shop: CRPM) -> None:
    page = desktop.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    open_page(page, base_url, "/analytics")
    revenue_before = tile(page, "a-revenue")

    open_page(page, base_url, "/customers")
    page.get_by_role("button", name="Add customer").click()
    page.get_by_label("Name", exact=True).fill("Ada Lovelace")
    page.get_by_label("Email", exact=True).fill("ada@example.org")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Added customer Ada Lovelace")).to_be_visible()
    expect(page.get_by_role("link", name="Ada Lovelace")).to_be_visible()

    open_page(page, base_url, "/products")
    page.get_by_role("button", name="Add product").click()
    page.get_by_label("Name", exact=True).fill("Browser tea")
    page.get_by_label("Price", exact=True).fill("4.20")
    page.get_by_label("Opening stock").fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Added product Browser tea (10 in stock)")).to_be_visible()

    open_page(page, base_url, "/purchases")
    page.get_by_label("Customer (name, email or phone)").click()
    page.keyboard.type("ada@")
    page.get_by_role("option", name="Ada Lovelace · ada@example.org").click()
    page.get_by_label("Find a product (name or SKU)").click()
    page.keyboard.type("Browser")
    page.get_by_role("option").filter(has_text="Browser tea").click()
    page.get_by_label("Quantity of Browser tea").fill("3")
    expect(page.get_by_text("Total €12.60 · 3 items")).to_be_visible()
    page.get_by_role("button", name="Complete sale").click()
    expect(page.get_by_text("Sold to Ada Lovelace: 3 × Browser tea. Total €12.60")).to_be_visible()

    open_page(page, base_url, "/products")
    row = page.get_by_role("row").filter(has_text="Browser tea")
    expect(row).to_contain_text("7")
    [tea] = [p for p in shop.products.list(search="Browser tea")]
    assert tea.stock == 7

    open_page(page, base_url, "/analytics")
    assert tile(page, "a-revenue") != revenue_before
    summary = shop.reports.sales_summary()
    assert summary.revenue >= 12.60 and errors == []


def test_a_hostile_name_is_shown_as_text_and_never_runs(
    desktop: BrowserContext, base_url: str, shop: CRPM
) -> None:
    mallory = shop.customers.add(name=HOSTILE, email="mallory@example.org")
    gadget = shop.products.add(name=HOSTILE, price="1.00", stock=5)
    shop.purchases.record(customer_id=mallory.id, product_id=gadget.id, quantity=1)
    page = desktop.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    for route in ROUTES:
        open_page(page, base_url, route)
        if route in ("/customers", "/products"):
            page.get_by_label("Search").first.fill("<img")
            expect(page.get_by_role("link", name=HOSTILE)).to_be_visible()
        assert page.locator("img[src=x]").count() == 0, route
        assert page.evaluate("document.querySelectorAll('img[onerror]').length") == 0
    open_page(page, base_url, "/customers")
    page.get_by_label("Search").first.fill("mallory@")
    page.get_by_role("link", name=HOSTILE).click()
    expect(page.get_by_role("heading", name=HOSTILE)).to_be_visible()
    page.wait_for_timeout(300)
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_every_page_fits_a_phone(browser: Browser, base_url: str, seeded: CRPM, dark: bool) -> None:
    context = logged_in_context(
        browser,
        base_url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=1,
        is_mobile=True,
    )
    page = context.new_page()
    try:
        open_page(page, base_url, "/")
        if dark:
            page.get_by_role("switch", name="Dark mode").click()
            expect(page.locator("body.body--dark")).to_have_count(1)
        for route, name in ROUTES.items():
            open_page(page, base_url, route)
            assert page.evaluate("document.documentElement.lang").startswith("en")
            assert (page.locator("body.body--dark").count() == 1) is dark, route
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{route} is {width} px wide in {'dark' if dark else 'light'}"
            drawer_open = page.locator(".q-drawer--left:not(.q-layout--prevent-focus)")
            assert drawer_open.count() == 0 or not drawer_open.first.is_visible()
            mode = "dark" if dark else "light"
            page.screenshot(path=str(SCREENSHOTS / f"phone-{mode}-{name}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_menu_button_shows_and_hides_the_navigation(
    browser: Browser, base_url: str, seeded: CRPM, size: str
) -> None:
    """Open at first on a desktop and closed on a phone; the menu button (mouse or keyboard)
    turns it the other way and back, and a link in it leads to its page."""
    phone = size == "phone"
    width = 390 if phone else 1280
    context = logged_in_context(
        browser, base_url, viewport={"width": width, "height": 844}, is_mobile=phone
    )
    page = context.new_page()
    try:
        open_page(page, base_url, "/")
        nav = page.get_by_role("navigation", name="Pages")
        menu = page.get_by_role("button", name="Show or hide the navigation")
        (expect(nav).to_be_hidden if phone else expect(nav).to_be_visible)()
        menu.click()
        (expect(nav).to_be_visible if phone else expect(nav).to_be_hidden)()
        menu.focus()
        page.keyboard.press("Enter")
        (expect(nav).to_be_hidden if phone else expect(nav).to_be_visible)()
        if phone:
            menu.click()
        nav.get_by_role("link", name="Products").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Products")
    finally:
        context.close()


def test_desktop_screenshots(desktop: BrowserContext, base_url: str, seeded: CRPM) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = desktop.new_page()
    for route, name in ROUTES.items():
        open_page(page, base_url, route)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.screenshot(path=str(SCREENSHOTS / f"desktop-{name}.png"), full_page=True)
    assert len(list(SCREENSHOTS.glob("desktop-*.png"))) == len(ROUTES)
