"""A failure injected in the middle of a use case leaves the database as it was."""

from __future__ import annotations

import pytest

from crpm_core import CRPM
from crpm_core.services import ledger, orders
from tests.helpers import snapshot


class Boom(RuntimeError):
    pass


def _explode(*_: object, **__: object) -> int:
    raise Boom("injected failure")


def test_failure_between_stock_update_and_purchase_insert(
    crm: CRPM, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = crm.customers.add(name="Ana", email="ana@example.com")
    p = crm.products.add(name="Lamp", price="40.00", stock=3)
    before = snapshot(crm)
    monkeypatch.setattr(orders, "insert_lines", _explode)
    with pytest.raises(Boom):
        crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=2)
    assert snapshot(crm) == before
    assert crm.products.get(p.id).stock == 3
    monkeypatch.undo()
    # and the handle still works afterwards
    assert crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=2).quantity == 2


def test_failure_writing_the_ledger_undoes_the_sale(
    crm: CRPM, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = crm.customers.add(name="Ana", email="ana@example.com")
    p = crm.products.add(name="Lamp", price="40.00", stock=3)
    sale = crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1)
    before = snapshot(crm)
    monkeypatch.setattr(ledger, "record", _explode)
    with pytest.raises(Boom):
        crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1)
    with pytest.raises(Boom):
        crm.purchases.cancel(sale.id)
    with pytest.raises(Boom):
        crm.products.restock(p.id, 5)
    with pytest.raises(Boom):
        crm.products.set_stock(p.id, 0)
    with pytest.raises(Boom):
        crm.products.add(name="New", price=1, stock=1)
    assert snapshot(crm) == before
