"""The Products page: paging and search, add with inline errors (opening stock as typed),
the stock badges, prices in the shop's currency. A product's own page: test_product_page."""

from __future__ import annotations

from decimal import Decimal

from nicegui.testing import User

from crpm_core import CRPM
from tests.ui.helpers import element, names, table, until


async def test_add_a_product_with_opening_stock(app_user: User, shop: CRPM) -> None:
    await app_user.open("/products")
    app_user.find(marker="add-product").click()
    await app_user.should_see(marker="product-name")
    app_user.find(marker="product-name").type("Green tea 100g")
    app_user.find(marker="product-sku").type("TEA-100")
    app_user.find(marker="product-price").type("6.50")
    app_user.find(marker="product-stock").type("20")
    app_user.find(marker="product-save").click()
    await app_user.should_see("Added product Green tea 100g (20 in stock)")
    [tea] = shop.products.list().items
    assert (tea.sku, tea.price, tea.stock) == ("TEA-100", Decimal("6.50"), 20)
    t = table(app_user, "products-table")
    await until(lambda: names(t) == ["Green tea 100g"])
    assert t.rows[0]["price"] == "€6.50"


async def test_a_bad_price_and_a_taken_sku_are_marked_inline(app_user: User, shop: CRPM) -> None:
    shop.products.add(name="Mug", price="9.99", sku="MUG")
    await app_user.open("/products")
    app_user.find(marker="add-product").click()
    await app_user.should_see(marker="product-name")
    app_user.find(marker="product-name").type("Tea")
    app_user.find(marker="product-price").type("6.505")
    app_user.find(marker="product-save").click()
    price = element(app_user, "product-price")
    await until(lambda: price.error is not None, what="price error")
    assert shop.products.list().total == 1

    app_user.find(marker="product-price").clear().type("6.50")
    app_user.find(marker="product-sku").type("MUG")
    app_user.find(marker="product-save").click()
    sku = element(app_user, "product-sku")
    await until(lambda: sku.error is not None, what="sku conflict")
    assert "already used" in sku.error
    assert shop.products.list().total == 1


async def test_search_and_low_stock_filter_run_on_the_server(app_user: User, shop: CRPM) -> None:
    for i in range(12):
        shop.products.add(name=f"Item {i:02d}", price="1.00", stock=100, sku=f"IT-{i}")
    shop.settings.update(low_stock_default=4)
    shop.products.add(name="Almost gone", price="1.00", stock=4, sku="LOW-1")
    # its own reorder point: low at 100 units, though far above the shop's default
    shop.products.add(name="Big seller", price="1.00", stock=100, sku="BIG", reorder_point=100)
    await app_user.open("/products")
    t = table(app_user, "products-table")
    assert t.pagination["rowsNumber"] == 14
    assert len(t.rows) == 10
    low_rows = [r for r in t.rows if r["badge"] == "Low stock"]
    assert [r["name"] for r in low_rows] == ["Almost gone", "Big seller"]  # the marker

    app_user.find(marker="product-status").click()
    app_user.find("Low on stock").click()
    await until(lambda: names(t) == ["Almost gone", "Big seller"], what="low-stock filter")

    app_user.find(marker="product-status").click()
    app_user.find("All products").click()
    app_user.find(marker="product-search").type("it-1")
    await until(lambda: sorted(names(t)) == ["Item 01", "Item 10", "Item 11"], what="search")


async def test_opening_stock_of_minus_three_or_one_and_a_half_is_refused_naming_the_field(
    app_user: User, shop: CRPM
) -> None:
    """Issue 12, defect 4: -3 became 0 and 1.5 became 2 without a word."""
    await app_user.open("/products")
    app_user.find(marker="add-product").click()
    await app_user.should_see(marker="product-name")
    app_user.find(marker="product-name").type("Green tea 100g")
    app_user.find(marker="product-price").type("6.50")
    stock = element(app_user, "product-stock")
    for typed, why in (("-3", "Must be at least 0"), ("1.5", "Enter a whole number, like 12")):
        app_user.find(marker="product-stock").clear().type(typed)
        assert stock.value == typed  # nothing clamped or rounded behind the user's back
        app_user.find(marker="product-save").click()
        await until(lambda why=why: stock.error == why, what=f"the stock error for {typed}")
        assert stock.value == typed
        assert shop.products.list().total == 0


async def test_the_first_save_click_saves(app_user: User, shop: CRPM) -> None:
    """Issue 12, defect 4: the first click on Save was lost (the number field re-rendered
    on blur); one click adds the product."""
    await app_user.open("/products")
    app_user.find(marker="add-product").click()
    await app_user.should_see(marker="product-name")
    app_user.find(marker="product-name").type("Mug")
    app_user.find(marker="product-price").type("9.99")
    app_user.find(marker="product-stock").clear().type("7")
    app_user.find(marker="product-save").click()
    await app_user.should_see("Added product Mug (7 in stock)")
    assert [p.stock for p in shop.products.list()] == [7]


async def test_a_product_at_zero_is_out_of_stock_not_low(app_user: User, shop: CRPM) -> None:
    """Issue 12, defect 12."""
    shop.products.add(name="Gone", price="1.00", stock=0, sku="GONE")
    shop.products.add(name="Few", price="1.00", stock=2, sku="FEW")
    shop.products.add(name="Plenty", price="1.00", stock=50, sku="MANY")
    await app_user.open("/products")
    t = table(app_user, "products-table")
    await until(lambda: len(t.rows) == 3)
    assert {r["name"]: r["badge"] for r in t.rows} == {
        "Few": "Low stock",
        "Gone": "Out of stock",
        "Plenty": "",
    }


async def test_prices_carry_the_shops_currency(app_user: User, shop: CRPM) -> None:
    shop.settings.update(currency="GBP")
    shop.products.add(name="Scone", price="1234.5", stock=3)
    await app_user.open("/products")
    t = table(app_user, "products-table")
    await until(lambda: len(t.rows) == 1)
    assert t.rows[0]["price"] == "£1,234.50"
