"""Reports: revenue, top customers, best and least sellers, sales over time."""

import random
from datetime import UTC, datetime, timedelta

import crpm_core

with crpm_core.connect("sqlite:///shop.db") as crm:
    rng = random.Random(1)
    people = [
        crm.customers.add(name=n, email=f"{i}@example.com")
        for i, n in enumerate(["Zoë", "José", "Łucja", "Aoife"])
    ]
    goods = [
        crm.products.add(name=n, price=p, stock=500)
        for n, p in [("Tea", "3.50"), ("Mug", "9.99"), ("Kettle", "49.00"), ("Never sold", "1.00")]
    ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(60):
        for _ in range(rng.randint(0, 4)):
            crm.purchases.record(
                customer_id=rng.choice(people).id,
                product_id=rng.choice(goods[:3]).id,
                quantity=rng.randint(1, 3),
                purchased_at=start + timedelta(days=day, hours=rng.randint(8, 18)),
            )

    january = crm.reports.sales_summary(start=start, end=datetime(2026, 2, 1, tzinfo=UTC))
    print(january.revenue, january.units_sold, january.purchase_count, january.average_order_value)

    for row in crm.reports.top_customers(limit=3):
        print(row.rank, row.name, row.revenue)

    performance = crm.reports.product_performance()  # every product, best seller first
    best, least = performance[0].name, performance[-1].name
    print("best:", best, "least:", least)  # best: Tea least: Never sold

    for period in crm.reports.sales_over_time(bucket="month"):
        print(period.period_start.date(), period.revenue, period.units_sold)
