"""An order's own page, ``/orders/{id}``: its lines, a return per line (quantity and a note
that lands on the ``return`` stock movement), cancel behind "Keep" / "Cancel sale", the
receipt; and the receipt's download route."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

from nicegui.testing import User

from crpm_core import CRPM
from tests.ui.helpers import element, table, until


def sold(shop: CRPM) -> dict[str, int]:
    shop.settings.update(currency="GBP", timezone="Europe/London", shop_name="Corner Shop")
    maeve = shop.customers.add(name="Maeve Ní Bhriain", email="maeve@example.ie")
    tea = shop.products.add(name="Green tea 100g", price="6.50", stock=10, sku="TEA-100")
    mug = shop.products.add(name="Mug", price="9.99", stock=4, sku="MUG-1")
    order = shop.orders.place(
        customer_id=maeve.id,
        lines=[(tea.id, 3), (mug.id, 1)],
        purchased_at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC),  # 00:30 on 2 July in London
        ref="WEB-1001",
    )
    return {
        "order": order.id,
        "tea": tea.id,
        "mug": mug.id,
        "maeve": maeve.id,
        "tea_line": order.lines[0].id,
        "mug_line": order.lines[1].id,
    }


async def test_the_page_shows_the_order(app_user: User, shop: CRPM) -> None:
    ids = sold(shop)
    await app_user.open(f"/orders/{ids['order']}")
    await app_user.should_see(f"Order {ids['order']} · ref WEB-1001")
    await app_user.should_see("2026-07-02 00:30 (Europe/London)")
    assert element(app_user, "order-total").text == "£29.49"
    assert element(app_user, "order-status").text == "Completed"
    assert element(app_user, "order-customer").props["href"] == f"/customers/{ids['maeve']}"
    lines = table(app_user, "order-lines")
    assert [(r["product"], r["quantity"], r["total"]) for r in lines.rows] == [
        ("Green tea 100g", 3, "£19.50"),
        ("Mug", 1, "£9.99"),
    ]
    assert element(app_user, "receipt-download").props["href"] == (
        f"/downloads/receipts/{ids['order']}.pdf"
    )
    # the navigation does not offer the order page itself, and no raw route shows
    await app_user.should_not_see(marker="nav-orders-{order_id}")
    await app_user.should_not_see("{order_id}")


async def test_an_unknown_order_says_so(app_user: User, shop: CRPM) -> None:
    await app_user.open("/orders/999")
    await app_user.should_see("There is no order 999.")
    await app_user.open("/orders/99999999999999999999999")
    await app_user.should_see("There is no such order.")


async def test_a_return_with_a_note_lands_on_the_stock_movement(app_user: User, shop: CRPM) -> None:
    ids = sold(shop)
    await app_user.open(f"/orders/{ids['order']}")
    app_user.find(marker="order-lines").trigger("return", ids["tea_line"])
    await app_user.should_see("Return Green tea 100g")
    await app_user.should_see("3 sold, 0 returned so far: up to 3 can come back into stock.")
    app_user.find(marker="return-quantity").clear().type("2")
    app_user.find(marker="return-note").type("Wrong flavour — Maeve's")
    app_user.find(marker="return-save").click()
    await app_user.should_see("2 × Green tea 100g returned to stock")
    line = shop.purchases.get(ids["tea_line"])
    assert line.returned_quantity == 2
    assert shop.products.get(ids["tea"]).stock == 9
    [movement] = shop.reports.stock_movements(product_id=ids["tea"], limit=1).items
    assert (movement.kind, movement.change, movement.note) == (
        "return",
        2,
        "Wrong flavour — Maeve's",
    )
    assert movement.actor == "olivia"
    lines = table(app_user, "order-lines")
    await until(lambda: lines.rows[0]["returned"] == 2, what=f"{lines.rows}")
    assert lines.rows[0]["total"] == "£6.50"
    assert element(app_user, "order-total").text == "£16.49"
    assert element(app_user, "order-status").text == "Partly returned"


async def test_enter_in_the_return_dialog_returns_and_too_many_keeps_the_value(
    app_user: User, shop: CRPM
) -> None:
    """Defect 14 (Enter submits a dialog) and defect 3 (what was typed stays, with why)."""
    ids = sold(shop)
    await app_user.open(f"/orders/{ids['order']}")
    app_user.find(marker="order-lines").trigger("return", ids["tea_line"])
    await app_user.should_see("Return Green tea 100g")
    quantity = element(app_user, "return-quantity")
    app_user.find(marker="return-quantity").clear().type("3")
    shop.purchases.return_items(ids["tea_line"], 2)  # meanwhile, at another till
    app_user.find(marker="return-quantity").trigger("keydown.enter")
    await until(
        lambda: quantity.error == "Only 1 left to return",
        what=f"{quantity.error}",
    )
    assert quantity.value == 3  # kept: the clerk decides
    app_user.find(marker="return-quantity").clear().type("1")
    app_user.find(marker="return-note").trigger("keydown.enter")
    await app_user.should_see("1 × Green tea 100g returned to stock")
    assert shop.purchases.get(ids["tea_line"]).returned_quantity == 3
    lines = table(app_user, "order-lines")
    await until(lambda: lines.rows[0]["left"] == 0, what=f"{lines.rows}")
    assert not lines.rows[0]["can_return"]


async def test_keep_leaves_the_order_and_cancel_sale_cancels_it(app_user: User, shop: CRPM) -> None:
    """Defect 8: the confirmation says "Keep" / "Cancel sale", not "Cancel" / "Cancel purchase"."""
    ids = sold(shop)
    await app_user.open(f"/orders/{ids['order']}")
    app_user.find(marker="cancel-sale").click()
    await app_user.should_see(f"Cancel order {ids['order']} of Maeve Ní Bhriain?", retries=20)
    assert element(app_user, "confirm-cancel-sale-no").text == "Keep"
    yes = element(app_user, "confirm-cancel-sale-yes")
    assert yes.text == "Cancel sale" and "autofocus" in yes.props  # Enter accepts
    app_user.find(marker="confirm-cancel-sale-no").click()
    await app_user.should_not_see(marker="confirm-cancel-sale-yes")
    assert shop.orders.get(ids["order"]).cancelled_at is None

    app_user.find(marker="cancel-sale").click()
    await app_user.should_see(marker="confirm-cancel-sale-yes")
    app_user.find(marker="confirm-cancel-sale-yes").click()
    await app_user.should_see(f"Order {ids['order']} cancelled: its units are back in stock")
    assert shop.orders.get(ids["order"]).cancelled_at is not None
    assert shop.products.get(ids["tea"]).stock == 10
    assert shop.products.get(ids["mug"]).stock == 4
    await until(lambda: element(app_user, "order-status").text == "Cancelled")
    await app_user.should_not_see(marker="cancel-sale")
    assert all(row["cancelled"] for row in table(app_user, "order-lines").rows)


async def test_a_clerk_sees_the_order_but_no_return_or_cancel(clerk: User, shop: CRPM) -> None:
    ids = sold(shop)
    await clerk.open(f"/orders/{ids['order']}")
    await clerk.should_see(f"Order {ids['order']} · ref WEB-1001")
    await clerk.should_not_see(marker="cancel-sale")
    assert not any(row["can_return"] for row in table(clerk, "order-lines").rows)


async def test_the_receipt_downloads_as_the_logged_in_user(app_user: User, shop: CRPM) -> None:
    ids = sold(shop)
    await app_user.open(f"/orders/{ids['order']}")
    response = await app_user.http_client.get(f"/downloads/receipts/{ids['order']}.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="receipt-{ids["order"]}.pdf"'
    )
    text = pdf_text(response.content)
    for shown in (
        "Corner Shop",
        f"Order {ids['order']} (ref WEB-1001)",
        "Maeve Ní Bhriain",
        "£29.49",
    ):
        assert shown in text, (shown, text)
    inline = await app_user.http_client.get(f"/downloads/receipts/{ids['order']}.pdf?inline=1")
    assert inline.headers["content-disposition"].startswith("inline;")
    for bad in ("999", "0", "abc", "1e3", "99999999999999999999999"):
        missing = await app_user.http_client.get(f"/downloads/receipts/{bad}.pdf")
        assert missing.status_code == 404, bad
        assert missing.text == "There is no such order."


async def test_the_receipt_needs_a_login(guest: User, shop: CRPM) -> None:
    ids = sold(shop)
    response = await guest.http_client.get(f"/downloads/receipts/{ids['order']}.pdf")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def pdf_text(data: bytes) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: apt-get install poppler-utils"
    done = subprocess.run([tool, "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode("utf-8")
