"""The counter in Chromium: a whole sale with the mouse, the same with the keyboard alone
(Tab, Enter to add, Ctrl+Enter to complete), a return with its note, the receipt downloaded
and read back with pdftotext, the phone width, and the docs' screenshots of the counter from
the demo shop."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

import crpm_core
from crpm_core import CRPM, Customer, Product, demo
from tests.browser.conftest import (
    OWNER,
    SCREENSHOTS,
    connected,
    running_app,
)
from tests.browser.test_app import open_page

pytestmark = pytest.mark.browser


def log_in_at_the_counter(page: Page, url: str) -> None:
    """Log in straight to the counter (the dashboard can be slow on a busy machine)."""
    page.goto(url + "/login?redirect_to=/purchases")
    page.get_by_label("Username").fill(OWNER[0])
    page.get_by_label("Password").fill(OWNER[1])
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("button", name="Complete sale")).to_be_visible(timeout=30_000)
    connected(page)


def counter_context(browser: Browser, base_url: str, **options: object) -> BrowserContext:
    """A new browser (its own session), logged in as the owner."""
    context = browser.new_context(**options)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    first = context.new_page()
    log_in_at_the_counter(first, base_url)
    first.wait_for_timeout(1000)  # the frame's first questions answered before it closes
    first.close()
    return context


@pytest.fixture
def desktop(browser: Browser, base_url: str, shop: CRPM) -> Iterator[BrowserContext]:
    context = counter_context(
        browser, base_url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    yield context
    context.close()


@pytest.fixture
def phone(browser: Browser, base_url: str, shop: CRPM) -> Iterator[BrowserContext]:
    context = counter_context(
        browser,
        base_url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=1,
        is_mobile=True,
        accept_downloads=True,
    )
    yield context
    context.close()


def new_customer(shop: CRPM, name: str, email: str, phone: str | None = None) -> Customer:
    return shop.customers.add(name=name, email=email, phone=phone)


def new_product(shop: CRPM, name: str, price: str, stock: int, sku: str) -> Product:
    return shop.products.add(name=name, price=price, stock=stock, sku=sku)


def pdf_text(path: Path) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: apt-get install poppler-utils"
    done = subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def errors_of(page: Page) -> list[str]:
    found: list[str] = []
    page.on("pageerror", lambda e: found.append(str(e)))
    return found


def line(page: Page, name: str) -> Locator:
    return page.get_by_role("listitem").filter(has_text=name)


def tab_to(page: Page, label: str, *, most: int = 40) -> None:
    """Press Tab until the focused field is the one labelled ``label`` (as a keyboard user
    does); fails if it takes more than ``most`` presses."""
    for _ in range(most):
        page.keyboard.press("Tab")
        named = page.evaluate(
            """() => {
              const el = document.activeElement;
              if (!el) return "";
              if (el.getAttribute("aria-label")) return el.getAttribute("aria-label");
              const label = el.id && document.querySelector(`label[for="${el.id}"]`);
              const inField = el.closest(".q-field")?.querySelector(".q-field__label");
              return (label?.innerText || inField?.innerText || el.innerText || "").trim();
            }"""
        )
        if named == label:
            return
    raise AssertionError(f"Tab never reached {label!r}")


def test_a_whole_sale_with_the_mouse_and_its_receipt(
    desktop: BrowserContext, base_url: str, shop: CRPM, tmp_path: Path
) -> None:
    siobhan = new_customer(shop, "Siobhán Ó Dónaill", "siobhan@example.ie", "+353 87 123 4567")
    brack = new_product(shop, "Barmbrack loaf", "5.40", 12, "CNT-BRACK")
    jam = new_product(shop, "Blackcurrant jam", "3.95", 2, "CNT-JAM")
    page = desktop.new_page()
    problems = errors_of(page)
    open_page(page, base_url, "/purchases")

    page.get_by_label("Customer (name, email or phone)").click()
    page.keyboard.type("siobhan")
    page.get_by_role("option", name="Siobhán Ó Dónaill · siobhan@example.ie").click()
    for text, option in (("barmbrack", "Barmbrack loaf"), ("blackcurrant", "Blackcurrant jam")):
        page.get_by_label("Find a product (name or SKU)").click()
        page.keyboard.type(text)
        page.get_by_role("option").filter(has_text=option).click()
        expect(line(page, option)).to_be_visible()
    line(page, "Barmbrack loaf").get_by_label("Quantity of Barmbrack loaf").fill("3")
    expect(line(page, "Barmbrack loaf")).to_contain_text("9 left in stock")
    expect(line(page, "Barmbrack loaf")).to_contain_text("€16.20")
    expect(page.get_by_text("Total €20.15 · 4 items")).to_be_visible()
    complete = page.get_by_role("button", name="Complete sale")
    expect(complete).to_have_attribute("aria-keyshortcuts", "Control+Enter")
    complete.click()
    expect(page.get_by_text("Sold to Siobhán Ó Dónaill")).to_be_visible()
    expect(page.get_by_text("The basket is empty")).to_be_visible()

    [order] = shop.orders.list(customer_id=siobhan.id).items
    assert order.total == Decimal("20.15")
    assert shop.products.get(brack.id).stock == 9 and shop.products.get(jam.id).stock == 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Receipt (PDF)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"receipt-{order.id}.pdf"
    text = pdf_text(saved)
    for shown in (f"Order {order.id}", "Siobhán Ó Dónaill", "Barmbrack loaf", "€20.15"):
        assert shown in text, (shown, text)
    assert problems == []


def test_a_whole_sale_with_the_keyboard_alone(
    desktop: BrowserContext, base_url: str, shop: CRPM
) -> None:
    """Tab to the customer, find them by their phone digits spaced another way, Enter; scan a
    SKU twice (Enter adds one each time); find a second product by name; change a quantity;
    Ctrl+Enter. No mouse."""
    dara = new_customer(shop, "Dara O'Neill", "dara@example.ie", "087 765 4321")
    soda = new_product(shop, "Soda bread", "3.20", 10, "CNT-SODA")
    butter = new_product(shop, "Country butter 250g", "2.85", 8, "CNT-BUTTER")
    page = desktop.new_page()
    problems = errors_of(page)
    open_page(page, base_url, "/purchases")

    tab_to(page, "Customer (name, email or phone)")
    page.keyboard.type("0877654321")
    expect(page.get_by_role("option").filter(has_text="Dara O'Neill")).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    tab_to(page, "Scan or type a SKU, then Enter")
    for _ in range(2):
        page.keyboard.type("CNT-SODA")
        page.keyboard.press("Enter")
        expect(page.get_by_label("Scan or type a SKU, then Enter")).to_have_value("")
    expect(line(page, "Soda bread").get_by_label("Quantity of Soda bread")).to_have_value("2")
    tab_to(page, "Find a product (name or SKU)")
    page.keyboard.type("country butter")
    expect(page.get_by_role("option").filter(has_text="Country butter 250g")).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(line(page, "Country butter 250g")).to_be_visible()
    tab_to(page, "Quantity of Country butter 250g")
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    expect(line(page, "Country butter 250g")).to_contain_text("5 left in stock")
    page.keyboard.press("Control+Enter")
    expect(
        page.get_by_text("Sold to Dara O'Neill: 2 × Soda bread, 3 × Country butter 250g")
    ).to_be_visible()

    [order] = shop.orders.list(customer_id=dara.id).items
    assert [(p.product_id, p.quantity) for p in order.lines] == [(soda.id, 2), (butter.id, 3)]
    assert problems == []


def test_a_refused_line_keeps_what_was_typed(
    desktop: BrowserContext, base_url: str, shop: CRPM
) -> None:
    new_customer(shop, "Niamh Byrne", "niamh@example.ie")
    scones = new_product(shop, "Fruit scones (4)", "4.50", 3, "CNT-SCONE")
    page = desktop.new_page()
    open_page(page, base_url, "/purchases")
    page.get_by_label("Customer (name, email or phone)").click()
    page.keyboard.type("niamh@")
    page.get_by_role("option").filter(has_text="Niamh Byrne").click()
    sku = page.get_by_label("Scan or type a SKU, then Enter")
    sku.fill("CNT-SCONE")
    sku.press("Enter")
    quantity = line(page, "Fruit scones (4)").get_by_label("Quantity of Fruit scones (4)")
    quantity.fill("3")
    expect(line(page, "Fruit scones (4)")).to_contain_text("0 left in stock")
    shop.products.set_stock(scones.id, 1)  # sold at the other till meanwhile
    page.get_by_role("button", name="Complete sale").click()
    expect(page.get_by_text("Nothing was sold. Fruit scones (4): only 1 in stock")).to_be_visible()
    expect(line(page, "Fruit scones (4)").get_by_role("alert")).to_have_text("Only 1 in stock")
    expect(quantity).to_have_value("3")
    assert shop.products.get(scones.id).stock == 1


def test_a_return_with_a_note_and_a_cancel(
    desktop: BrowserContext, base_url: str, shop: CRPM
) -> None:
    aoife = new_customer(shop, "Aoife Kelly", "aoife@example.ie")
    tea = new_product(shop, "Breakfast tea 80 bags", "4.99", 20, "CNT-TEA")
    cups = new_product(shop, "Tea cups (2)", "12.00", 5, "CNT-CUPS")
    order = shop.orders.place(customer_id=aoife.id, lines=[(tea.id, 4), (cups.id, 1)])
    page = desktop.new_page()
    problems = errors_of(page)
    open_page(page, base_url, f"/orders/{order.id}")
    expect(page.get_by_text(f"Order {order.id}", exact=True)).to_be_visible()

    page.get_by_role("button", name="Return Breakfast tea 80 bags").click()
    dialog = page.get_by_role("dialog", name="Return Breakfast tea 80 bags")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Quantity to return").fill("2")
    dialog.get_by_label("Note (optional)").fill("Box crushed in the post")
    dialog.get_by_label("Note (optional)").press("Enter")  # Enter returns them
    expect(page.get_by_text("2 × Breakfast tea 80 bags returned to stock")).to_be_visible()
    assert shop.purchases.get(order.lines[0].id).returned_quantity == 2
    [movement] = shop.reports.stock_movements(product_id=tea.id, limit=1).items
    assert (movement.kind, movement.note) == ("return", "Box crushed in the post")
    expect(page.get_by_text("Partly returned")).to_be_visible()

    page.get_by_role("button", name="Cancel sale").click()
    confirm = page.get_by_role("dialog", name="Please confirm")
    expect(confirm.get_by_role("button", name="Keep")).to_be_visible()
    confirm.get_by_role("button", name="Keep").click()
    expect(confirm).to_be_hidden()
    assert shop.orders.get(order.id).cancelled_at is None
    page.get_by_role("button", name="Cancel sale").click()
    expect(page.get_by_role("dialog", name="Please confirm")).to_be_visible()
    expect(
        page.get_by_role("dialog", name="Please confirm").get_by_role("button", name="Cancel sale")
    ).to_be_focused()
    page.keyboard.press("Enter")  # the focused answer: Cancel sale
    expect(page.get_by_text(f"Order {order.id} cancelled")).to_be_visible()
    assert shop.orders.get(order.id).cancelled_at is not None
    assert shop.products.get(tea.id).stock == 20 and shop.products.get(cups.id).stock == 5
    assert problems == []


def test_a_sale_on_a_phone(phone: BrowserContext, base_url: str, shop: CRPM) -> None:
    new_customer(shop, "Cian Walsh", "cian@example.ie", "+353 1 555 0199")
    new_product(shop, "Irish stew tin", "3.75", 6, "CNT-STEW")
    page = phone.new_page()
    problems = errors_of(page)
    open_page(page, base_url, "/purchases")
    page.get_by_label("Customer (name, email or phone)").click()
    page.keyboard.type("5550199")
    page.get_by_role("option").filter(has_text="Cian Walsh").click()
    sku = page.get_by_label("Scan or type a SKU, then Enter")
    sku.fill("CNT-STEW")
    sku.press("Enter")
    expect(line(page, "Irish stew tin")).to_contain_text("5 left in stock")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "phone-counter-basket.png"), full_page=True)
    page.get_by_role("button", name="Complete sale").click()
    expect(page.get_by_text("Sold to Cian Walsh")).to_be_visible()
    page.get_by_role("link", name="Open the order").click()
    expect(page.get_by_text("Irish stew tin")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    total = page.get_by_role("cell", name="€3.75").first
    expect(total).to_be_visible()
    assert problems == []


def test_docs_screenshots_of_the_counter_from_the_demo_shop(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The docs show the counter as a shop knows it: the demo shop's customers and products
    (never test payloads), a basket of three lines, a sale done and an order's page."""
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    with crpm_core.connect(f"sqlite:///{db}") as crm:
        demo.fill(crm)
        crm.users.add(username=OWNER[0], password=OWNER[1], role="owner")
        products = [p for p in crm.products.list(active=True, limit=40) if p.stock >= 5 and p.sku]
        customer = next(c for c in crm.customers.list(limit=20) if c.phone)
    with running_app(db, log_name="demo-app.log") as url:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        log_in_at_the_counter(page, url)
        page.get_by_label("Customer (name, email or phone)").click()
        page.keyboard.type(customer.email)
        page.get_by_role("option").filter(has_text=customer.name).first.click()
        sku = page.get_by_label("Scan or type a SKU, then Enter")
        for product in (products[0], products[1], products[0], products[2]):
            assert product.sku is not None
            sku.fill(product.sku)
            sku.press("Enter")
            expect(sku).to_have_value("")
        expect(page.get_by_role("listitem")).to_have_count(3)
        page.mouse.move(0, 0)
        page.screenshot(path=str(SCREENSHOTS / "desktop-counter.png"), full_page=False)
        page.get_by_role("button", name="Complete sale").click()
        expect(page.get_by_text(f"Sold to {customer.name}")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "desktop-counter-sold.png"), full_page=False)
        page.get_by_role("link", name="Open the order").click()
        expect(page.get_by_role("button", name=f"Return {products[0].name}")).to_be_visible()
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENSHOTS / "desktop-order.png"), full_page=True)
        context.close()
    for name in ("desktop-counter", "desktop-counter-sold", "desktop-order"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
