"""Whom to call (RFM segments) and what to reorder (days of cover)."""

from datetime import UTC, datetime, timedelta

import crpm_core

now = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
with crpm_core.connect("sqlite:///shop.db", clock=lambda: now) as crm:
    tea = crm.products.add(name="Green tea 100g", price="6.50", stock=100, sku="TEA")
    mug = crm.products.add(name="Ceramic mug", price="9.99", stock=6, sku="MUG", reorder_point=5)
    ada = crm.customers.add(name="Ada", email="ada@example.org")
    bob = crm.customers.add(name="Bob", email="bob@example.org")
    for days_ago in (2, 9, 16, 23):  # Ada buys every week
        when = now - timedelta(days=days_ago)
        crm.orders.place(customer_id=ada.id, lines=[(tea.id, 2)], purchased_at=when)
    crm.orders.place(customer_id=bob.id, lines=[(mug.id, 3)], purchased_at=now - timedelta(200))

    for c in crm.reports.rfm():
        print(c.name, c.recency_days, c.frequency, c.monetary, c.segment)
    # Ada 2 4 52.00 Champions
    # Bob 200 1 29.97 Lost
    print([(s.segment, s.customers) for s in crm.reports.rfm_segments() if s.customers])
    # [('Champions', 1), ('Lost', 1)]

    for s in crm.reports.reorder_suggestions(days=30):
        print(s.name, s.stock, s.daily_velocity, s.days_of_cover, s.suggested_quantity)
    # Green tea 100g 92 4/15 345 0
    # Ceramic mug 3 0 None 2
