"""Shop settings, reorder points and low stock, and a search that finds the same rows on
every backend."""

from __future__ import annotations

import pytest

from crpm_core import CRPM, Settings, errors
from tests.helpers import snapshot


def test_settings_have_defaults_and_change_one_field_at_a_time(crm: CRPM) -> None:
    assert crm.settings.get() == Settings("My shop", "EUR", "UTC", 5)
    changed = crm.settings.update(shop_name="Zoë's Café", timezone="Europe/Dublin")
    assert changed == Settings("Zoë's Café", "EUR", "Europe/Dublin", 5)
    assert crm.settings.update(currency="JPY", low_stock_default=0) == Settings(
        "Zoë's Café", "JPY", "Europe/Dublin", 0
    )
    assert crm.settings.get() == crm.settings.update()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("currency", "eur"),
        ("currency", "ABC"),
        ("currency", "EURO"),
        ("currency", 978),
        ("timezone", "Mars/Olympus"),
        ("timezone", "europe/dublin"),
        ("timezone", ""),
        ("low_stock_default", -1),
        ("low_stock_default", 2.5),
        ("low_stock_default", True),
        ("shop_name", "   "),
        ("shop_name", "x" * 201),
    ],
)
def test_a_bad_setting_names_its_field_and_changes_nothing(
    crm: CRPM, field: str, value: object
) -> None:
    crm.settings.update(shop_name="Kept")
    before = snapshot(crm)
    with pytest.raises(errors.ValidationError) as refused:
        crm.settings.update(**{field: value})
    assert refused.value.field == field
    assert snapshot(crm) == before


def test_low_stock_uses_the_products_own_point_else_the_shops_default(crm: CRPM) -> None:
    crm.settings.update(low_stock_default=3)
    at_default = crm.products.add(name="Cups", price="1.00", stock=3, sku="CUP")
    above_default = crm.products.add(name="Lids", price="1.00", stock=4, sku="LID")
    own_point = crm.products.add(name="Beans", price="9.00", stock=10, sku="BEAN", reorder_point=10)
    never = crm.products.add(
        name="Gift card", price="25.00", stock=0, sku="GIFT", reorder_point=None
    )
    empty_inactive = crm.products.add(name="Old", price="1.00", stock=0, sku="OLD")
    crm.products.deactivate(empty_inactive.id)
    low = crm.products.low_stock()
    assert [p.id for p in low] == [never.id, at_default.id, own_point.id]
    assert crm.products.get(own_point.id).reorder_point == 10
    assert crm.products.update(own_point.id, reorder_point=None).reorder_point is None
    assert above_default.id not in {p.id for p in crm.products.low_stock()}
    crm.settings.update(low_stock_default=4)
    assert above_default.id in {p.id for p in crm.products.low_stock()}


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True, 10**10])
def test_a_bad_reorder_point_is_refused(crm: CRPM, bad: object) -> None:
    p = crm.products.add(name="Tea", price="1.00", stock=1, sku="T")
    before = snapshot(crm)
    with pytest.raises(errors.ValidationError) as refused:
        crm.products.update(p.id, reorder_point=bad)
    assert refused.value.field == "reorder_point"
    with pytest.raises(errors.ValidationError):
        crm.products.add(name="Tea 2", price="1.00", reorder_point=bad)
    assert snapshot(crm) == before


@pytest.mark.parametrize(
    ("stored", "term"),
    [
        ("ΣΊΣΥΦΟΣ Παπαδόπουλος", "σίσυφος"),
        ("ΣΊΣΥΦΟΣ Παπαδόπουλος", "σισυφοσ"),
        ("İSTANBUL Çarşı", "istanbul"),
        ("Zoë O'Brien", "zoe o'brien"),
        ("José Álvarez", "JOSE"),
        ("Straße AG", "STRASSE"),
        ("Łucja Kowalska", "kowalska"),
        ("Nguyễn Văn An", "nguyen van"),
        ("山田 太郎", "太郎"),
    ],
)
def test_search_folds_case_and_accents_the_same_on_every_backend(
    crm: CRPM, stored: str, term: str
) -> None:
    hit = crm.customers.add(name=stored, email="hit@example.com")
    crm.customers.add(name="Someone Else", email="else@example.com")
    assert [c.id for c in crm.customers.list(search=term).items] == [hit.id]
    product = crm.products.add(name=stored, price="1.00", sku="P-1")
    assert [p.id for p in crm.products.list(search=term).items] == [product.id]


@pytest.mark.parametrize("term", ["+15550100", "1 555 0100", "(555) 0100", "555-0100", "5550100"])
def test_a_phone_is_found_by_its_digits_however_they_are_spaced(crm: CRPM, term: str) -> None:
    hit = crm.customers.add(name="Ann", email="ann@example.com", phone="+1 555 0100")
    crm.customers.add(name="Bob", email="bob@example.com", phone="+44 20 7946 0958")
    assert [c.id for c in crm.customers.list(search=term).items] == [hit.id]


def test_search_follows_updates_and_never_spans_two_fields(crm: CRPM) -> None:
    c = crm.customers.add(name="Ann Lee", email="ann@example.com", phone="+353 1 555 0101")
    assert crm.customers.list(search="lee ann").total == 0  # not across name and email
    crm.customers.update(c.id, name="Ånnika Berg", phone=None)
    assert crm.customers.list(search="annika").total == 1
    assert crm.customers.list(search="5550101").total == 0
    assert crm.customers.list(search="Lee").total == 0
    p = crm.products.add(name="Tea", price="1.00", sku="TÉ-1")
    crm.products.update(p.id, sku="CAFÉ-9")
    assert [x.id for x in crm.products.list(search="cafe-9").items] == [p.id]
    assert crm.products.list(search="te-1").total == 0


@pytest.mark.parametrize("term", ["%", "_", "\\", "a%b", "100%"])
def test_like_wildcards_in_a_search_are_plain_characters(crm: CRPM, term: str) -> None:
    crm.customers.add(name="Plain Name", email="plain@example.com")
    hit = crm.customers.add(name=f"Odd {term} Name", email="odd@example.com")
    assert [c.id for c in crm.customers.list(search=term).items] == [hit.id]
