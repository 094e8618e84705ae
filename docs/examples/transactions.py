"""Several calls in one transaction, the shop's settings, reorder points and the clock."""

from datetime import UTC, datetime

import crpm_core
from crpm_core import errors

opening = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
with crpm_core.connect("sqlite:///shop.db", clock=lambda: opening) as crm:
    tea = crm.products.add(name="Green tea 100g", price="6.50", stock=20, sku="TEA-100")
    mug = crm.products.add(name="Ceramic mug", price="9.99", stock=3, sku="MUG", reorder_point=4)

    # A new customer and their first basket: both are stored, or neither is.
    with crm.transaction() as tx:
        ada = tx.customers.add(name="Ada Lovelace", email="ada@example.org")
        tx.purchases.record(customer_id=ada.id, product_id=tea.id, quantity=2)
        tx.purchases.record(customer_id=ada.id, product_id=mug.id, quantity=1)
    print(crm.products.get(mug.id).stock)  # 2

    # Leaving the block with an error rolls back every call in it.
    try:
        with crm.transaction() as tx:
            bob = tx.customers.add(name="Bob Ó Briain", email="bob@example.ie")
            tx.purchases.record(customer_id=bob.id, product_id=mug.id, quantity=5)
    except errors.InsufficientStock as e:
        print(e)  # product 2 has 2 in stock; 5 requested
    print(crm.customers.list(search="o briain").total)  # 0

    # The clock given to connect() stamps every record; the acting user marks the ledger.
    print(crm.customers.get(ada.id).created_at.isoformat())  # 2026-03-29T08:00:00+00:00
    print(crm.reports.stock_movements(product_id=mug.id).items[0].actor)  # system

    # Shop settings, and the products at or below their reorder point.
    crm.settings.update(shop_name="Ada's Tea Room", currency="GBP", timezone="Europe/London")
    print(crm.settings.get().currency)  # GBP
    print([p.name for p in crm.products.low_stock()])  # ['Ceramic mug']
    try:
        crm.settings.update(currency="pounds")
    except errors.ValidationError as e:
        print(e.field)  # currency
