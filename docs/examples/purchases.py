"""Purchases: one transaction moves the stock; cancelling gives it back."""

from datetime import UTC, datetime

import crpm_core
from crpm_core import errors

with crpm_core.connect("sqlite:///shop.db") as crm:
    ana = crm.customers.add(name="Ana Silva", email="ana@exemplo.pt")
    lamp = crm.products.add(name="Desk lamp", price="40.00", stock=3, sku="LAMP-1")

    sale = crm.purchases.record(customer_id=ana.id, product_id=lamp.id, quantity=2)
    print(sale.unit_price, sale.total)  # 40.00 80.00
    print(crm.products.get(lamp.id).stock)  # 1

    # A past sale: give the time, with its time zone.
    crm.purchases.record(
        customer_id=ana.id,
        product_id=lamp.id,
        quantity=1,
        purchased_at=datetime(2026, 1, 31, 23, 59, tzinfo=UTC),
    )

    # Asking for more than is in stock changes nothing.
    try:
        crm.purchases.record(customer_id=ana.id, product_id=lamp.id, quantity=1)
    except errors.InsufficientStock as e:
        print(e.requested, e.available)  # 1 0

    # Cancel: the stock comes back, revenue drops it, the history keeps it (marked).
    crm.purchases.cancel(sale.id)
    print(crm.products.get(lamp.id).stock)  # 2
    for line in crm.purchases.history(ana.id):  # newest first
        print(line.product_name, line.quantity, line.total, line.cancelled)
    # Desk lamp 2 80.00 True
    # Desk lamp 1 40.00 False
