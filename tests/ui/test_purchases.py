"""The Purchases page: searchable pickers with price and stock, a quantity capped at the
stock, a live total, recording, and cancel behind a confirm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nicegui.testing import User

from crpm_core import CRPM
from tests.ui.helpers import element, table, until


def stock_shop(shop: CRPM) -> tuple[int, int]:
    ada = shop.customers.add(name="Ada Lovelace", email="ada@example.org")
    shop.customers.add(name="Grace Hopper", email="grace@example.org")
    tea = shop.products.add(name="Green tea", price="6.50", stock=5, sku="TEA")
    shop.products.add(name="Mug", price="9.99", stock=0, sku="MUG")
    return ada.id, tea.id


async def pick(user: User, marker: str, label: str) -> None:
    user.find(marker=marker).click()  # opens the options
    await user.should_see(label)
    user.find(label).click()


async def test_pickers_show_price_and_stock_and_the_total_is_live(
    app_user: User, shop: CRPM
) -> None:
    stock_shop(shop)
    await app_user.open("/purchases")
    record = element(app_user, "record-purchase")
    assert not record.enabled  # nothing picked yet
    await pick(app_user, "pick-customer", "Ada Lovelace · ada@example.org")
    await pick(app_user, "pick-product", "Green tea · 6.50 · 5 in stock")
    await app_user.should_see("Price 6.50 · 5 in stock")
    app_user.find(marker="quantity").clear().type("3")
    await app_user.should_see("Total: 19.50")
    assert record.enabled

    app_user.find(marker="quantity").clear().type("6")  # more than in stock
    quantity = element(app_user, "quantity")
    await until(
        lambda: quantity.error == "Only 5 in stock",
        what=f"stock limit {quantity.value} {quantity.error}",
    )
    assert not record.enabled
    assert quantity.props["max"] == 5


async def test_the_pickers_search_the_database(app_user: User, shop: CRPM) -> None:
    for i in range(30):  # more than a picker offers at once
        shop.customers.add(name=f"Buyer {i:02d}", email=f"b{i}@shop.example")
    shop.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    await app_user.open("/purchases")
    picker = element(app_user, "pick-customer")
    assert not any("Zoë" in label for label in picker.options.values())
    app_user.find(marker="pick-customer").trigger("inputValue", "zoe@")
    await until(
        lambda: list(picker.options.values()) == ["Zoë O'Brien · zoe@example.ie"],
        what=f"search {picker.options}",
    )


async def test_an_out_of_stock_product_cannot_be_sold(app_user: User, shop: CRPM) -> None:
    stock_shop(shop)
    await app_user.open("/purchases")
    await pick(app_user, "pick-customer", "Grace Hopper · grace@example.org")
    await pick(app_user, "pick-product", "Mug · 9.99 · out of stock")
    quantity = element(app_user, "quantity")
    await until(lambda: quantity.error == "Out of stock")
    assert not element(app_user, "record-purchase").enabled


async def test_recording_a_purchase_moves_stock_and_lists_it(app_user: User, shop: CRPM) -> None:
    _, tea_id = stock_shop(shop)
    await app_user.open("/purchases")
    await pick(app_user, "pick-customer", "Ada Lovelace · ada@example.org")
    await pick(app_user, "pick-product", "Green tea · 6.50 · 5 in stock")
    app_user.find(marker="quantity").clear().type("2")
    app_user.find(marker="record-purchase").click()
    await app_user.should_see("Sold 2 × Green tea to Ada Lovelace: 13.00")
    assert shop.products.get(tea_id).stock == 3
    await app_user.should_see("Price 6.50 · 3 in stock")  # the picker shows the new stock
    recent = table(app_user, "purchases-table")
    await until(lambda: len(recent.rows) == 1, what="recent purchase")
    assert (recent.rows[0]["customer"], recent.rows[0]["total"]) == ("Ada Lovelace", "13.00")


async def test_a_refused_sale_says_why(app_user: User, shop: CRPM) -> None:
    ada_id, tea_id = stock_shop(shop)
    await app_user.open("/purchases")
    await pick(app_user, "pick-customer", "Ada Lovelace · ada@example.org")
    await pick(app_user, "pick-product", "Green tea · 6.50 · 5 in stock")
    app_user.find(marker="quantity").clear().type("4")
    shop.customers.deactivate(ada_id)  # meanwhile, at another till
    app_user.find(marker="record-purchase").click()
    await app_user.should_see("Customer Ada Lovelace is inactive")
    assert shop.products.get(tea_id).stock == 5

    shop.customers.reactivate(ada_id)
    shop.products.set_stock(tea_id, 2)  # sold out elsewhere
    app_user.find(marker="record-purchase").click()
    await app_user.should_see("Only 2 in stock; 4 requested")
    assert shop.products.get(tea_id).stock == 2


async def test_cancel_asks_and_puts_the_units_back(app_user: User, shop: CRPM) -> None:
    ada_id, tea_id = stock_shop(shop)
    sale = shop.purchases.record(customer_id=ada_id, product_id=tea_id, quantity=4)
    await app_user.open("/purchases")
    app_user.find(marker="purchases-table").trigger("cancel", sale.id)
    await app_user.should_see("Cancel the purchase of 4 × Green tea for Ada Lovelace?")
    app_user.find(marker="confirm-cancel-cancel").click()
    await app_user.should_not_see(marker="confirm-cancel-ok")
    assert not shop.purchases.get(sale.id).cancelled

    app_user.find(marker="purchases-table").trigger("cancel", sale.id)
    await app_user.should_see(marker="confirm-cancel-ok")
    app_user.find(marker="confirm-cancel-ok").click()
    await app_user.should_see(f"Cancelled purchase #{sale.id}: 4 back in stock")
    assert shop.purchases.get(sale.id).cancelled
    assert shop.products.get(tea_id).stock == 5
    recent = table(app_user, "purchases-table")
    await until(lambda: recent.rows[0]["cancelled"] is True, what="row marked cancelled")


async def test_recent_purchases_cover_a_chosen_period(app_user: User, shop: CRPM) -> None:
    ada_id, tea_id = stock_shop(shop)
    long_ago = datetime.now(UTC) - timedelta(days=100)
    shop.purchases.record(customer_id=ada_id, product_id=tea_id, quantity=1, purchased_at=long_ago)
    shop.purchases.record(customer_id=ada_id, product_id=tea_id, quantity=2)
    await app_user.open("/purchases")
    recent = table(app_user, "purchases-table")
    assert [r["quantity"] for r in recent.rows] == [2]  # the last 30 days by default
    app_user.find(marker="purchase-period").click()
    app_user.find("All").click()
    await until(lambda: [r["quantity"] for r in recent.rows] == [2, 1], what="all purchases")
