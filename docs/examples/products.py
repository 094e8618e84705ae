"""Products: exact prices, restocks, stock counts and the stock ledger."""

from decimal import Decimal

import crpm_core
from crpm_core import errors

with crpm_core.connect("sqlite:///shop.db") as crm:
    tea = crm.products.add(name="Green tea 100g", price="6.50", stock=20, sku="TEA-100")
    mug = crm.products.add(name="Ceramic mug", price=Decimal("9.99"), stock=5)
    print(tea.price, type(tea.price).__name__)  # 6.50 Decimal

    # Prices with more than two decimal places are refused, naming the field.
    try:
        crm.products.add(name="Odd", price="1.999")
    except errors.ValidationError as e:
        print(e.field, "-", e.message)  # price - must have at most two decimal places

    crm.products.restock(tea.id, 30, note="delivery #1042")  # 20 -> 50
    crm.products.set_stock(mug.id, 4, note="one broken in the shop")  # a counted correction
    crm.products.update(tea.id, price="6.90")  # later sales use the new price

    # Every stock change is a row of the ledger; a product's changes sum to its stock.
    moves = crm.reports.stock_movements(product_id=tea.id).items
    for m in moves:
        print(m.kind, m.change, m.stock_after, m.note)
    # restock 30 50 delivery #1042
    # initial 20 20 None
    assert sum(m.change for m in moves) == crm.products.get(tea.id).stock == 50

    low = crm.products.list(low_stock=5)
    print([p.name for p in low.items])  # ['Ceramic mug']
