"""A customer's own page, /customers/{id}: details and totals, orders and history paged on
the server, "New sale for this customer", edit, deactivate/reactivate, and delete that says
up front when the customer has history (defect 7); "1 purchase" in the singular (defect 12)."""

from __future__ import annotations

from datetime import UTC, datetime

from nicegui import ui
from nicegui.testing import User

from crpm_core import CRPM
from tests.ui.helpers import element, table, until


def zoe_with_sales(shop: CRPM, count: int) -> tuple[int, int]:
    zoe = shop.customers.add(name="Zoë O'Brien", email="zoe@example.ie", phone="+353 1 555 0101")
    tea = shop.products.add(name="Green tea 100g", price="6.50", stock=1000, sku="TEA-100")
    for i in range(count):
        shop.purchases.record(
            customer_id=zoe.id,
            product_id=tea.id,
            quantity=1 + i % 3,
            purchased_at=datetime(2026, 3, 1 + i, 23, 30, tzinfo=UTC),
        )
    return zoe.id, tea.id


async def test_the_page_shows_details_totals_and_pages_the_history(
    app_user: User, shop: CRPM
) -> None:
    zoe, tea = zoe_with_sales(shop, 23)
    await app_user.open(f"/customers/{zoe}")
    await app_user.should_see("Zoë O'Brien")
    await app_user.should_see("Email: zoe@example.ie")
    await app_user.should_see("Phone: +353 1 555 0101")
    spent = shop.reports.sales_summary(customer_id=zoe).revenue
    total = element(app_user, "total-spent")
    await until(lambda: total.text == f"€{spent:,}", what="total spent with the € sign")
    assert element(app_user, "order-count").text == "23"

    history = table(app_user, "history-table")
    await until(lambda: history.pagination["rowsNumber"] == 23, what="history loaded")
    assert len(history.rows) == 10
    app_user.find(marker="history-table").trigger(
        "request", {"pagination": {"page": 3, "rowsPerPage": 10}}
    )
    await until(lambda: len(history.rows) == 3, what="the last page")
    # newest first: the last page holds the three oldest sales, in UTC as the shop is in UTC
    assert [r["at"] for r in history.rows] == [
        "2026-03-03 23:30",
        "2026-03-02 23:30",
        "2026-03-01 23:30",
    ]
    assert all(r["total"].startswith("€") for r in history.rows)
    assert {r["product_id"] for r in history.rows} == {tea}  # each product links to its page
    product_link = history.slots["body-cell-product"].template
    assert product_link is not None and "'/products/' + props.row.product_id" in product_link
    orders = table(app_user, "orders-table")
    await until(lambda: orders.pagination["rowsNumber"] == 23, what="orders loaded")


async def test_dates_are_in_the_shops_time_zone_and_labelled(app_user: User, shop: CRPM) -> None:
    shop.settings.update(currency="GBP", timezone="Europe/Dublin")
    zoe_with_sales(shop, 1)  # 2026-03-01 23:30 UTC is 23:30 GMT in Dublin...
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    tea = shop.products.list(search="TEA").items[0]
    shop.purchases.record(  # ...but 2026-07-01 23:30 UTC is 00:30 the next day (IST)
        customer_id=ada.id,
        product_id=tea.id,
        quantity=1,
        purchased_at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC),
    )
    await app_user.open(f"/customers/{ada.id}")
    history = table(app_user, "history-table")
    await until(lambda: len(history.rows) == 1, what="history")
    assert history.rows[0]["at"] == "2026-07-02 00:30"
    assert history.columns[0]["label"] == "Date (Europe/Dublin)"
    assert history.rows[0]["total"] == "£6.50"
    await until(lambda: element(app_user, "total-spent").text == "£6.50")


async def test_one_purchase_is_singular(app_user: User, shop: CRPM) -> None:
    zoe, _ = zoe_with_sales(shop, 1)
    await app_user.open(f"/customers/{zoe}")
    await app_user.should_see("€6.50 spent in 1 purchase (1 order)")


async def test_new_sale_links_to_the_counter_with_the_customer(app_user: User, shop: CRPM) -> None:
    zoe, _ = zoe_with_sales(shop, 1)
    await app_user.open(f"/customers/{zoe}")
    sale = element(app_user, "new-sale")
    assert sale.props["href"] == f"/purchases?customer={zoe}"

    shop.customers.deactivate(zoe)
    await app_user.open(f"/customers/{zoe}")
    await app_user.should_see("Inactive")
    await app_user.should_not_see(marker="new-sale")  # an inactive customer cannot buy


async def test_edit_on_the_page(app_user: User, shop: CRPM) -> None:
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    await app_user.open(f"/customers/{ada.id}")
    app_user.find(marker="customer-edit").click()
    await app_user.should_see(marker="customer-name")
    app_user.find(marker="customer-name").clear().type("Ada King")
    app_user.find(marker="customer-save").click()
    await app_user.should_see("Saved customer Ada King")
    assert shop.customers.get(ada.id).name == "Ada King"
    await until(lambda: element(app_user, "record-name").text == "Ada King")


async def test_enter_in_a_field_saves_the_form(app_user: User, shop: CRPM) -> None:
    """Defect 14: Enter submits a dialog."""
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    await app_user.open(f"/customers/{ada.id}")
    app_user.find(marker="customer-edit").click()
    await app_user.should_see(marker="customer-name")
    app_user.find(marker="customer-name").clear().type("Ada Byron").trigger("keydown.enter")
    await app_user.should_see("Saved customer Ada Byron")
    assert shop.customers.get(ada.id).name == "Ada Byron"


async def test_deactivate_and_reactivate(app_user: User, shop: CRPM) -> None:
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    await app_user.open(f"/customers/{ada.id}")
    app_user.find(marker="customer-deactivate").click()
    await app_user.should_see("Ada is now inactive")
    assert not shop.customers.get(ada.id).active
    await until(lambda: element(app_user, "record-status").text == "Inactive")
    app_user.find(marker="customer-reactivate").click()
    await app_user.should_see("Ada is active again")
    assert shop.customers.get(ada.id).active


async def test_delete_of_a_customer_with_history_says_so_first_and_offers_deactivate(
    app_user: User, shop: CRPM
) -> None:
    """Defect 7: no "Delete … for good?" that then refuses."""
    zoe, _ = zoe_with_sales(shop, 1)
    await app_user.open(f"/customers/{zoe}")
    app_user.find(marker="customer-delete").click()
    await app_user.should_see(marker="has-history")
    await app_user.should_see("The customer Zoë O'Brien has 1 purchase, so it stays on record.")
    await app_user.should_not_see("for good?")
    app_user.find(marker="history-deactivate").click()
    await app_user.should_see("Zoë O'Brien is now inactive")
    assert not shop.customers.get(zoe).active
    assert shop.customers.list().total == 1


async def test_delete_of_a_customer_without_history_asks_then_goes(
    app_user: User, shop: CRPM
) -> None:
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    await app_user.open(f"/customers/{ada.id}")
    app_user.find(marker="customer-delete").click()
    await app_user.should_see("Delete the customer Ada for good?")
    app_user.find(marker="confirm-delete-cancel").click()
    await app_user.should_not_see("Delete the customer Ada for good?")
    assert shop.customers.list().total == 1

    app_user.find(marker="customer-delete").click()
    await app_user.should_see(marker="confirm-delete-ok")
    app_user.find(marker="confirm-delete-ok").click()
    await app_user.should_see("Deleted customer Ada")
    assert shop.customers.list().total == 0
    await until(lambda: app_user.back_history[-1:] == ["/customers"], what="back to the list")


async def test_a_clerk_sees_the_history_but_not_the_shops_figures(clerk: User, shop: CRPM) -> None:
    zoe, _ = zoe_with_sales(shop, 2)
    await clerk.open(f"/customers/{zoe}")
    history = table(clerk, "history-table")
    await until(lambda: history.pagination["rowsNumber"] == 2, what="history")
    await clerk.should_not_see(marker="total-spent")
    await clerk.should_not_see(marker="customer-delete")
    await clerk.should_not_see(marker="customer-deactivate")
    await clerk.should_see(marker="customer-edit")
    await clerk.should_see(marker="new-sale")


async def test_an_unknown_customer_says_so(app_user: User, shop: CRPM) -> None:
    for path in (
        "/customers/999",
        "/customers/0",
        "/customers/abc",
        "/customers/99999999999999999999",
    ):
        await app_user.open(path)
        await app_user.should_see("There is no such customer")


async def test_the_list_links_each_name_to_its_page(app_user: User, shop: CRPM) -> None:
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    await app_user.open("/customers")
    t = table(app_user, "customers-table")
    await until(lambda: len(t.rows) == 1)
    assert t.rows[0]["id"] == ada.id
    slot = t.slots["body-cell-name"].template
    assert slot is not None and ":href=\"'/customers/' + props.row.id + ''\"" in slot
    assert isinstance(t, ui.table)
