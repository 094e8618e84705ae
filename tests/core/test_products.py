from __future__ import annotations

from decimal import Decimal

import pytest

from crpm_core import CRPM, errors
from tests.helpers import ledger_sum, snapshot


def test_add_then_get_with_exact_money(crm: CRPM) -> None:
    p = crm.products.add(name="Crème brûlée kit", price="19.99", stock=12, sku="CB-01")
    assert crm.products.get(p.id) == p
    assert p.price == Decimal("19.99") and p.price.as_tuple().exponent == -2
    assert (p.stock, p.sku, p.active) == (12, "CB-01", True)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("0", Decimal("0.00")),
        (7, Decimal("7.00")),
        (Decimal("0.10"), Decimal("0.10")),
        (9.99, Decimal("9.99")),
        ("1000000000", Decimal("1000000000.00")),
        ("1.230", Decimal("1.23")),
    ],
)
def test_prices_are_stored_exactly(crm: CRPM, given: object, stored: Decimal) -> None:
    p = crm.products.add(name="thing", price=given)
    assert crm.products.get(p.id).price == stored


def test_cents_do_not_drift_over_many_sales(crm: CRPM) -> None:
    c = crm.customers.add(name="Buyer", email="buyer@example.com")
    p = crm.products.add(name="Dime", price="0.10", stock=1000)
    for _ in range(30):
        crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1)
    history = crm.purchases.history(c.id)
    assert sum((line.total for line in history), Decimal(0)) == Decimal("3.00")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"price": "1.234"}, "price"),
        ({"price": "-0.01"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": float("nan")}, "price"),
        ({"price": True}, "price"),
        ({"price": "1000000000.01"}, "price"),
        ({"stock": -1}, "stock"),
        ({"stock": 1.0}, "stock"),
        ({"stock": "3"}, "stock"),
        ({"stock": False}, "stock"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"sku": "has space"}, "sku"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    crm: CRPM, kwargs: dict[str, object], field: str
) -> None:
    base: dict[str, object] = {"name": "Widget", "price": "1.00", "stock": 1}
    before = snapshot(crm)
    with pytest.raises(errors.ValidationError) as info:
        crm.products.add(**{**base, **kwargs})  # type: ignore[arg-type]
    assert info.value.field == field
    assert snapshot(crm) == before


def test_sku_is_unique_when_given(crm: CRPM) -> None:
    crm.products.add(name="A", price=1, sku="SKU-1")
    crm.products.add(name="B", price=1)
    crm.products.add(name="C", price=1)  # two without SKU are fine
    with pytest.raises(errors.Conflict) as info:
        crm.products.add(name="D", price=1, sku="SKU-1")
    assert info.value.field == "sku"
    b = crm.products.list(search="B").items[0]
    with pytest.raises(errors.Conflict):
        crm.products.update(b.id, sku="SKU-1")


def test_update_only_given_fields_and_price_change_keeps_old_sales(crm: CRPM) -> None:
    c = crm.customers.add(name="Buyer", email="buyer@example.com")
    p = crm.products.add(name="Mug", price="8.00", stock=10, sku="MUG")
    sale = crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=2)
    q = crm.products.update(p.id, price="9.50")
    assert (q.name, q.sku, q.price, q.stock) == ("Mug", "MUG", Decimal("9.50"), 8)
    assert crm.purchases.get(sale.id).total == Decimal("16.00")
    later = crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1)
    assert later.unit_price == Decimal("9.50")
    assert crm.products.update(p.id, sku=None).sku is None


def test_restock_and_set_stock_write_the_ledger(crm: CRPM) -> None:
    p = crm.products.add(name="Rice 5kg", price="12.00", stock=3)
    assert crm.products.restock(p.id, 10, note="delivery #12").stock == 13
    assert crm.products.set_stock(p.id, 11, note="count: two torn bags").stock == 11
    assert crm.products.update(p.id, stock=20).stock == 20
    moves = crm.reports.stock_movements(product_id=p.id).items
    assert [(m.kind, m.change, m.stock_after) for m in moves] == [
        ("adjustment", 9, 20),
        ("adjustment", -2, 11),
        ("restock", 10, 13),
        ("initial", 3, 3),
    ]
    assert moves[2].note == "delivery #12"
    assert ledger_sum(crm, p.id) == 20


@pytest.mark.parametrize("qty", [0, -5, 2.5, "3", True])
def test_restock_refuses_bad_quantities(crm: CRPM, qty: object) -> None:
    p = crm.products.add(name="Salt", price="1.00", stock=1)
    before = snapshot(crm)
    with pytest.raises(errors.ValidationError) as info:
        crm.products.restock(p.id, qty)  # type: ignore[arg-type]
    assert info.value.field == "quantity"
    assert snapshot(crm) == before


def test_restock_missing_product(crm: CRPM) -> None:
    with pytest.raises(errors.NotFound):
        crm.products.restock(999, 1)


def test_delete_refused_once_sold_but_allowed_before(crm: CRPM) -> None:
    c = crm.customers.add(name="Buyer", email="buyer@example.com")
    sold = crm.products.add(name="Sold", price=1, stock=2)
    unsold = crm.products.add(name="Unsold", price=1, stock=2)
    crm.products.restock(unsold.id, 3)
    crm.purchases.record(customer_id=c.id, product_id=sold.id, quantity=1)
    with pytest.raises(errors.Conflict):
        crm.products.delete(sold.id)
    crm.products.delete(unsold.id)
    with pytest.raises(errors.NotFound):
        crm.products.get(unsold.id)
    assert crm.reports.stock_movements(product_id=unsold.id).total == 0


def test_list_search_sort_and_low_stock(crm: CRPM) -> None:
    crm.products.add(name="apple", price="0.50", stock=100, sku="FR-APL")
    crm.products.add(name="Banana", price="0.25", stock=2, sku="FR-BAN")
    cherry = crm.products.add(name="cherry", price="4.00", stock=0)
    crm.products.deactivate(cherry.id)
    assert [p.name for p in crm.products.list().items] == ["apple", "Banana", "cherry"]
    by_price = crm.products.list(order_by="price", descending=True).items
    assert [p.name for p in by_price] == ["cherry", "apple", "Banana"]
    assert [p.name for p in crm.products.list(search="fr-").items] == ["apple", "Banana"]
    assert [p.name for p in crm.products.list(low_stock=5).items] == ["Banana", "cherry"]
    assert [p.name for p in crm.products.list(active=True, low_stock=5).items] == ["Banana"]
    assert crm.products.reactivate(cherry.id).active is True
