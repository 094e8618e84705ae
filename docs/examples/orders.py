"""Orders of several lines, partial returns and cancels; every report net of returns."""

from datetime import UTC, datetime
from pathlib import Path

import crpm_core
from crpm_core import errors

with crpm_core.connect("sqlite:///shop.db") as crm:
    zoe = crm.customers.add(name="Zoë Ó Briain-Łukasiewicz", email="zoe@example.ie")
    tea = crm.products.add(name="Чай 100g", price="6.50", stock=10, sku="TEA")
    wine = crm.products.add(name="Κρασί", price="12.00", stock=3, sku="WINE")

    # One basket, one transaction: every line is checked, then every stock moves.
    order = crm.orders.place(
        customer_id=zoe.id,
        lines=[(tea.id, 3), {"product_id": wine.id, "quantity": 1}, (tea.id, 1)],
        ref="POS-1001",  # the till's own number: unique, so a re-import is refused
        purchased_at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC),
    )
    print(len(order.lines), order.total)  # 3 38.00
    print(crm.products.get(tea.id).stock)  # 6

    # A receipt to hand over: shop name, number, date (shop time zone), lines, total.
    receipt = Path("receipt.pdf")
    receipt.write_bytes(crm.orders.receipt_pdf(order.id))
    print(receipt.read_bytes()[:5])  # b'%PDF-'

    # The same product on two lines counts against its stock once, in total; one short
    # line refuses the whole order and nothing changes.
    try:
        crm.orders.place(customer_id=zoe.id, lines=[(wine.id, 1), (wine.id, 2), (tea.id, 1)])
    except errors.InsufficientStock as e:
        print(e.requested, e.available)  # 3 2
    print(crm.products.get(tea.id).stock)  # 6

    # Part of a line comes back: stock, the line's total and every report drop it.
    first_line = order.lines[0]
    back = crm.purchases.return_items(first_line.id, 2, note="two tins dented")
    print(back.returned_quantity, back.total)  # 2 6.50
    print(crm.orders.get(order.id).total)  # 25.00
    summary = crm.reports.sales_summary()
    print(summary.revenue, summary.units_sold, summary.order_count)  # 25.00 3 1
    print(crm.reports.stock_movements(kind="return").items[0].note)  # two tins dented

    # More than is left to return is refused.
    try:
        crm.purchases.return_items(first_line.id, 2)
    except errors.Conflict as e:
        print(e)  # purchase 1 has 1 unit left to return; 2 requested

    # Cancelling the order gives back every unit not yet returned; it stays in history.
    cancelled = crm.orders.cancel(order.id)
    print(cancelled.cancelled_at is not None, crm.products.get(tea.id).stock)  # True 10
    print(crm.reports.sales_summary().revenue)  # 0.00
    print(crm.orders.list(customer_id=zoe.id).total)  # 1
