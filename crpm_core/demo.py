"""Realistic demo data: customers from many countries, a shop's products, a year of sales."""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs

from crpm_core.api import CRPM, Services
from crpm_core.domain import Customer

# fmt: off
FIRST = [
    "Zoë", "José", "Łucja", "Øyvind", "Aoife", "Siobhán", "Nguyễn", "Mei", "Yuki", "Ahmed",
    "Fatima", "Olu", "Chidi", "Priya", "Arjun", "Ingrid", "Björn", "Renée", "François",
    "Mateus", "João", "Ana", "Dmitri", "Olga", "Kwame", "Amara", "Liam", "Noah", "Emma",
    "Sofía", "Hannah", "Ali", "Ayşe", "Mehmet", "Eleni", "Giorgos", "Marta", "Pál",
]
LAST = [
    "O'Brien", "García", "Kowalska", "Ødegård", "Ní Bhriain", "Tran", "Wang", "Tanaka",
    "El-Sayed", "Haddad", "Adeyemi", "Okafor", "Sharma", "Patel", "Lindqvist", "Andersson",
    "Dubois", "Lefèvre", "Silva", "Pereira", "Ivanov", "Petrova", "Mensah", "Diallo",
    "Smith", "Müller", "Jones", "Fernández", "Yılmaz", "Papadopoulou", "Nagy", "D'Angelo",
]
PHONES = [
    "+353 1 {a:03d} {b:04d}", "+34 91 {a:03d} {b:04d}", "+48 22 {a:03d} {b:04d}",
    "+47 {a:03d} {b:05d}", "(212) {a:03d}-{b:04d}", "+44 20 {a:04d} {b:04d}",
    "+81 3-{a:04d}-{b:04d}", "+49 30 {a:04d}{b:04d}", "0{a:03d}.{b:04d}.{a:03d}",
]
PRODUCTS = [
    ("Espresso beans 1kg", "18.90"), ("Green tea 100g", "6.50"), ("Crème brûlée kit", "24.00"),
    ("Ceramic mug", "9.99"), ("French press", "34.50"), ("Oat milk 1L", "2.49"),
    ("Dark chocolate 85%", "3.75"), ("Croissant (4)", "5.20"), ("Sourdough loaf", "4.80"),
    ("Honey 500g", "8.40"), ("Olive oil 750ml", "12.95"), ("Pierogi (12)", "6.49"),
    ("Matcha whisk", "15.00"), ("Teapot", "29.90"), ("Coffee grinder", "79.00"),
    ("Paper filters (100)", "3.10"), ("Espresso cups (2)", "14.50"), ("Biscotti", "4.25"),
    ("Chai spice mix", "5.60"), ("Gift card", "25.00"), ("Reusable cup", "11.00"),
    ("Cold brew bottle", "19.50"), ("Rooibos 100g", "5.90"), ("Sugar cubes", "1.99"),
    ("Maple syrup", "10.80"), ("Tote bag", "7.00"), ("Milk frother", "22.00"),
    ("Decaf beans 1kg", "19.90"), ("Hot chocolate", "6.95"), ("Scale", "27.00"),
    ("Kettle", "49.00"), ("Never-sold gadget", "99.99"),
]
# fmt: on


@attrs.frozen
class DemoSummary:
    customers: int
    products: int
    purchases: int


def is_empty(crm: Services) -> bool:
    return crm.customers.list(limit=1).total == 0 and crm.products.list(limit=1).total == 0


class _Clock:
    """The demo's clock: set to each event's time, so every record carries it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def fill(
    crm: CRPM,
    *,
    customers: int = 300,
    purchases: int = 3000,
    days: int = 365,
    seed: int = 7,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Add demo customers, products and a year of orders of one to three lines (popularity is
    skewed; a few lines come back, a few orders are cancelled), in one transaction, through
    the services. The history is coherent: the products arrive first,
    each customer signs up before their first purchase, every sale, restock and ledger row
    carries the time it happened, and the stock is what the ledger says."""
    rng = random.Random(seed)
    end = (now or crm.clock()).astimezone(UTC).replace(microsecond=0)
    start = end - timedelta(days=days)
    clock = _Clock(start)
    # The same database, with the demo's clock: everything below is stamped with its time.
    shop = CRPM(crm.db, clock=clock, actor=crm.actor)
    # Numbers after what is there already, so a second fill never repeats an email or SKU.
    first_customer = crm.customers.list(limit=1, order_by="id", descending=True).items
    first_product = crm.products.list(limit=1, order_by="id", descending=True).items
    c0 = first_customer[0].id if first_customer else 0
    p0 = first_product[0].id if first_product else 0

    times = sorted(
        start + timedelta(seconds=rng.randrange(1, days * 86400)) for _ in range(purchases)
    )
    buyer_weights = [rng.paretovariate(1.5) for _ in range(customers)]
    buyers = [rng.choices(range(customers), buyer_weights)[0] for _ in times]
    first_buy: dict[int, datetime] = {}
    for at, who in zip(times, buyers, strict=True):
        first_buy.setdefault(who, at)
    # Each customer signs up some time before their first purchase (or at some point, if never).
    signup = []
    for i in range(customers):
        latest = first_buy.get(i, end)
        signup.append(
            latest - timedelta(seconds=rng.randrange(0, int((latest - start).total_seconds()) + 1))
        )
    order = sorted(range(customers), key=lambda i: (signup[i], i))

    with shop.transaction() as tx:
        people: dict[int, Customer] = {}
        clock.at = start
        goods = [
            tx.products.add(name=name, price=Decimal(price), stock=200, sku=f"SKU-{p0 + i + 1:03d}")
            for i, (name, price) in enumerate(PRODUCTS)
        ]
        stock = {p.id: p.stock for p in goods}
        sellable = goods[:-1]  # one product never sells, as in every real shop
        weights = [1 / (rank + 1) for rank in range(len(sellable))]
        details = []
        for _ in range(customers):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            phone = rng.choice(PHONES).format(
                a=rng.randrange(100, 999), b=rng.randrange(1000, 9999)
            )
            details.append((first, last, phone if rng.random() < 0.85 else None))
        joined = 0
        later: list[tuple[datetime, int, str, int, int]] = []  # returns and cancels to come
        lines: dict[int, list[int]] = {}  # line id -> [product id, quantity, returned]
        cancelled: set[int] = set()
        n = 0
        while n < purchases:
            at, who = times[n], buyers[n]
            while joined < customers and signup[order[joined]] <= at:
                i = order[joined]
                clock.at = signup[i]
                people[i] = _add_customer(tx, details[i], c0 + i)
                joined += 1
            _settle(tx, clock, later, lines, cancelled, stock, until=at)
            clock.at = at
            # a visit: a basket of one to three lines
            size = min(rng.choice((1, 1, 1, 2, 2, 3)), purchases - n)
            basket: list[tuple[int, int]] = []
            for _ in range(size):
                product = rng.choices(sellable, weights)[0]
                qty = rng.choice((1, 1, 1, 2, 2, 3, 5))
                already = sum(q for p, q in basket if p == product.id)
                if stock[product.id] < already + qty:
                    stock[product.id] = tx.products.restock(
                        product.id, 150, note="weekly delivery"
                    ).stock
                basket.append((product.id, qty))
            sale = tx.orders.place(customer_id=people[who].id, lines=basket)
            for line in sale.lines:
                stock[line.product_id] -= line.quantity  # kept here: no read per sale
                lines[line.id] = [line.product_id, line.quantity, 0]
            roll = rng.random()
            if roll < 0.04:  # some of it comes back, within a week
                line = rng.choice(sale.lines)
                back = rng.randint(1, line.quantity)
                when = at + timedelta(seconds=rng.randrange(3600, 7 * 86400))
                heapq.heappush(later, (when, line.id, "return", back, sale.id))
            elif roll < 0.05:  # the whole order is cancelled, within two days
                when = at + timedelta(seconds=rng.randrange(600, 2 * 86400))
                heapq.heappush(later, (when, sale.id, "cancel", 0, sale.id))
            for _ in range(size):
                n += 1
                if progress is not None and n % 100 == 0:
                    progress(n, purchases)
        _settle(tx, clock, later, lines, cancelled, stock, until=end)
        for i in order[joined:]:
            clock.at = signup[i]
            people[i] = _add_customer(tx, details[i], c0 + i)
        clock.at = end
        for i in rng.sample(range(customers), max(1, customers // 50)):
            tx.customers.deactivate(people[i].id)
    return DemoSummary(customers=customers, products=len(goods), purchases=purchases)


def _settle(
    tx: Services,
    clock: _Clock,
    later: list[tuple[datetime, int, str, int, int]],
    lines: dict[int, list[int]],
    cancelled: set[int],
    stock: dict[int, int],
    *,
    until: datetime,
) -> None:
    """Carry out the returns and cancels due by ``until``, each at its own time."""
    while later and later[0][0] <= until:
        when, target, kind, quantity, order_id = heapq.heappop(later)
        if order_id in cancelled:
            continue
        clock.at = when
        if kind == "return":
            tx.purchases.return_items(target, quantity, note="customer changed their mind")
            lines[target][2] += quantity
            stock[lines[target][0]] += quantity
        else:
            for line in tx.orders.cancel(target).lines:
                product_id, sold, returned = lines[line.id]
                stock[product_id] += sold - returned
            cancelled.add(order_id)


def _add_customer(tx: Services, detail: tuple[str, str, str | None], number: int) -> Customer:
    first, last, phone = detail
    return tx.customers.add(
        name=f"{first} {last}",
        email=f"{_ascii(first)}.{_ascii(last)}.{number}@example.com",
        phone=phone,
    )


def _ascii(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum()) or "x"
