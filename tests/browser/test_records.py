"""The record pages in a real browser: a customer's page on a 390-px phone shows its history
with the Total (issue 12, defect 13); the keyboard alone reaches a record's page from its
list; a product's 120 stock movements page through to the first (defect 2); the first click
on Save adds a product (defect 4); and the screenshots of the app guide."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from crpm_core import CRPM
from tests.browser.conftest import SCREENSHOTS, connected, logged_in_context
from tests.browser.test_app import open_page as open_only

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def desktop(browser: Browser, base_url: str, shop: CRPM) -> Iterator[BrowserContext]:
    context = logged_in_context(browser, base_url, viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def phone(browser: Browser, base_url: str, shop: CRPM) -> Iterator[BrowserContext]:
    context = logged_in_context(
        browser, base_url, viewport=PHONE, device_scale_factor=1, is_mobile=True
    )
    yield context
    context.close()


def open_page(page: Page, base_url: str, route: str) -> None:
    """Open ``route`` and wait for its websocket: leaving a page before it has connected
    leaves a timed-out question (the drawer's state) in the app's log."""
    open_only(page, base_url, route)
    connected(page)


def customer_id(shop: CRPM, name: str) -> int:
    return shop.customers.list(search=name).items[0].id


def test_a_customers_history_shows_its_total_on_a_phone(
    phone: BrowserContext, base_url: str, seeded: CRPM
) -> None:
    maeve = customer_id(seeded, "Maeve")
    page = phone.new_page()
    open_page(page, base_url, f"/customers/{maeve}")
    expect(page.get_by_role("heading", name="Maeve Ní Bhriain", level=2)).to_be_visible()
    history = page.locator('[aria-label="Purchase history of Maeve Ní Bhriain"]')
    newest = seeded.purchases.list(customer_id=maeve, limit=1).items[0]
    total = history.get_by_text(f"€{newest.total}", exact=True).first
    expect(total).to_be_visible()
    box = total.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    expect(history.get_by_text("Total", exact=True).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "phone-customer-page.png"), full_page=True)


def test_the_keyboard_alone_opens_a_customers_page_from_the_list(
    desktop: BrowserContext, base_url: str, seeded: CRPM
) -> None:
    page = desktop.new_page()
    open_page(page, base_url, "/customers")
    page.get_by_label("Search name, email or phone").focus()
    page.keyboard.type("maeve")
    link = page.get_by_role("link", name="Maeve Ní Bhriain")
    expect(link).to_be_visible()
    for _ in range(15):  # Tab through the toolbar to the first row's link
        page.keyboard.press("Tab")
        if link.evaluate("e => e === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the customer's link")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/{customer_id(seeded, 'Maeve')}")
    expect(page.get_by_role("heading", name="Maeve Ní Bhriain", level=2)).to_be_visible()
    expect(page.get_by_role("link", name="New sale for this customer")).to_have_attribute(
        "href", f"/purchases?customer={customer_id(seeded, 'Maeve')}"
    )


def test_every_stock_movement_of_a_product_is_reachable(
    desktop: BrowserContext, base_url: str, shop: CRPM
) -> None:
    tea = shop.products.add(name="Paging tea", price="3.00", stock=1, sku="PAGE-120")
    for i in range(119):
        shop.products.restock(tea.id, 1, note=f"delivery {i + 1}")
    page = desktop.new_page()
    open_page(page, base_url, f"/products/{tea.id}")
    movements = page.locator('[aria-label="Stock movements of Paging tea"]')
    expect(movements.get_by_text("1-10 of 120")).to_be_visible()
    expect(movements.get_by_text("delivery 119", exact=True)).to_be_visible()
    movements.get_by_role("button", name="Last page").click()
    expect(movements.get_by_text("111-120 of 120")).to_be_visible()
    expect(movements.get_by_text("Initial", exact=True)).to_be_visible()
    page.reload()  # and again on a fresh open: never "1-0 of 0"
    connected(page)
    expect(movements.get_by_text("1-10 of 120")).to_be_visible()


def test_the_first_click_on_save_adds_the_product(
    desktop: BrowserContext, base_url: str, shop: CRPM
) -> None:
    page = desktop.new_page()
    open_page(page, base_url, "/products")
    page.get_by_role("button", name="Add product").click()
    dialog = page.get_by_role("dialog", name="Add product")
    dialog.get_by_label("Name", exact=True).fill("First-click mug")
    dialog.get_by_label("Price", exact=True).fill("9.50")
    dialog.get_by_label("Opening stock").fill("-3")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_text("Must be at least 0")).to_be_visible()
    expect(dialog.get_by_label("Opening stock")).to_have_value("-3")  # kept as typed
    dialog.get_by_label("Opening stock").fill("12")
    dialog.get_by_role("button", name="Save").click()  # one click
    expect(page.get_by_text("Added product First-click mug (12 in stock)")).to_be_visible()
    assert [p.stock for p in shop.products.list(search="First-click")] == [12]


def test_record_page_screenshots(desktop: BrowserContext, base_url: str, seeded: CRPM) -> None:
    """The app guide's pictures of a customer's and a product's page (Settings is among the
    pages test_app.py photographs)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    kettle = seeded.products.list(search="Kettle").items[0]
    page: Page = desktop.new_page()
    shots = {
        "customer-page": f"/customers/{customer_id(seeded, 'Maeve')}",
        "product-page": f"/products/{kettle.id}",
    }
    for name, route in shots.items():
        open_page(page, base_url, route)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
