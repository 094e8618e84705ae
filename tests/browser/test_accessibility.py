"""WCAG 2.1 AA in a real browser: every page and the add dialogs, in light and dark mode, on a
desktop and on a 390-px phone. The checks (tests/browser/audit.js) measure what Chromium
renders: text contrast against the effective background, named fields, named buttons and
links; here also the page's language, one level-1 heading and no sideways scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from crpm_core import CRPM
from tests.browser.conftest import log_in, logged_in_context
from tests.browser.test_app import ROUTES, open_page, settle

pytestmark = pytest.mark.browser

AUDIT = (Path(__file__).parent / "audit.js").read_text()
SCREENS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}
# Transitions end at once here (the audit measures what stays on screen, after them), which
# keeps the suite quick; test_app.py runs the app with its transitions.
NO_TRANSITIONS = """
addEventListener("DOMContentLoaded", () => {
  const style = document.createElement("style");
  style.textContent = `*, *::before, *::after {
    transition-duration: 0s !important; transition-delay: 0s !important;
    animation-duration: 0s !important; animation-delay: 0s !important; }`;
  document.head.append(style);
});
"""
SCRIPT_ERRORS: list[str] = []
DIALOGS = {  # route, the button that opens it, the dialog's name, whether it has a form
    "add-customer": ("/customers", "Add customer", "Add customer", True),
    "add-product": ("/products", "Add product", "Add product", True),
    "import-customers": ("/customers", "Import CSV", "Import customers", False),
    "add-user": ("/users", "Add user", "Add user", True),
    "user-detail": ("/users", "Open owner", "User owner", False),
}


@pytest.fixture(
    scope="module",
    params=[(size, mode) for size in SCREENS for mode in ("light", "dark")],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def screen(
    request: pytest.FixtureRequest, browser: Browser, base_url: str, seeded: CRPM
) -> Iterator[Page]:
    """One browser context per screen size and mode (the mode is kept in the user's storage)."""
    size, mode = request.param
    context = logged_in_context(
        browser, base_url, viewport=SCREENS[size], device_scale_factor=1, is_mobile=size == "phone"
    )
    context.add_init_script(NO_TRANSITIONS)
    page = context.new_page()
    page.on("pageerror", lambda e: SCRIPT_ERRORS.append(f"{page.url}: {e}"))
    open_page(page, base_url, "/")
    if mode == "dark":
        page.get_by_role("switch", name="Dark mode").click()
        expect(page.locator("body.body--dark")).to_have_count(1)
    yield page
    context.close()
    assert SCRIPT_ERRORS == [], SCRIPT_ERRORS


def check_mode(page: Page, request: pytest.FixtureRequest) -> None:
    """The page is in the mode the test is about, and no script has failed so far."""
    dark = "dark" in request.node.callspec.id
    assert (page.locator("body.body--dark").count() == 1) is dark, "the page is in the wrong mode"
    assert SCRIPT_ERRORS == []


def dialog_named(name: str) -> str:
    return f'.q-dialog[role=dialog][aria-label="{name}"]'


def audit(
    page: Page, root: str | None = None, *, texts: int = 5, fields: int = 1, controls: int = 1
) -> list[str]:
    """The problems audit.js finds in ``root`` (a selector; the whole page by default), which
    must hold at least the given numbers of texts, fields, and buttons or links: an audit
    that saw nothing would pass whatever the page looks like."""
    result = page.evaluate(AUDIT, root)
    problems: list[str] = result["problems"]
    checked: dict[str, int] = result["checked"]
    least = {"texts": texts, "fields": fields, "controls": controls}
    assert all(checked.get(key, 0) >= n for key, n in least.items()), (checked, least)
    return problems


def page_problems(page: Page) -> list[str]:
    """Language, headings and width: what holds for the page as a whole."""
    problems = []
    if not str(page.evaluate("document.documentElement.lang")).strip():
        problems.append("<html> has no lang")
    level_one = page.locator("h1:visible, [role=heading][aria-level='1']:visible")
    if level_one.count() != 1:
        problems.append(f"{level_one.count()} level-1 headings, not one")
    viewport = page.viewport_size
    assert viewport is not None
    width = int(page.evaluate("document.documentElement.scrollWidth"))
    if width > viewport["width"]:
        problems.append(f"the page is {width} px wide on a {viewport['width']} px screen")
    return problems


def report(problems: list[str]) -> str:
    return f"{len(problems)} WCAG problems:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_page_meets_wcag_aa(
    screen: Page, base_url: str, route: str, request: pytest.FixtureRequest
) -> None:
    open_page(screen, base_url, route)
    check_mode(screen, request)
    problems = page_problems(screen) + audit(screen)
    assert not problems, report(problems)


@pytest.mark.parametrize("which", list(DIALOGS))
def test_every_dialog_meets_wcag_aa(
    screen: Page, base_url: str, which: str, request: pytest.FixtureRequest
) -> None:
    route, button, name, form = DIALOGS[which]
    open_page(screen, base_url, route)
    check_mode(screen, request)
    screen.get_by_role("button", name=button, exact=True).click()
    dialog = screen.get_by_role("dialog", name=name)
    expect(dialog).to_be_visible()
    settle(screen)  # the opening transition: contrast is measured as rendered
    problems = page_problems(screen) + audit(screen, dialog_named(name), fields=int(form))
    if form:  # the same form showing an error message (an empty name)
        dialog.get_by_role("button", name="Save").click()
        expect(dialog.locator(".q-field--error").first).to_be_visible()
        settle(screen)
        problems += [f"(with an error) {p}" for p in audit(screen, dialog_named(name))]
    assert not problems, report(problems)


def test_a_confirmation_and_an_error_message_meet_wcag_aa(
    screen: Page, base_url: str, seeded: CRPM, request: pytest.FixtureRequest
) -> None:
    """The confirm dialog (deleting a product never sold, then kept), and a (negative)
    notification (settings with an empty shop name); nothing changes in the shop."""
    teapot = seeded.products.list(search="Teapot").items[0]
    open_page(screen, base_url, f"/products/{teapot.id}")
    check_mode(screen, request)
    screen.get_by_role("button", name="Delete").click()
    confirmation = screen.get_by_role("dialog", name="Please confirm")
    expect(confirmation).to_be_visible()
    settle(screen)
    problems = audit(screen, dialog_named("Please confirm"), texts=2, fields=0)
    confirmation.get_by_role("button", name="Cancel").click()
    expect(confirmation).to_be_hidden()
    open_page(screen, base_url, "/settings")
    screen.get_by_label("Shop name").fill("")
    screen.get_by_role("button", name="Save settings").click()
    notice = screen.locator(".q-notification").filter(has_text="Please correct")
    expect(notice).to_be_visible()
    settle(screen)
    shown = audit(screen, ".q-notifications", texts=1, fields=0, controls=0)
    problems += [f"(notification) {p}" for p in shown]
    assert not problems, report(problems)
    assert SCRIPT_ERRORS == []
    assert seeded.products.get(teapot.id).name == teapot.name
    assert seeded.settings.get().shop_name


def test_the_login_page_meets_wcag_aa(
    screen: Page, base_url: str, request: pytest.FixtureRequest
) -> None:
    """The login page (in the browser's stored mode), empty and with the wrong-login message;
    then logged in again for the tests after it."""
    open_page(screen, base_url, "/")
    screen.get_by_role("button", name="Log out").click()
    expect(screen.get_by_role("button", name="Log in")).to_be_visible()
    settle(screen)
    check_mode(screen, request)
    problems = page_problems(screen) + audit(screen, texts=1, fields=2)
    screen.get_by_label("Username").fill("nobody")
    screen.get_by_label("Password").fill("not the password")
    screen.get_by_role("button", name="Log in").click()
    expect(screen.get_by_text("Wrong username or password")).to_be_visible()
    settle(screen)
    problems += [f"(wrong login) {p}" for p in audit(screen, texts=2, fields=2)]
    assert not problems, report(problems)
    log_in(screen, base_url)


def test_the_insights_page_meets_wcag_aa(
    screen: Page, base_url: str, request: pytest.FixtureRequest
) -> None:
    """Insights: both tabs (the segments chart has its table beside it) and the reorder
    point dialog, empty and with an error."""
    open_page(screen, base_url, "/insights")
    check_mode(screen, request)
    problems = page_problems(screen) + audit(screen)
    screen.get_by_role("tab", name="Reorder").click()
    expect(screen.locator('[aria-label="What to reorder"]')).to_be_visible()
    settle(screen)
    problems += [f"(reorder) {p}" for p in page_problems(screen) + audit(screen)]
    screen.get_by_role("button", name="Change the reorder point of Scale").click()
    name = "Reorder point of Scale"
    dialog = screen.get_by_role("dialog", name=name)
    expect(dialog).to_be_visible()
    settle(screen)
    problems += [f"(dialog) {p}" for p in audit(screen, dialog_named(name), texts=2)]
    dialog.get_by_label("Reorder point").fill("-1")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator(".q-field--error").first).to_be_visible()
    settle(screen)
    problems += [f"(dialog error) {p}" for p in audit(screen, dialog_named(name), texts=2)]
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert not problems, report(problems)


# -- the record pages and their dialogs (issue 12) ---------------------------------------------

RECORD_DIALOGS = {  # the record, the button on its page, the dialog's name, whether it has a form
    "edit-customer": ("Maeve Ní Bhriain", "Edit", "Edit customer", True),
    "customer-has-history": ("José García", "Delete", "Customer has history", False),
    "edit-product": ("Kettle", "Edit", "Edit product", True),
    "restock": ("Kettle", "Restock", "Restock Kettle", True),
    "correct-stock": ("Kettle", "Correct stock", "Correct the stock of Kettle", True),
}


def record_route(shop: CRPM, name: str) -> str:
    """The own page of the customer or product called ``name``."""
    customers = shop.customers.list(search=name).items
    if customers:
        return f"/customers/{customers[0].id}"
    return f"/products/{shop.products.list(search=name).items[0].id}"


@pytest.mark.parametrize("name", ["Maeve Ní Bhriain", "Quentin Quiet", "Kettle", "Scale"])
def test_every_record_page_meets_wcag_aa(
    screen: Page, base_url: str, seeded: CRPM, name: str, request: pytest.FixtureRequest
) -> None:
    open_page(screen, base_url, record_route(seeded, name))
    expect(screen.get_by_role("heading", name=name, level=2)).to_be_visible()
    bottom = screen.locator(".q-table__bottom").last  # the history's or the movements' pager
    expect(bottom).to_contain_text("No purchases yet" if name == "Quentin Quiet" else " of ")
    settle(screen)
    check_mode(screen, request)
    problems = page_problems(screen) + audit(screen, fields=0)
    assert not problems, report(problems)


@pytest.mark.parametrize("which", list(RECORD_DIALOGS))
def test_every_record_dialog_meets_wcag_aa(
    screen: Page, base_url: str, seeded: CRPM, which: str, request: pytest.FixtureRequest
) -> None:
    record, button, name, form = RECORD_DIALOGS[which]
    open_page(screen, base_url, record_route(seeded, record))
    check_mode(screen, request)
    screen.get_by_role("button", name=button, exact=True).click()
    dialog = screen.get_by_role("dialog", name=name)
    expect(dialog).to_be_visible()
    settle(screen)
    problems = page_problems(screen) + audit(screen, dialog_named(name), fields=int(form))
    if form:  # the same form showing an error message
        first = dialog.locator("input").first
        first.fill("")
        first.press("Enter")  # Enter submits the form (issue 12, defect 14)
        expect(dialog.locator(".q-field--error").first).to_be_visible()
        settle(screen)
        problems += [f"(with an error) {p}" for p in audit(screen, dialog_named(name))]
    dialog.press("Escape")
    expect(dialog).to_be_hidden()
    assert not problems, report(problems)


# The counter and an order's page (issue 12): the sale screen with a basket (one line short
# of stock), after a sale (its receipt and notification), an order's page, its return dialog
# and its "Keep" / "Cancel sale" confirmation.


@pytest.fixture(scope="module")
def counter_order(seeded: CRPM) -> int:
    """An order of the seeded shop for its page (one for every screen of this module)."""
    maeve = seeded.customers.list(search="maeve@").items[0]
    beans = seeded.products.list(search="SKU-001").items[0]
    scale = seeded.products.list(search="Scale").items[0]
    return seeded.orders.place(customer_id=maeve.id, lines=[(beans.id, 2), (scale.id, 1)]).id


def test_the_counter_meets_wcag_aa(
    screen: Page, base_url: str, seeded: CRPM, request: pytest.FixtureRequest
) -> None:
    open_page(screen, base_url, "/purchases")
    check_mode(screen, request)
    screen.get_by_label("Customer (name, email or phone)").click()
    screen.keyboard.type("maeve@")
    screen.get_by_role("option").filter(has_text="Maeve Ní Bhriain").click()
    sku = screen.get_by_label("Scan or type a SKU, then Enter")
    for code in ("SKU-001", "SKU-031"):
        sku.fill(code)
        sku.press("Enter")
        expect(sku).to_have_value("")
    kettle = screen.get_by_role("listitem").filter(has_text="Kettle")
    kettle.get_by_label("Quantity of Kettle").fill("999")
    expect(kettle.get_by_role("alert")).to_contain_text("in stock")
    screen.keyboard.press("Tab")
    settle(screen)
    problems = page_problems(screen) + audit(screen, fields=4, controls=4)
    kettle.get_by_role("button", name="Remove Kettle").click()
    screen.get_by_role("button", name="Complete sale").click()
    expect(screen.get_by_role("link", name="Receipt (PDF)")).to_be_visible()
    settle(screen)
    problems += [f"(sold) {p}" for p in page_problems(screen) + audit(screen)]
    notice = audit(screen, ".q-notifications", texts=1, fields=0, controls=0)
    problems += [f"(notification) {p}" for p in notice]
    assert not problems, report(problems)


def test_an_order_page_and_its_dialogs_meet_wcag_aa(
    screen: Page, base_url: str, counter_order: int, request: pytest.FixtureRequest
) -> None:
    open_page(screen, base_url, f"/orders/{counter_order}")
    check_mode(screen, request)
    problems = page_problems(screen) + audit(screen, fields=0, controls=3)
    screen.get_by_role("button", name="Return Espresso beans 1kg").click()
    name = "Return Espresso beans 1kg"
    dialog = screen.get_by_role("dialog", name=name)
    expect(dialog).to_be_visible()
    settle(screen)
    problems += [f"(return) {p}" for p in audit(screen, dialog_named(name), fields=2)]
    dialog.get_by_label("Quantity to return").fill("0")
    dialog.get_by_role("button", name="Return items").click()
    expect(dialog.locator(".q-field--error").first).to_be_visible()
    settle(screen)
    problems += [f"(return, error) {p}" for p in audit(screen, dialog_named(name), fields=2)]
    dialog.get_by_role("button", name="Keep").click()
    expect(dialog).to_be_hidden()
    screen.get_by_role("button", name="Cancel sale").click()
    confirmation = screen.get_by_role("dialog", name="Please confirm")
    expect(confirmation).to_be_visible()
    settle(screen)
    problems += [
        f"(cancel) {p}"
        for p in audit(screen, dialog_named("Please confirm"), texts=2, fields=0, controls=2)
    ]
    confirmation.get_by_role("button", name="Keep").click()
    expect(confirmation).to_be_hidden()
    assert not problems, report(problems)
