"""The counter (``/purchases``): a customer found by name, email or phone; products added by
SKU and Enter or by search; quantities, stock left and totals in the shop's currency; one
"Complete sale" (Ctrl+Enter) placing the whole basket; refusals on their line; the receipt;
the orders below, filtered by customer, product and days."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from nicegui.testing import User

from crpm_core import CRPM
from tests.ui.helpers import element, table, until


def counter_shop(shop: CRPM) -> dict[str, int]:
    shop.settings.update(currency="EUR", timezone="Europe/Dublin")
    zoe = shop.customers.add(name="Zoë O'Brien", email="zoe@example.ie", phone="+353 (1) 555-0101")
    ada = shop.customers.add(name="Ada Lovelace", email="ada@example.org", phone="020 7946 0018")
    tea = shop.products.add(name="Green tea 100g", price="6.50", stock=5, sku="TEA-100")
    mug = shop.products.add(name="Mug «Café»", price="9.99", stock=1, sku="MUG-1")
    old = shop.products.add(name="Teapot (old)", price="29.90", stock=4, sku="POT-OLD")
    return {"zoe": zoe.id, "ada": ada.id, "tea": tea.id, "mug": mug.id, "old": old.id}


async def open_counter(user: User, *, products: bool = True) -> None:
    """Open the counter and wait for the pickers' first matches (they come just after the
    page is shown)."""
    await user.open("/purchases")
    markers = ["pick-customer", "orders-customer"]
    markers += ["pick-product", "orders-product"] if products else []
    for marker in markers:
        picker = element(user, marker)
        await until(lambda p=picker: len(p.options) > 0, what=f"{marker}'s first matches")


async def choose_customer(user: User, text: str, label: str) -> None:
    picker = element(user, "pick-customer")
    user.find(marker="pick-customer").trigger("inputValue", text)
    await until(lambda: label in picker.options.values(), what=f"{label} in {picker.options}")
    user.find(marker="pick-customer").click()
    user.find(label).click()
    await until(lambda: picker.value is not None, what="a customer chosen")


async def scan(user: User, sku: str) -> None:
    user.find(marker="sku").type(sku).trigger("keydown.enter")


async def test_a_whole_sale_with_a_basket(app_user: User, shop: CRPM) -> None:
    ids = counter_shop(shop)
    await open_counter(app_user)
    await choose_customer(app_user, "555 0101", "Zoë O'Brien · zoe@example.ie · +353 (1) 555-0101")
    await scan(app_user, "TEA-100")
    await app_user.should_see(marker=f"line-{ids['tea']}")
    await scan(app_user, "tea-100")  # the same SKU again: one more on its line
    quantity = element(app_user, f"qty-{ids['tea']}")
    await until(lambda: quantity.value == 2, what=f"2 teas, not {quantity.value}")
    assert element(app_user, f"left-{ids['tea']}").text == "3 left in stock"
    assert element(app_user, f"line-total-{ids['tea']}").text == "€13.00"

    picker = element(app_user, "pick-product")
    app_user.find(marker="pick-product").trigger("inputValue", "café")
    await until(lambda: len(picker.options) == 1, what=f"one mug in {picker.options}")
    app_user.find(marker="pick-product").click()
    app_user.find("Mug «Café» · MUG-1 · €9.99 · 1 in stock").click()
    await app_user.should_see(marker=f"line-{ids['mug']}")
    assert picker.value is None  # ready for the next product
    assert element(app_user, "basket-total").text == "Total €22.99 · 3 items"

    button = element(app_user, "complete-sale")
    assert button.props["aria-keyshortcuts"] == "Control+Enter"
    assert element(app_user, "shortcut-hint").text == "Ctrl+Enter"
    app_user.find(marker="complete-sale").click()
    await app_user.should_see(
        "Sold to Zoë O'Brien: 2 × Green tea 100g, 1 × Mug «Café». Total €22.99"
    )
    [order] = shop.orders.list(customer_id=ids["zoe"]).items
    assert [(p.product_id, p.quantity) for p in order.lines] == [(ids["tea"], 2), (ids["mug"], 1)]
    assert order.total == Decimal("22.99")
    assert shop.products.get(ids["tea"]).stock == 3
    assert shop.products.get(ids["mug"]).stock == 0

    # the receipt, and an empty basket for the next customer
    await app_user.should_see(f"Order {order.id} for Zoë O'Brien: €22.99")
    receipt = element(app_user, "receipt-download")
    assert receipt.props["href"] == f"/downloads/receipts/{order.id}.pdf"
    assert element(app_user, "receipt-print").props["href"].endswith("?inline=1")
    await app_user.should_see(marker="basket-empty")
    assert element(app_user, "pick-customer").value is None
    assert element(app_user, "basket-total").text == "Total €0.00"
    orders = table(app_user, "orders-table")
    await until(lambda: len(orders.rows) == 1, what="the order listed")
    row = orders.rows[0]
    assert (row["customer"], row["total"], row["status"]) == ("Zoë O'Brien", "€22.99", "Completed")
    assert row["lines"] == "2 × Green tea 100g, 1 × Mug «Café»"


async def test_ctrl_enter_completes_the_sale(app_user: User, shop: CRPM) -> None:
    ids = counter_shop(shop)
    await open_counter(app_user)
    await choose_customer(app_user, "ada@", "Ada Lovelace · ada@example.org · 020 7946 0018")
    await scan(app_user, "TEA-100")
    await app_user.should_see(marker=f"line-{ids['tea']}")
    app_user.find(marker=f"qty-{ids['tea']}").clear().type("4")
    await until(lambda: element(app_user, f"left-{ids['tea']}").text == "1 left in stock")
    # Ctrl+Enter from anywhere in the counter (the listener sits on its card)
    app_user.find(marker="counter").trigger("keydown.ctrl.enter")
    await app_user.should_see("Sold to Ada Lovelace: 4 × Green tea 100g. Total €26.00")
    assert shop.products.get(ids["tea"]).stock == 1


async def test_a_refused_line_says_why_and_keeps_the_quantity(app_user: User, shop: CRPM) -> None:
    """Defect 3: stock fell after the line was filled in; the quantity typed stays, the line
    says how many are left, nothing is sold; the clerk decides."""
    ids = counter_shop(shop)
    await open_counter(app_user)
    await choose_customer(app_user, "Zoe", "Zoë O'Brien · zoe@example.ie · +353 (1) 555-0101")
    await scan(app_user, "TEA-100")
    await app_user.should_see(marker=f"line-{ids['tea']}")
    await scan(app_user, "MUG-1")
    await app_user.should_see(marker=f"line-{ids['mug']}")
    app_user.find(marker=f"qty-{ids['tea']}").clear().type("4")
    shop.products.set_stock(ids["tea"], 1)  # meanwhile, at another till
    app_user.find(marker="complete-sale").click()
    await app_user.should_see("Nothing was sold. Green tea 100g: only 1 in stock")
    problem = element(app_user, f"problem-{ids['tea']}")
    assert problem.text == "Only 1 in stock"
    assert element(app_user, f"qty-{ids['tea']}").value == 4  # kept as typed
    assert element(app_user, f"problem-{ids['mug']}").text == ""
    assert element(app_user, f"left-{ids['tea']}").text == "3 short"
    assert shop.orders.list().total == 0
    assert shop.products.get(ids["tea"]).stock == 1
    assert shop.products.get(ids["mug"]).stock == 1

    # the clerk lowers the quantity: the line's reason goes, and the sale goes through
    app_user.find(marker=f"qty-{ids['tea']}").clear().type("1")
    await until(lambda: problem.text == "", what=f"the problem cleared, not {problem.text!r}")
    app_user.find(marker="complete-sale").click()
    await app_user.should_see(
        "Sold to Zoë O'Brien: 1 × Green tea 100g, 1 × Mug «Café». Total €16.49"
    )
    assert shop.products.get(ids["tea"]).stock == 0


async def test_an_inactive_product_is_refused_on_its_line(app_user: User, shop: CRPM) -> None:
    ids = counter_shop(shop)
    await open_counter(app_user)
    await choose_customer(app_user, "Ada", "Ada Lovelace · ada@example.org · 020 7946 0018")
    await scan(app_user, "POT-OLD")
    await app_user.should_see(marker=f"line-{ids['old']}")
    shop.products.deactivate(ids["old"])
    app_user.find(marker="complete-sale").click()
    await app_user.should_see("Nothing was sold. Teapot (old) is inactive: no longer sold")
    assert element(app_user, f"problem-{ids['old']}").text == "Inactive: no longer sold"
    assert shop.products.get(ids["old"]).stock == 4
    assert shop.orders.list().total == 0


async def test_an_unknown_sku_and_an_empty_basket_say_so(app_user: User, shop: CRPM) -> None:
    counter_shop(shop)
    await open_counter(app_user)
    await scan(app_user, "NOPE-1")
    sku = element(app_user, "sku")
    await until(lambda: sku.error == "No product has the SKU NOPE-1", what=f"{sku.error}")
    app_user.find(marker="complete-sale").click()
    await app_user.should_see("Pick the customer first")
    await choose_customer(app_user, "Ada", "Ada Lovelace · ada@example.org · 020 7946 0018")
    app_user.find(marker="complete-sale").click()
    await app_user.should_see("The basket is empty: add a product first")
    assert shop.orders.list().total == 0


async def test_the_customer_picker_finds_phones_however_spaced(app_user: User, shop: CRPM) -> None:
    counter_shop(shop)
    await open_counter(app_user)
    picker = element(app_user, "pick-customer")
    for typed in ("02079460018", "020-7946-0018", "7946 0018"):
        app_user.find(marker="pick-customer").trigger("inputValue", typed)
        await until(
            lambda: [v.split(" · ")[0] for v in picker.options.values()] == ["Ada Lovelace"],
            what=f"{typed}: {picker.options}",
        )


async def test_defect_1_typing_fast_then_enter_picks_by_label(app_user: User, shop: CRPM) -> None:
    """Defect 1: the browser answers a choice with an index into the options it had; the
    server had already replaced them with the matches of what was typed since. NiceGUI's
    select raised IndexError ("Something went wrong") or picked the wrong person."""
    for i in range(12):
        shop.customers.add(name=f"Buyer {i:02d}", email=f"b{i}@shop.example")
    zoe = shop.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    await open_counter(app_user, products=False)
    picker = element(app_user, "pick-customer")
    before = list(picker.options.values())
    stale_index = before.index("Zoë O'Brien · zoe@example.ie")
    assert stale_index > 0
    app_user.find(marker="pick-customer").trigger("inputValue", "zo")
    await until(lambda: len(picker.options) == 1, what=f"narrowed {picker.options}")
    # ArrowDown + Enter in the browser: the index of the old list, with its label
    app_user.find(marker="pick-customer").trigger(
        "update:modelValue", {"value": stale_index, "label": "Zoë O'Brien · zoe@example.ie"}
    )
    await until(lambda: picker.value == zoe.id, what=f"Zoë chosen, not {picker.value}")
    await app_user.should_not_see("Something went wrong")

    # an index that exists in the new list but means another person: the label decides
    app_user.find(marker="pick-customer").trigger("inputValue", "buyer")
    await until(lambda: len(picker.options) == 13, what=f"buyers {len(picker.options)}")
    labels = list(picker.options.values())
    buyer_3 = labels.index("Buyer 03 · b3@shop.example")
    app_user.find(marker="pick-customer").trigger(
        "update:modelValue", {"value": buyer_3 + 1, "label": "Buyer 03 · b3@shop.example"}
    )
    await until(
        lambda: picker.options.get(picker.value) == "Buyer 03 · b3@shop.example",
        what=f"Buyer 03 chosen, not {picker.options.get(picker.value)}",
    )
    # a choice no longer offered changes nothing
    app_user.find(marker="pick-customer").trigger(
        "update:modelValue", {"value": 40, "label": "Somebody · gone@example.org"}
    )
    await app_user.should_not_see("Something went wrong")
    assert picker.options.get(picker.value) == "Buyer 03 · b3@shop.example"


async def test_a_clerk_sells_and_sees_orders(clerk: User, shop: CRPM) -> None:
    ids = counter_shop(shop)
    await open_counter(clerk)
    await choose_customer(clerk, "Ada", "Ada Lovelace · ada@example.org · 020 7946 0018")
    await scan(clerk, "TEA-100")
    await clerk.should_see(marker=f"line-{ids['tea']}")
    clerk.find(marker="complete-sale").click()
    await clerk.should_see("Sold to Ada Lovelace: 1 × Green tea 100g. Total €6.50")
    [order] = shop.orders.list().items
    assert order.total == Decimal("6.50")


async def test_orders_filter_by_customer_product_and_days(app_user: User, shop: CRPM) -> None:
    """Days are the shop's (Europe/Dublin) and "To" is included: an order at 23:59 local
    time on the last day is shown, one at 00:00 the day after is not."""
    ids = counter_shop(shop)
    shop.products.restock(ids["mug"], 10)
    dublin_midnight = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)  # GMT in winter: UTC+0
    summer_late = datetime(2026, 7, 1, 22, 59, tzinfo=UTC)  # 23:59 IST on 1 July
    summer_next = datetime(2026, 7, 1, 23, 0, tzinfo=UTC)  # 00:00 IST on 2 July
    place = shop.orders.place
    place(customer_id=ids["zoe"], lines=[(ids["tea"], 1)], purchased_at=dublin_midnight)
    place(customer_id=ids["ada"], lines=[(ids["mug"], 1)], purchased_at=summer_late)
    place(
        customer_id=ids["ada"], lines=[(ids["tea"], 1), (ids["mug"], 2)], purchased_at=summer_next
    )
    await open_counter(app_user)
    orders = table(app_user, "orders-table")
    await until(lambda: len(orders.rows) == 3, what=f"{orders.rows}")
    assert orders.columns[1]["label"] == "Date (Europe/Dublin)"
    assert [r["at"] for r in orders.rows] == [
        "2026-07-02 00:00",
        "2026-07-01 23:59",
        "2026-03-01 00:00",
    ]
    app_user.find(marker="orders-from").type("2026-07-01")
    app_user.find(marker="orders-to").type("2026-07-01")
    await until(
        lambda: [r["at"] for r in orders.rows] == ["2026-07-01 23:59"], what=f"{orders.rows}"
    )
    await app_user.should_see(
        "From 2026-07-01 to 2026-07-01, both days included (days in Europe/Dublin)."
    )

    app_user.find(marker="orders-to").clear()
    await until(lambda: len(orders.rows) == 2, what=f"{orders.rows}")
    picker = element(app_user, "orders-product")
    app_user.find(marker="orders-product").trigger("inputValue", "tea")
    await until(
        lambda: len(picker.options) == 2 or "Green tea 100g · TEA-100" in picker.options.values()
    )
    picker.set_value(ids["tea"])
    await until(lambda: len(orders.rows) == 1, what=f"{orders.rows}")
    assert orders.rows[0]["lines"] == "1 × Green tea 100g, 2 × Mug «Café»"
    picker.set_value(None)
    element(app_user, "orders-from").set_value("")
    customer = element(app_user, "orders-customer")
    customer.set_value(ids["zoe"])
    await until(
        lambda: [r["customer"] for r in orders.rows] == ["Zoë O'Brien"], what=f"{orders.rows}"
    )


async def test_orders_range_refuses_a_bad_day(app_user: User, shop: CRPM) -> None:
    counter_shop(shop)
    await open_counter(app_user)
    app_user.find(marker="orders-from").type("2026-07-02")
    app_user.find(marker="orders-to").type("2026-07-01")
    to = element(app_user, "orders-to")
    await until(lambda: to.error == "Must not be before “From”", what=f"{to.error}")
    orders = table(app_user, "orders-table")
    assert orders.rows == []
    assert orders.props["no-data-label"] == "No orders for these filters"


async def test_orders_are_paged_on_the_server(app_user: User, shop: CRPM) -> None:
    ids = counter_shop(shop)
    shop.products.restock(ids["tea"], 100)
    start = datetime(2026, 1, 5, 12, tzinfo=UTC)
    for i in range(23):
        shop.orders.place(
            customer_id=ids["ada"], lines=[(ids["tea"], 1)], purchased_at=start + timedelta(hours=i)
        )
    await open_counter(app_user)
    orders = table(app_user, "orders-table")
    await until(lambda: len(orders.rows) == 10, what=f"{len(orders.rows)}")
    assert orders.pagination["rowsNumber"] == 23
    app_user.find(marker="orders-table").trigger(
        "request", {"pagination": {"page": 3, "rowsPerPage": 10}}
    )
    await until(lambda: len(orders.rows) == 3, what=f"{len(orders.rows)}")


async def test_a_choice_made_while_a_search_runs_stays(app_user: User, shop: CRPM) -> None:
    """Typing, then choosing before the search has answered (a quick click or Enter): the
    late answer, which lacks the person chosen, does not drop the choice."""
    ids = counter_shop(shop)
    await open_counter(app_user)
    picker = element(app_user, "pick-customer")
    labels = list(picker.options.values())
    ada = labels.index("Ada Lovelace · ada@example.org · 020 7946 0018")
    app_user.find(marker="pick-customer").trigger(
        "inputValue", "zo"
    )  # a search that will not find Ada
    app_user.find(marker="pick-customer").trigger(
        "update:modelValue", {"value": ada, "label": labels[ada]}
    )
    await asyncio.sleep(0.6)  # the search's pause and its answer are over
    assert picker.value == ids["ada"]
    assert picker.options[ids["ada"]] == labels[ada]
    # the picker writing the chosen label into its field searches nothing
    app_user.find(marker="pick-customer").trigger("inputValue", labels[ada])
    await asyncio.sleep(0.4)
    assert picker.value == ids["ada"]
