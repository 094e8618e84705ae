"""One source of truth: the API's schemas carry the core's constants and rules, and its
response models the core's fields."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import crpm_core
from crpm_core import errors
from crpm_core.domain import money, rules, staff
from crpm_core.domain import validation as v
from crpm_core.services import customers, products, reports
from crpm_ui.api import create_api, schemas, text


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    with crpm_core.connect("sqlite://") as crm:
        return create_api(crm).openapi()


def _body(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][name]["properties"]
    return found


def _plain(prop: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of ``anyOf: [X, null]``."""
    for branch in prop.get("anyOf", [prop]):
        if branch.get("type") != "null":
            return dict(branch)
    raise AssertionError(prop)


def _query(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    for parameter in document["paths"][path]["get"]["parameters"]:
        if parameter["name"] == name:
            return _plain(parameter["schema"])
    raise AssertionError(name)


def test_the_bounds_of_the_schemas_are_the_cores_constants(document: dict[str, Any]) -> None:
    customer = _body(document, "NewCustomer")
    assert _plain(customer["name"])["maxLength"] == v.NAME_MAX
    assert _plain(customer["email"])["maxLength"] == v.EMAIL_MAX
    assert _plain(customer["phone"])["maxLength"] == v.PHONE_MAX
    assert f"{{{v.PHONE_MIN_DIGITS},{v.PHONE_MAX_DIGITS}}}" in _plain(customer["phone"])["pattern"]
    product = _body(document, "NewProduct")
    assert _plain(product["sku"])["maxLength"] == v.SKU_MAX
    assert (_plain(product["stock"])["minimum"], _plain(product["stock"])["maximum"]) == (
        0,
        v.MAX_STOCK,
    )
    restock = _body(document, "RestockRequest")
    assert _plain(restock["quantity"])["maximum"] == v.MAX_STOCK
    assert _plain(restock["note"])["maxLength"] == v.NOTE_MAX
    line = _body(document, "OrderLine")
    assert (_plain(line["quantity"])["minimum"], _plain(line["quantity"])["maximum"]) == (
        1,
        v.MAX_QUANTITY,
    )
    assert (_plain(line["product_id"])["minimum"], _plain(line["product_id"])["maximum"]) == (
        v.ID_MIN,
        v.ID_MAX,
    )
    order = _body(document, "NewOrder")
    assert order["lines"]["maxItems"] == rules.MAX_LINES
    assert _plain(order["ref"])["maxLength"] == rules.REF_MAX
    user = _body(document, "NewUser")
    assert _plain(user["password"])["minLength"] == staff.PASSWORD_MIN
    assert _plain(user["password"])["maxLength"] == staff.PASSWORD_MAX
    assert _plain(user["username"])["pattern"] == staff.USERNAME.pattern
    assert set(user["role"]["enum"]) == set(staff.ROLES)
    settings = _body(document, "SettingsChanges")
    assert set(_plain(settings["currency"])["enum"]) == rules.CURRENCIES
    assert _query(document, "/v1/customers", "limit")["maximum"] == schemas.LIMIT_MAX == 1000
    assert _query(document, "/v1/reports/top-customers", "limit")["maximum"] == 10_000
    assert _query(document, "/v1/reports/reorder-suggestions", "days")["maximum"] == (
        reports.MAX_REORDER_DAYS
    )
    assert set(_query(document, "/v1/reports/sales-over-time", "bucket")["enum"]) == set(
        reports.BUCKETS
    )
    assert set(_query(document, "/v1/customers", "order_by")["enum"]) == set(customers.ORDERABLE)
    assert set(_query(document, "/v1/products", "order_by")["enum"]) == set(products.ORDERABLE)
    assert set(_query(document, "/v1/audit", "entity")["enum"]) == set(staff.ENTITIES)
    assert re.fullmatch(schemas.MONEY_PATTERN, str(money.MAX_PRICE))
    assert not re.fullmatch(schemas.MONEY_PATTERN, str(money.MAX_PRICE + money.CENT))


def test_the_response_models_have_the_cores_fields() -> None:
    for cls in (
        crpm_core.Customer, crpm_core.Product, crpm_core.Order, crpm_core.Purchase,
        crpm_core.PurchaseLine, crpm_core.StockMovement, crpm_core.SalesSummary,
        crpm_core.CustomerRanking, crpm_core.ProductPerformance, crpm_core.PeriodSales,
        crpm_core.CustomerSegment, crpm_core.SegmentSummary, crpm_core.ReorderSuggestion,
        crpm_core.Settings, crpm_core.User, crpm_core.AuditEntry,
    ):  # fmt: skip
        model = schemas.response_model(cls)
        assert list(model.model_fields) == [f.name for f in attrs.fields(cls)], cls


def _core_accepts(rule: Any, value: str) -> bool:
    try:
        rule(value)
    except errors.ValidationError:
        return False
    return True


TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["\u200b", "\u115f", " \t", "Zoë", "a\u0301", "\u202eabc", "İ@x.io", "a@b.c"]
)


@given(TEXT)
def test_what_fits_a_pattern_the_core_accepts(value: str) -> None:
    """A value that fits the schema is never refused for its shape (the schema may be
    stricter than the core, never looser)."""
    for pattern, rule in [
        (text.name_pattern(), v.name),
        (text.search_pattern(), v.search),
        (text.note_pattern(), v.note),
        (text.solid_pattern(), v.sku),
        (text.solid_pattern(), rules.order_ref),
        (text.email_pattern(), v.email),
        (text.phone_pattern(), v.phone),
        (text.username_pattern(), staff.username),
    ]:
        if re.fullmatch(pattern, value):
            assert _core_accepts(rule, value), (pattern[:40], value)


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (text.name_pattern, ["Zoë O'Brien", "Дмитрий", "Ελένη", " x ", "🍵"],
         ["", " ", "\u200b", "a\x00", "a\u202e"]),
        (text.email_pattern, ["zoe@example.ie", "ó@bücher.de"],
         ["a@b", "a b@c.de", "a@@b.co", "İ@b.co"]),
        (text.phone_pattern, ["+353 1 555 0101", "(210) 555-0199"], ["12", "555-CALL-NOW"]),
        (text.note_pattern, ["two\nlines", ""], ["bell\x07"]),
    ],
)  # fmt: skip
def test_the_patterns_keep_real_shop_data(pattern: Any, good: list[str], bad: list[str]) -> None:
    compiled = re.compile(pattern())
    assert all(compiled.fullmatch(value) for value in good)
    assert not any(compiled.fullmatch(value) for value in bad)


def test_money_pattern_is_the_cores_rule() -> None:
    for amount in ["0", "0.5", "6.50", "999999999.99", "1000000000", "1000000000.00"]:
        assert re.fullmatch(schemas.MONEY_PATTERN, amount)
        money.parse_money(amount)
    for amount in ["-1", "1.005", "1e3", "1,000", "NaN", "1000000000.01", " 1"]:
        assert not re.fullmatch(schemas.MONEY_PATTERN, amount)
