"""The bounds that hold on every backend: text the database could not store (or would
store disguised), lengths past a column, ids past BIGINT and times past the calendar are
refused by the core with a CRPM error naming the field, and the database is left as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from crpm_core import CRPM, errors
from tests.helpers import snapshot

SURROGATE = "a\ud800b"
BIDI = ["a\u202eb", "a\u2066b", "\u202atxt"]
INVISIBLE = ["\u200b", "\u200d\ufeff\u2060", " \u0301 "]
PLUS_5 = timezone(timedelta(hours=5))
TOO_EARLY = [
    datetime(1, 1, 1, tzinfo=PLUS_5),  # its UTC conversion overflows
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, 23, 59, 59, 999999, tzinfo=UTC),
]
TOO_LATE = [
    datetime(9999, 12, 31, tzinfo=UTC),
    datetime(9999, 12, 31, 23, tzinfo=UTC),
    datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))),  # overflows
]
LONG_PHONE = "1" + " " * 60 + "234567"
DASHED_PHONE = "1-2-3-4" + "-" * 60 + "5-6-7"
LONG_KEY_EMAIL = "İ" * 4 + "a" * 242 + "@x.com"  # 252 characters, 256 lower-cased
BAD_PRICE_TEXT = ["1_000", "\u0661\u0662", "\uff11\uff12", "1e3", "NaN", "Infinity", " 1 000"]
BAD_PRICE_NUMBER = [float("nan"), float("inf"), 1e-05]
BAD_NOTES = ["a\x00b", "\x1b[31mred", "del\x7f", SURROGATE, *BIDI]


class Ids:
    def __init__(self, customer: int, product: int, purchase: int) -> None:
        self.customer = customer
        self.product = product
        self.purchase = purchase


@pytest.fixture
def seeded(crm: CRPM) -> tuple[CRPM, Ids]:
    c = crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie", phone="+353 1 555 0101")
    p = crm.products.add(name="Tea", price="3.50", stock=10, sku="TEA")
    sale = crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1)
    return crm, Ids(c.id, p.id, sale.id)


Call = Callable[[CRPM, Ids, Any], object]


def _cases() -> list[Any]:
    cases: list[Any] = []

    def add(name: str, field: str, values: list[Any], call: Call) -> None:
        for i, value in enumerate(values):
            cases.append(pytest.param(field, value, call, id=f"{name}-{field}-{i}"))

    text = [SURROGATE, *BIDI]
    add(
        "customers.add",
        "name",
        [*text, *INVISIBLE],
        lambda m, ids, x: m.customers.add(name=x, email="n@x.com"),
    )
    add(
        "customers.add",
        "email",
        [f"n{t}@x.com" for t in text] + [LONG_KEY_EMAIL],
        lambda m, ids, x: m.customers.add(name="N", email=x),
    )
    add(
        "customers.add",
        "phone",
        [f"555 0101{t}" for t in text] + [LONG_PHONE, DASHED_PHONE],
        lambda m, ids, x: m.customers.add(name="N", email="n@x.com", phone=x),
    )
    add(
        "customers.update",
        "name",
        [*text, *INVISIBLE],
        lambda m, ids, x: m.customers.update(ids.customer, name=x),
    )
    add(
        "customers.update",
        "email",
        [f"n{t}@x.com" for t in text] + [LONG_KEY_EMAIL],
        lambda m, ids, x: m.customers.update(ids.customer, email=x),
    )
    add(
        "customers.update",
        "phone",
        [f"555 0101{t}" for t in text] + [LONG_PHONE, DASHED_PHONE],
        lambda m, ids, x: m.customers.update(ids.customer, phone=x),
    )
    add("customers.list", "search", text, lambda m, ids, x: m.customers.list(search=x))
    add("products.list", "search", text, lambda m, ids, x: m.products.list(search=x))
    add(
        "products.add",
        "name",
        [*text, *INVISIBLE],
        lambda m, ids, x: m.products.add(name=x, price=1),
    )
    add(
        "products.add",
        "sku",
        [f"S{t}" for t in text],
        lambda m, ids, x: m.products.add(name="P", price=1, sku=x),
    )
    add(
        "products.add",
        "price",
        BAD_PRICE_TEXT + BAD_PRICE_NUMBER,
        lambda m, ids, x: m.products.add(name="P", price=x),
    )
    add(
        "products.update",
        "name",
        [*text, *INVISIBLE],
        lambda m, ids, x: m.products.update(ids.product, name=x),
    )
    add(
        "products.update",
        "sku",
        [f"S{t}" for t in text],
        lambda m, ids, x: m.products.update(ids.product, sku=x),
    )
    add(
        "products.update",
        "price",
        BAD_PRICE_TEXT + BAD_PRICE_NUMBER,
        lambda m, ids, x: m.products.update(ids.product, price=x),
    )
    add(
        "products.restock",
        "note",
        BAD_NOTES,
        lambda m, ids, x: m.products.restock(ids.product, 5, note=x),
    )
    add(
        "products.set_stock",
        "note",
        BAD_NOTES,
        lambda m, ids, x: m.products.set_stock(ids.product, 3, note=x),
    )
    add(
        "purchases.record",
        "purchased_at",
        TOO_EARLY + TOO_LATE,
        lambda m, ids, x: m.purchases.record(
            customer_id=ids.customer, product_id=ids.product, quantity=1, purchased_at=x
        ),
    )
    add(
        "purchases.list", "start", TOO_EARLY + TOO_LATE, lambda m, ids, x: m.purchases.list(start=x)
    )
    add("purchases.list", "end", TOO_EARLY + TOO_LATE, lambda m, ids, x: m.purchases.list(end=x))
    add(
        "reports.sales_summary",
        "start",
        TOO_EARLY + TOO_LATE,
        lambda m, ids, x: m.reports.sales_summary(start=x),
    )
    add(
        "reports.sales_summary",
        "end",
        TOO_EARLY + TOO_LATE,
        lambda m, ids, x: m.reports.sales_summary(end=x),
    )
    add(
        "reports.sales_over_time",
        "end",
        TOO_LATE,
        lambda m, ids, x: m.reports.sales_over_time(end=x),
    )
    add(
        "reports.sales_over_time",
        "start",
        TOO_EARLY,
        lambda m, ids, x: m.reports.sales_over_time(bucket="week", start=x),
    )
    add(
        "reports.stock_movements",
        "start",
        TOO_EARLY,
        lambda m, ids, x: m.reports.stock_movements(start=x),
    )
    return cases  # fmt: skip


@pytest.mark.parametrize(("field", "value", "invoke"), _cases())
def test_out_of_bounds_values_are_refused_and_change_nothing(
    seeded: tuple[CRPM, Ids], field: str, value: Any, invoke: Call
) -> None:
    crm, ids = seeded
    before = snapshot(crm)
    with pytest.raises(errors.ValidationError) as info:
        invoke(crm, ids, value)
    assert info.value.field == field, info.value
    assert info.value.message
    assert snapshot(crm) == before


def test_purchase_at_year_one_in_plus_five_is_refused(seeded: tuple[CRPM, Ids]) -> None:
    crm, ids = seeded
    before = snapshot(crm)
    with pytest.raises(errors.ValidationError) as info:
        crm.purchases.record(
            customer_id=ids.customer,
            product_id=ids.product,
            quantity=1,
            purchased_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
        )
    assert info.value.field == "purchased_at"
    assert snapshot(crm) == before


def test_sales_over_time_ending_on_the_last_day_of_9999_is_refused(
    seeded: tuple[CRPM, Ids],
) -> None:
    crm, _ = seeded
    with pytest.raises(errors.ValidationError) as info:
        crm.reports.sales_over_time(end=datetime(9999, 12, 31, 23, tzinfo=UTC))
    assert info.value.field == "end"


BAD_IDS = [2**63, 2**64, 0, -1]
ID_CALLS: list[tuple[str, str, Call]] = [
    ("customers.get", "customer", lambda m, ids, x: m.customers.get(x)),
    ("customers.update", "customer", lambda m, ids, x: m.customers.update(x, name="N")),
    ("customers.delete", "customer", lambda m, ids, x: m.customers.delete(x)),
    ("customers.deactivate", "customer", lambda m, ids, x: m.customers.deactivate(x)),
    ("customers.reactivate", "customer", lambda m, ids, x: m.customers.reactivate(x)),
    ("products.get", "product", lambda m, ids, x: m.products.get(x)),
    ("products.update", "product", lambda m, ids, x: m.products.update(x, price="1.00")),
    ("products.delete", "product", lambda m, ids, x: m.products.delete(x)),
    ("products.deactivate", "product", lambda m, ids, x: m.products.deactivate(x)),
    ("products.reactivate", "product", lambda m, ids, x: m.products.reactivate(x)),
    ("products.restock", "product", lambda m, ids, x: m.products.restock(x, 1)),
    ("products.set_stock", "product", lambda m, ids, x: m.products.set_stock(x, 1)),
    ("purchases.get", "purchase", lambda m, ids, x: m.purchases.get(x)),
    ("purchases.cancel", "purchase", lambda m, ids, x: m.purchases.cancel(x)),
    ("purchases.history", "customer", lambda m, ids, x: m.purchases.history(x)),
    ("purchases.record", "customer",
     lambda m, ids, x: m.purchases.record(customer_id=x, product_id=ids.product, quantity=1)),
    ("purchases.record", "product",
     lambda m, ids, x: m.purchases.record(customer_id=ids.customer, product_id=x, quantity=1)),
    ("purchases.list", "customer", lambda m, ids, x: m.purchases.list(customer_id=x)),
    ("purchases.list", "product", lambda m, ids, x: m.purchases.list(product_id=x)),
]  # fmt: skip


@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize(
    ("entity", "invoke"),
    [pytest.param(e, f, id=c) for c, e, f in ID_CALLS],
)
def test_ids_outside_the_bigint_range_are_not_found(
    seeded: tuple[CRPM, Ids], entity: str, invoke: Call, bad_id: int
) -> None:
    crm, ids = seeded
    before = snapshot(crm)
    with pytest.raises(errors.NotFound) as info:
        invoke(crm, ids, bad_id)
    assert info.value.entity == entity
    assert info.value.record_id == bad_id
    assert snapshot(crm) == before


@pytest.mark.parametrize(
    ("entity", "invoke"),
    [pytest.param(e, f, id=c) for c, e, f in ID_CALLS if not c.endswith(".list")],
)
def test_the_largest_id_is_an_ordinary_unknown_id(
    seeded: tuple[CRPM, Ids], entity: str, invoke: Call
) -> None:
    """2**63 - 1 fits BIGINT on every backend: the database answers that it has no such row."""
    crm, ids = seeded
    before = snapshot(crm)
    with pytest.raises(errors.NotFound) as info:
        invoke(crm, ids, 2**63 - 1)
    assert info.value.entity == entity
    assert snapshot(crm) == before


def test_the_first_and_last_allowed_moments_are_stored_exactly(
    seeded: tuple[CRPM, Ids],
) -> None:
    crm, ids = seeded
    first = datetime(1, 1, 2, tzinfo=UTC)
    last = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
    early = crm.purchases.record(
        customer_id=ids.customer, product_id=ids.product, quantity=1,
        purchased_at=datetime(1, 1, 2, 5, tzinfo=PLUS_5),
    )  # fmt: skip
    late = crm.purchases.record(
        customer_id=ids.customer, product_id=ids.product, quantity=2, purchased_at=last
    )
    assert crm.purchases.get(early.id).purchased_at == first
    assert crm.purchases.get(late.id).purchased_at == last
    page = crm.purchases.list(start=first, end=datetime(1, 1, 3, tzinfo=UTC))
    assert [line.purchase_id for line in page.items] == [early.id]
    whole = crm.reports.sales_summary(start=first, end=last)
    assert whole.units_sold == 2  # early and the seeded sale; `end` is exclusive
    assert crm.reports.sales_summary(start=last).revenue == Decimal("7.00")
    days = crm.reports.sales_over_time(start=datetime(9999, 12, 29, tzinfo=UTC))
    assert [d.period_start.day for d in days] == [29, 30]
    assert days[-1].units_sold == 2


def test_text_at_the_edges_is_kept(seeded: tuple[CRPM, Ids]) -> None:
    """What stays valid: joiners inside real text, notes with line breaks, 40-character
    phones, plain prices, emails whose lower-case key is exactly 254 characters."""
    crm, ids = seeded
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 क्\u200dष"
    phone = "+1 (555) 123-4567" + " " * 22 + "8"
    assert len(phone) == 40
    address = "İ" * 2 + "a" * 244 + "@x.com"  # 252, its key 254
    c = crm.customers.add(name=family, email=address, phone=phone)
    assert crm.customers.get(c.id) == c
    assert (c.name, c.email, c.phone) == (family, address, phone)
    p = crm.products.add(name="Chai", price=".5", sku="CHAI")
    assert p.price == Decimal("0.50")
    crm.products.restock(p.id, 2, note="counted\r\nby Zoë\tand Ana")
    moves = crm.reports.stock_movements(product_id=p.id).items
    assert "counted\r\nby Zoë\tand Ana" in [m.note for m in moves]
    assert crm.products.update(ids.product, price="12").price == Decimal("12.00")
