"""A refusal names the record as people know it, not by an id they never see (issue 12,
defect 5): "Customer Zoë O'Brien is inactive", not "Customer 303 is inactive"."""

from __future__ import annotations

import pytest

from crpm_core import CRPM, errors


def test_an_inactive_customer_is_named(crm: CRPM) -> None:
    zoe = crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    tea = crm.products.add(name="Green tea 100g", price="6.50", stock=5)
    crm.customers.deactivate(zoe.id)
    with pytest.raises(errors.InactiveRecord) as refused:
        crm.orders.place(customer_id=zoe.id, lines=[(tea.id, 1)])
    assert str(refused.value) == "customer Zoë O'Brien is inactive"
    assert (refused.value.entity, refused.value.record_id) == ("customer", zoe.id)
    assert refused.value.name == "Zoë O'Brien"


def test_an_inactive_product_is_named_in_a_sale_of_several(crm: CRPM) -> None:
    ada = crm.customers.add(name="Ada", email="ada@example.org")
    tea = crm.products.add(name="Green tea 100g", price="6.50", stock=5)
    cup = crm.products.add(name="Café cup «noir»", price="9.00", stock=5)
    crm.products.deactivate(cup.id)
    with pytest.raises(errors.InactiveRecord) as refused:
        crm.orders.place(customer_id=ada.id, lines=[(tea.id, 1), (cup.id, 1)])
    assert str(refused.value) == "product Café cup «noir» is inactive"
    with pytest.raises(errors.InactiveRecord) as one:
        crm.purchases.record(customer_id=ada.id, product_id=cup.id, quantity=1)
    assert one.value.name == "Café cup «noir»"
    assert crm.products.get(tea.id).stock == 5


def test_without_a_name_the_id_still_says_which() -> None:
    assert str(errors.InactiveRecord("customer", 7)) == "customer 7 is inactive"
