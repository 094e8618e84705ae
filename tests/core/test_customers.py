from __future__ import annotations

import pytest

from crpm_core import CRPM, errors
from tests.helpers import snapshot

NAMES = [
    ("Zoë O'Brien", "zoe.obrien@example.ie", "+353 1 555 0101"),
    ("José Álvarez-Núñez", "jose@ejemplo.es", "+34 912 34 56 78"),
    ("Nguyễn Thị Minh Khai", "minh@vidu.vn", "(028) 3822-9999"),
    ("山田 太郎", "taro@example.jp", "03.1234.5678"),
    ("Øyvind Ødegård", "oyvind@eksempel.no", "+47 22 33 44 55"),
    ("Ahmed El-Sayed 🛍️", "ahmed@example.eg", "+20 2 2345 6789"),
]


def test_add_then_get_returns_the_same_customer(crm: CRPM) -> None:
    for name, email, phone in NAMES:
        added = crm.customers.add(name=name, email=email, phone=phone)
        assert crm.customers.get(added.id) == added
        assert (added.name, added.email, added.phone, added.active) == (name, email, phone, True)
        assert added.created_at.tzinfo is not None


def test_names_are_trimmed_and_phone_is_optional(crm: CRPM) -> None:
    c = crm.customers.add(name="  Ada  ", email=" ada@example.org ")
    assert (c.name, c.email, c.phone) == ("Ada", "ada@example.org", None)


def test_email_is_unique_ignoring_case(crm: CRPM) -> None:
    crm.customers.add(name="Ann", email="Ann@Example.com")
    before = snapshot(crm)
    with pytest.raises(errors.Conflict) as info:
        crm.customers.add(name="Other Ann", email="ann@EXAMPLE.com")
    assert info.value.field == "email"
    assert snapshot(crm) == before


def test_accented_emails_are_distinct(crm: CRPM) -> None:
    a = crm.customers.add(name="A", email="jose@example.es")
    b = crm.customers.add(name="B", email="josé@example.es")
    assert a.id != b.id


def test_get_missing_is_not_found(crm: CRPM) -> None:
    with pytest.raises(errors.NotFound):
        crm.customers.get(424242)


def test_update_changes_only_given_fields(crm: CRPM) -> None:
    c = crm.customers.add(name="Bob", email="bob@example.com", phone="555-123-4567")
    updated = crm.customers.update(c.id, name="Robert")
    assert (updated.name, updated.email, updated.phone) == ("Robert", c.email, c.phone)
    assert crm.customers.get(c.id) == updated
    cleared = crm.customers.update(c.id, phone=None)
    assert cleared.phone is None and cleared.name == "Robert"


def test_update_to_another_customers_email_conflicts(crm: CRPM) -> None:
    a = crm.customers.add(name="A", email="a@example.com")
    crm.customers.add(name="B", email="b@example.com")
    with pytest.raises(errors.Conflict):
        crm.customers.update(a.id, email="B@example.com")
    # changing the case of one's own email is fine
    assert crm.customers.update(a.id, email="A@Example.com").email == "A@Example.com"


def test_update_with_a_bad_field_changes_nothing(crm: CRPM) -> None:
    c = crm.customers.add(name="Carl", email="carl@example.com")
    before = snapshot(crm)
    with pytest.raises(errors.ValidationError) as info:
        crm.customers.update(c.id, name="Karl", email="not-an-email")
    assert info.value.field == "email"
    assert snapshot(crm) == before


def test_deactivate_and_reactivate(crm: CRPM) -> None:
    c = crm.customers.add(name="Dee", email="dee@example.com")
    assert crm.customers.deactivate(c.id).active is False
    assert crm.customers.get(c.id).active is False
    assert crm.customers.reactivate(c.id).active is True


def test_delete_without_history(crm: CRPM) -> None:
    c = crm.customers.add(name="Eve", email="eve@example.com")
    crm.customers.delete(c.id)
    with pytest.raises(errors.NotFound):
        crm.customers.get(c.id)
    with pytest.raises(errors.NotFound):
        crm.customers.delete(c.id)


def test_delete_with_purchases_is_refused(crm: CRPM) -> None:
    c = crm.customers.add(name="Fay", email="fay@example.com")
    p = crm.products.add(name="Pen", price="1.20", stock=5)
    crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1)
    before = snapshot(crm)
    with pytest.raises(errors.Conflict):
        crm.customers.delete(c.id)
    assert snapshot(crm) == before


def test_list_pages_searches_and_filters(crm: CRPM) -> None:
    for i in range(23):
        crm.customers.add(
            name=f"cust {i:02d}", email=f"c{i}@example.com", phone=f"+1 555 010 {i:04d}"
        )
    zoe = crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    crm.customers.deactivate(zoe.id)

    first = crm.customers.list(limit=10)
    assert first.total == 24 and len(first.items) == 10 and first.has_next
    assert [c.name for c in first.items] == [f"cust {i:02d}" for i in range(10)]
    last = crm.customers.list(offset=20, limit=10)
    assert len(last.items) == 4 and not last.has_next

    assert [c.id for c in crm.customers.list(search="ZOË").items] == [zoe.id]
    assert [c.id for c in crm.customers.list(search="o'bri").items] == [zoe.id]
    assert crm.customers.list(search="010 0007").total == 1
    assert crm.customers.list(search="c1").total == 11  # c1, c10..c19 in the email
    assert crm.customers.list(active=False).total == 1
    assert crm.customers.list(active=True).total == 23
    newest = crm.customers.list(order_by="created_at", descending=True, limit=1).items[0]
    assert newest.id == zoe.id


def test_search_treats_wildcards_as_text(crm: CRPM) -> None:
    crm.customers.add(name="100% Cotton Ltd", email="cotton@example.com")
    crm.customers.add(name="Plain", email="plain_text@example.com")
    crm.customers.add(name="Other", email="plainxtext@example.com")
    assert crm.customers.list(search="100%").total == 1
    assert crm.customers.list(search="%").total == 1
    assert crm.customers.list(search="plain_").total == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"order_by": "password"}, "order_by"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"active": "yes"}, "active"),
    ],
)
def test_list_refuses_bad_arguments(crm: CRPM, kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(errors.ValidationError) as info:
        crm.customers.list(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
