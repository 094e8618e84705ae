"""A product's own page, /products/{id}: details and badge, the reorder point edited in
place, every stock movement reachable page by page (issue 12, defect 2), the sales chart,
restock and correction, edit, deactivate, and delete that says up front when the product has
been sold (defect 7)."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from nicegui.testing import User

from crpm_core import CRPM
from tests.ui.helpers import element, table, until


async def test_every_stock_movement_is_reachable(app_user: User, shop: CRPM) -> None:
    """Defect 2: "1-0 of 0" and only the newest 5 of 120 reachable."""
    tea = shop.products.add(name="Green tea 100g", price="6.50", stock=1, sku="TEA-100")
    for i in range(119):
        shop.products.restock(tea.id, 1, note=f"delivery {i + 1}")
    await app_user.open(f"/products/{tea.id}")
    moves = table(app_user, "movements-table")
    await until(lambda: moves.pagination["rowsNumber"] == 120, what="120 movements counted")
    assert len(moves.rows) == 10
    assert moves.rows[0]["note"] == "delivery 119"  # newest first
    app_user.find(marker="movements-table").trigger(
        "request", {"pagination": {"page": 12, "rowsPerPage": 10}}
    )
    await until(lambda: moves.pagination["page"] == 12, what="the last page")
    assert [r["kind"] for r in moves.rows][-1] == "Initial"
    assert moves.rows[-1]["stock_after"] == 1
    app_user.find(marker="movements-table").trigger(
        "request", {"pagination": {"page": 1, "rowsPerPage": 50}}
    )
    await until(lambda: len(moves.rows) == 50, what="50 a page")


async def test_details_badge_and_figures(app_user: User, shop: CRPM) -> None:
    shop.settings.update(currency="USD", low_stock_default=5)
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    tea = shop.products.add(name="Green tea 100g", price="6.50", stock=4, sku="TEA-100")
    shop.purchases.record(customer_id=ada.id, product_id=tea.id, quantity=4)
    await app_user.open(f"/products/{tea.id}")
    await app_user.should_see("SKU: TEA-100")
    await app_user.should_see("Price: $6.50")
    await app_user.should_see("In stock: 0")
    assert element(app_user, "stock-badge").text == "Out of stock"
    await until(lambda: element(app_user, "units-sold").text == "4")
    assert element(app_user, "revenue").text == "$26.00"
    await app_user.should_see(marker="sales-chart")
    chart = element(app_user, "sales-chart")
    assert sum(chart.options["series"][0]["data"]) == 4


async def test_a_product_never_sold_says_so_instead_of_an_empty_chart(
    app_user: User, shop: CRPM
) -> None:
    tea = shop.products.add(name="Tea", price="2.50", stock=3)
    await app_user.open(f"/products/{tea.id}")
    await app_user.should_see("No sales in the last 26 weeks.")
    await app_user.should_not_see(marker="sales-chart")


async def test_the_reorder_point_is_edited_in_place(app_user: User, shop: CRPM) -> None:
    tea = shop.products.add(name="Tea", price="2.50", stock=8)
    await app_user.open(f"/products/{tea.id}")
    await app_user.should_not_see(marker="stock-badge")  # 8 > the shop's default of 5
    app_user.find(marker="reorder-point").type("10")
    app_user.find(marker="reorder-save").click()
    await app_user.should_see("Tea: reorder point 10")
    assert shop.products.get(tea.id).reorder_point == 10
    await until(lambda: element(app_user, "stock-badge").text == "Low stock")

    app_user.find(marker="reorder-point").clear().type("2.5")
    app_user.find(marker="reorder-save").click()
    field = element(app_user, "reorder-point")
    await until(lambda: field.error == "Enter a whole number, like 12", what="refused")
    assert shop.products.get(tea.id).reorder_point == 10

    app_user.find(marker="reorder-point").clear().trigger("keydown.enter")  # Enter saves
    await app_user.should_see("Tea: reorder point the shop's default, 5")
    assert shop.products.get(tea.id).reorder_point is None


async def test_restock_and_correct_stock_write_the_ledger(app_user: User, shop: CRPM) -> None:
    tea = shop.products.add(name="Tea", price="2.50", stock=3)
    await app_user.open(f"/products/{tea.id}")
    await app_user.should_see(marker="stock-badge")  # 3 <= the shop's low_stock_default of 5
    app_user.find(marker="product-restock").click()
    await app_user.should_see(marker="stock-amount")
    app_user.find(marker="stock-amount").clear().type("12")
    app_user.find(marker="stock-note").type("delivery")
    app_user.find(marker="stock-save").click()
    await app_user.should_see("Tea: stock 3 → 15 (+12)")
    assert shop.products.get(tea.id).stock == 15

    app_user.find(marker="product-correct").click()
    await app_user.should_see(marker="stock-amount")
    app_user.find(marker="stock-amount").clear().type("14")
    app_user.find(marker="stock-save").click()
    await app_user.should_see("Tea: stock 15 → 14 (-1)")
    assert shop.products.get(tea.id).stock == 14

    moves = table(app_user, "movements-table")
    await until(lambda: len(moves.rows) == 3, what="movements")
    assert [r["kind"] for r in moves.rows] == ["Adjustment", "Restock", "Initial"]
    assert [r["change"] for r in moves.rows] == ["-1", "+12", "+3"]
    assert moves.rows[1]["note"] == "delivery"


async def test_a_restock_of_zero_or_a_fraction_is_refused_inline(
    app_user: User, shop: CRPM
) -> None:
    tea = shop.products.add(name="Tea", price="2.50", stock=3)
    await app_user.open(f"/products/{tea.id}")
    app_user.find(marker="product-restock").click()
    await app_user.should_see(marker="stock-amount")
    amount = element(app_user, "stock-amount")
    for typed, why in (("0", "at least 1"), ("1.5", "Enter a whole number, like 12")):
        app_user.find(marker="stock-amount").clear().type(typed)
        app_user.find(marker="stock-save").click()
        await until(lambda why=why: why in (amount.error or ""), what=f"error for {typed}")
    assert shop.products.get(tea.id).stock == 3


async def test_edit_price_and_deactivate(app_user: User, shop: CRPM) -> None:
    tea = shop.products.add(name="Tea", price="2.50", stock=30)
    await app_user.open(f"/products/{tea.id}")
    app_user.find(marker="product-edit").click()
    await app_user.should_see(marker="product-price")
    app_user.find(marker="product-price").clear().type("3.10")
    app_user.find(marker="product-save").click()
    await app_user.should_see("Saved product Tea")
    assert shop.products.get(tea.id).price == Decimal("3.10")
    await app_user.should_see("Price: €3.10")

    app_user.find(marker="product-deactivate").click()
    await app_user.should_see("Tea is now inactive")
    assert not shop.products.get(tea.id).active
    await until(lambda: element(app_user, "record-status").text == "Inactive")


async def test_delete_of_a_sold_product_offers_deactivate_up_front(
    app_user: User, shop: CRPM
) -> None:
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    tea = shop.products.add(name="Tea", price="2.50", stock=30)
    for _ in range(2):
        shop.purchases.record(customer_id=ada.id, product_id=tea.id, quantity=1)
    await app_user.open(f"/products/{tea.id}")
    app_user.find(marker="product-delete").click()
    await app_user.should_see("The product Tea has 2 purchases, so it stays on record.")
    await app_user.should_not_see("for good?")
    app_user.find(marker="history-keep").click()
    await app_user.should_not_see(marker="has-history")
    assert shop.products.get(tea.id).active


async def test_delete_of_an_unsold_product_goes_after_a_confirm(app_user: User, shop: CRPM) -> None:
    cup = shop.products.add(name="Cup", price="5.00", stock=1)
    await app_user.open(f"/products/{cup.id}")
    app_user.find(marker="product-delete").click()
    await app_user.should_see("Delete the product Cup for good?")
    app_user.find(marker="confirm-delete-ok").click()
    await app_user.should_see("Deleted product Cup")
    assert shop.products.list().total == 0


async def test_the_movements_are_in_the_shops_zone(app_user: User, shop: CRPM) -> None:
    shop.settings.update(timezone="America/New_York")
    tea = shop.products.add(name="Tea", price="2.50", stock=3)
    await app_user.open(f"/products/{tea.id}")
    moves = table(app_user, "movements-table")
    await until(lambda: len(moves.rows) == 1)
    assert moves.columns[0]["label"] == "When (America/New_York)"
    local = tea.created_at.astimezone(ZoneInfo("America/New_York"))
    assert moves.rows[0]["at"] == local.strftime("%Y-%m-%d %H:%M")


async def test_a_clerk_sees_the_product_without_reports_or_changes(clerk: User, shop: CRPM) -> None:
    tea = shop.products.add(name="Tea", price="2.50", stock=3)
    await clerk.open(f"/products/{tea.id}")
    await clerk.should_see("In stock: 3")
    for marker in ("movements-table", "product-restock", "product-edit", "product-delete"):
        await clerk.should_not_see(marker=marker)
    await clerk.should_see("Reorder point: the shop's default, 5")
