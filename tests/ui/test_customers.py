"""The Customers page: server-side paging, search and sort; the add/edit dialog with inline
errors (every bad field at once); Enter saves. A customer's own page: test_customer_page."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from nicegui.testing import User

from crpm_core import CRPM
from tests.ui.helpers import element, names, table, until


def add_people(shop: CRPM, count: int) -> None:
    for i in range(count):
        shop.customers.add(name=f"Person {i:02d}", email=f"p{i}@shop.example")


async def test_the_table_loads_one_page_and_pages_on_the_server(app_user: User, shop: CRPM) -> None:
    add_people(shop, 23)
    await app_user.open("/customers")
    t = table(app_user, "customers-table")
    assert names(t) == [f"Person {i:02d}" for i in range(10)]
    assert t.pagination["rowsNumber"] == 23

    app_user.find(marker="customers-table").trigger(
        "request", {"pagination": {"page": 3, "rowsPerPage": 10, "sortBy": "name"}}
    )
    await until(lambda: names(t) == ["Person 20", "Person 21", "Person 22"], what="page 3")
    assert t.pagination["page"] == 3


async def test_sorting_asks_the_database_for_the_order(app_user: User, shop: CRPM) -> None:
    add_people(shop, 12)
    await app_user.open("/customers")
    t = table(app_user, "customers-table")
    app_user.find(marker="customers-table").trigger(
        "request",
        {"pagination": {"page": 1, "rowsPerPage": 5, "sortBy": "name", "descending": True}},
    )
    await until(lambda: names(t) == [f"Person {i:02d}" for i in (11, 10, 9, 8, 7)])
    assert t.pagination["rowsNumber"] == 12


async def test_search_filters_on_the_server(app_user: User, shop: CRPM) -> None:
    add_people(shop, 15)
    shop.customers.add(name="Zoë O'Brien", email="zoe@example.ie", phone="+353 1 555 0101")
    await app_user.open("/customers")
    app_user.find(marker="customer-search").type("555 0101")
    t = table(app_user, "customers-table")
    await until(lambda: names(t) == ["Zoë O'Brien"], what="search result")
    assert t.pagination["rowsNumber"] == 1
    app_user.find(marker="customer-search").clear()
    await until(lambda: t.pagination["rowsNumber"] == 16, what="search cleared")


async def test_adding_a_customer_notifies_and_shows_the_row(app_user: User, shop: CRPM) -> None:
    await app_user.open("/customers")
    app_user.find(marker="add-customer").click()
    await app_user.should_see(marker="customer-name")
    app_user.find(marker="customer-name").type("Ada Lovelace")
    app_user.find(marker="customer-email").type("ada@example.org")
    app_user.find(marker="customer-save").click()
    await app_user.should_see("Added customer Ada Lovelace")
    assert [c.email for c in shop.customers.list()] == ["ada@example.org"]
    t = table(app_user, "customers-table")
    await until(lambda: names(t) == ["Ada Lovelace"], what="new row")
    await app_user.should_not_see(marker="customer-name")  # the dialog is gone


async def test_a_bad_field_is_marked_inline_and_nothing_is_saved(
    app_user: User, shop: CRPM
) -> None:
    await app_user.open("/customers")
    app_user.find(marker="add-customer").click()
    await app_user.should_see(marker="customer-name")
    app_user.find(marker="customer-name").type("Ada")
    app_user.find(marker="customer-email").type("not-an-email")
    app_user.find(marker="customer-save").click()
    email = element(app_user, "customer-email")
    await until(lambda: email.error is not None, what="email error")
    assert "@" in email.error
    assert element(app_user, "customer-name").error is None
    assert shop.customers.list().total == 0

    app_user.find(marker="customer-email").clear().type("ada@example.org")
    assert email.error is None  # typing clears the message
    app_user.find(marker="customer-phone").type("12")
    app_user.find(marker="customer-save").click()
    phone = element(app_user, "customer-phone")
    await until(lambda: phone.error is not None, what="phone error")
    assert "digits" in phone.error
    assert shop.customers.list().total == 0


async def test_a_taken_email_is_marked_on_the_email_field(app_user: User, shop: CRPM) -> None:
    shop.customers.add(name="Ada", email="ada@example.org")
    await app_user.open("/customers")
    app_user.find(marker="add-customer").click()
    await app_user.should_see(marker="customer-name")
    app_user.find(marker="customer-name").type("Other Ada")
    app_user.find(marker="customer-email").type("ADA@example.org")
    app_user.find(marker="customer-save").click()
    email = element(app_user, "customer-email")
    await until(lambda: email.error is not None, what="conflict on the email")
    assert "already used" in email.error
    assert shop.customers.list().total == 1


async def test_an_empty_form_marks_every_bad_field_at_once(app_user: User, shop: CRPM) -> None:
    """Issue 12, defect 6: not only Email."""
    await app_user.open("/customers")
    app_user.find(marker="add-customer").click()
    await app_user.should_see(marker="customer-name")
    app_user.find(marker="customer-phone").type("12")
    app_user.find(marker="customer-save").click()
    name, email, phone = (element(app_user, f"customer-{f}") for f in ("name", "email", "phone"))
    await until(lambda: None not in (name.error, email.error, phone.error), what="three errors")
    assert name.error == "Must not be empty"
    assert email.error == "Must not be empty"
    assert "digits" in phone.error
    assert shop.customers.list().total == 0


async def test_enter_in_the_add_form_saves(app_user: User, shop: CRPM) -> None:
    """Issue 12, defect 14: Enter submits the dialog."""
    await app_user.open("/customers")
    app_user.find(marker="add-customer").click()
    await app_user.should_see(marker="customer-name")
    app_user.find(marker="customer-name").type("Zoë O'Brien")
    app_user.find(marker="customer-email").type("zoe@example.ie").trigger("keydown.enter")
    await app_user.should_see("Added customer Zoë O'Brien")
    assert [c.name for c in shop.customers.list()] == ["Zoë O'Brien"]


async def test_the_since_column_is_the_shops_day(app_user: User, shop: CRPM) -> None:
    shop.settings.update(timezone="Pacific/Auckland")
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    await app_user.open("/customers")
    t = table(app_user, "customers-table")
    await until(lambda: len(t.rows) == 1)
    local = ada.created_at.astimezone(ZoneInfo("Pacific/Auckland"))
    assert t.rows[0]["since"] == local.strftime("%Y-%m-%d")
