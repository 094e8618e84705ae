"""The Products page: paging and search, add/edit with inline errors, restock and stock
correction, the low-stock marker, stock movements, delete rules."""

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
    assert t.rows[0]["price"] == "6.50"


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
    low_rows = [r for r in t.rows if r["low"]]
    assert [r["name"] for r in low_rows] == ["Almost gone", "Big seller"]  # the marker

    app_user.find(marker="product-status").click()
    app_user.find("Low on stock").click()
    await until(lambda: names(t) == ["Almost gone", "Big seller"], what="low-stock filter")

    app_user.find(marker="product-status").click()
    app_user.find("All products").click()
    app_user.find(marker="product-search").type("it-1")
    await until(lambda: sorted(names(t)) == ["Item 01", "Item 10", "Item 11"], what="search")


async def test_restock_and_correct_stock_write_the_ledger(app_user: User, shop: CRPM) -> None:
    tea = shop.products.add(name="Tea", price="2.50", stock=3)
    await app_user.open("/products")
    app_user.find(marker="products-table").trigger("open", tea.id)
    await app_user.should_see(marker="detail-low")  # 3 <= the shop's low_stock_default of 5
    app_user.find(marker="product-restock").click()
    await app_user.should_see(marker="stock-amount")
    app_user.find(marker="stock-amount").clear().type("12")
    app_user.find(marker="stock-note").type("delivery")
    app_user.find(marker="stock-save").click()
    await app_user.should_see("Tea: stock 3 → 15 (+12)")
    assert shop.products.get(tea.id).stock == 15

    app_user.find(marker="products-table").trigger("open", tea.id)
    await app_user.should_see(marker="product-correct")
    app_user.find(marker="product-correct").click()
    await app_user.should_see(marker="stock-amount")
    app_user.find(marker="stock-amount").clear().type("14")
    app_user.find(marker="stock-save").click()
    await app_user.should_see("Tea: stock 15 → 14 (-1)")
    assert shop.products.get(tea.id).stock == 14

    app_user.find(marker="products-table").trigger("open", tea.id)
    await app_user.should_see(marker="movements-table")
    moves = table(app_user, "movements-table")
    await until(lambda: len(moves.rows) == 3, what="movements")
    assert [r["kind"] for r in moves.rows] == ["Adjustment", "Restock", "Initial"]
    assert [r["change"] for r in moves.rows] == ["-1", "+12", "+3"]
    assert moves.rows[1]["note"] == "delivery"


async def test_a_restock_of_zero_is_refused_inline(app_user: User, shop: CRPM) -> None:
    tea = shop.products.add(name="Tea", price="2.50", stock=3)
    await app_user.open("/products")
    app_user.find(marker="products-table").trigger("open", tea.id)
    await app_user.should_see(marker="product-restock")
    app_user.find(marker="product-restock").click()
    await app_user.should_see(marker="stock-amount")
    app_user.find(marker="stock-amount").clear().type("0")
    app_user.find(marker="stock-save").click()
    amount = element(app_user, "stock-amount")
    await until(lambda: amount.error is not None, what="quantity error")
    assert shop.products.get(tea.id).stock == 3


async def test_edit_price_and_deactivate(app_user: User, shop: CRPM) -> None:
    tea = shop.products.add(name="Tea", price="2.50", stock=30)
    await app_user.open("/products")
    app_user.find(marker="products-table").trigger("open", tea.id)
    await app_user.should_see(marker="product-edit")
    app_user.find(marker="product-edit").click()
    await app_user.should_see(marker="product-price")
    app_user.find(marker="product-price").clear().type("3.10")
    app_user.find(marker="product-save").click()
    await app_user.should_see("Saved product Tea")
    assert shop.products.get(tea.id).price == Decimal("3.10")

    app_user.find(marker="products-table").trigger("open", tea.id)
    await app_user.should_see(marker="product-deactivate")
    app_user.find(marker="product-deactivate").click()
    await app_user.should_see("Tea is now inactive")
    assert not shop.products.get(tea.id).active


async def test_delete_of_a_sold_product_is_refused_and_an_unsold_one_goes(
    app_user: User, shop: CRPM
) -> None:
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    tea = shop.products.add(name="Tea", price="2.50", stock=30)
    cup = shop.products.add(name="Cup", price="5.00", stock=1)
    shop.purchases.record(customer_id=ada.id, product_id=tea.id, quantity=1)
    await app_user.open("/products")
    for product in (tea, cup):
        app_user.find(marker="products-table").trigger("open", product.id)
        await app_user.should_see(marker="product-delete")
        app_user.find(marker="product-delete").click()
        await app_user.should_see(marker="confirm-delete-ok")
        app_user.find(marker="confirm-delete-ok").click()
        await app_user.should_not_see(marker="confirm-delete-ok")
    await app_user.should_see("Tea has been sold and cannot be deleted")
    await app_user.should_see("Deleted product Cup")
    assert [p.name for p in shop.products.list()] == ["Tea"]
