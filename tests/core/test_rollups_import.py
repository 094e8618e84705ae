"""A large import keeps the rollups as a sale does: thousands of (day, product) rows written
many at a time, orders of several rows, returns in the file, in a shop with its own zone;
then a sale, a return and a cancel on top, and everything still agrees with the raw sales."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from crpm_core import CRPM, transfer

HEADER = "customer_email,product_sku,quantity,unit_price,purchased_at,order_ref,returned_quantity\n"


def test_a_large_import_agrees_with_the_raw_sales(crm: CRPM) -> None:
    crm.settings.update(timezone="America/New_York")
    rng = random.Random(7)
    people = [
        crm.customers.add(name=f"Zoë O'Brien {i}", email=f"zoe{i}@example.ie") for i in range(40)
    ]
    goods = [
        crm.products.add(name=f"Tea {i}", price="1.00", stock=10_000, sku=f"T{i:03d}")
        for i in range(60)
    ]
    start = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    rows = []
    for n in range(1_500):
        at = start + timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
        who = rng.choice(people).email
        ref = f"R{n}" if n % 3 == 0 else ""
        for _ in range(3 if ref else 1):  # an order of three rows shares its time
            qty = rng.randint(1, 4)
            back = rng.choice([0, 0, 0, qty, 1])
            price = Decimal(rng.randrange(1, 5000)) / 100
            sku = rng.choice(goods).sku
            rows.append(f"{who},{sku},{qty},{price},{at.isoformat()},{ref},{back}\n")
    result = transfer.import_purchases(crm, io.StringIO(HEADER + "".join(rows)))
    assert result.rows == len(rows)
    assert crm.check() == []

    summary = crm.reports.sales_summary()
    assert summary.purchase_count == len(rows)
    assert summary.order_count == 1_500
    buyer = people[0]
    order = crm.orders.place(customer_id=buyer.id, lines=[(goods[0].id, 2), (goods[1].id, 1)])
    crm.purchases.return_items(order.lines[0].id, 1)
    crm.purchases.cancel(order.lines[1].id)
    assert crm.check() == []
    crm.settings.update(timezone="Asia/Kathmandu")
    assert crm.check() == []
    assert crm.reports.sales_summary().order_count == 1_501
