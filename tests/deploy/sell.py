"""One till selling as fast as it can, for the several-servers test: its own process, its
own connection to the shared database, acting as a staff member.

python -m tests.deploy.sell URL USERNAME ORDERS SEED   → prints {"units": {product: n}, ...}
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter

import crpm_core
from crpm_core import errors


def main(argv: list[str]) -> int:
    url, username, orders, seed = argv[0], argv[1], int(argv[2]), int(argv[3])
    rng = random.Random(seed)
    units: Counter[int] = Counter()
    refused = 0
    with crpm_core.connect(url) as crm:
        staff = crm.as_user(username)
        customers = [c.id for c in staff.customers.list(limit=100).items]
        products = [p.id for p in staff.products.list(limit=100).items]
        for _ in range(orders):
            lines = [(rng.choice(products), rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
            try:
                staff.orders.place(customer_id=rng.choice(customers), lines=lines)
            except errors.InsufficientStock:
                refused += 1
                continue
            for product_id, quantity in lines:
                units[product_id] += quantity
    print(json.dumps({"units": {str(k): v for k, v in units.items()}, "refused": refused}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
