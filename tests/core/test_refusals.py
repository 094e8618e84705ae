"""Property: every invalid value of every field is refused with a ValidationError naming
that field, and the database is left exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crpm_core import CRPM, errors
from crpm_core.domain import validation as v
from tests.helpers import snapshot

not_text = st.one_of(
    st.integers(), st.floats(), st.booleans(), st.binary(max_size=5), st.lists(st.integers())
)
blank = st.text(alphabet=" \t", max_size=5)
too_long_name = st.text(min_size=201, max_size=260).filter(lambda s: len(s.strip()) > 200)
control = st.text(min_size=1, max_size=10).map(lambda s: f"a{s}\x00b")
# text no database should get: lone surrogates, and bidi controls that disguise text
unstorable = st.builds(
    "{}{}{}".format,
    st.text(max_size=5),
    st.sampled_from(["\ud800", "\udfff", "\u202e", "\u202a", "\u2066", "\u2069"]),
    st.text(max_size=5),
)
invisible = st.text(
    alphabet=st.sampled_from(" \t\u200b\u200c\u200d\u2060\ufeff\u00ad\u0301\u3000"),
    min_size=1,
    max_size=8,
)

bad_name = st.one_of(not_text, blank, too_long_name, control, unstorable, invisible)
bad_email = st.one_of(
    not_text,
    blank,
    st.text(alphabet="abc.", min_size=1, max_size=20),  # no @
    st.builds("{}@{}@x.com".format, st.text("ab", min_size=1), st.text("cd", min_size=1)),
    st.builds("{}@{}".format, st.text("ab", min_size=1, max_size=9), st.text("xyz", max_size=9)),
    st.builds("{} x@shop.example".format, st.text("ab", min_size=1, max_size=9)),
    st.builds("{}@shop..example".format, st.text("ab", min_size=1, max_size=9)),
    st.just("a" * 250 + "@x.com"),
    st.just("İ" * 4 + "a" * 242 + "@x.com"),  # its lower-case key is 256 characters
    unstorable.map(lambda s: f"n{s}@x.com").filter(lambda s: s.count("@") == 1),
)
bad_phone = st.one_of(
    st.integers(),
    st.booleans(),
    st.text(alphabet="0123456789", min_size=1, max_size=6),  # too few digits
    st.text(alphabet="0123456789", min_size=16, max_size=20),  # too many
    st.builds("555 {} 1234".format, st.text(alphabet="abcxyz#*_/", min_size=1, max_size=3)),
    st.builds("1{}234567".format, st.text(alphabet=" -", min_size=34)),  # > 40 characters
    unstorable.map(lambda s: f"555 0101{s}"),
)
bad_price = st.one_of(
    st.booleans(),
    st.decimals(max_value=Decimal("-0.01"), places=2),
    st.decimals(min_value=Decimal("1000000000.01"), max_value=Decimal("1e15"), places=2),
    st.decimals(min_value=0, max_value=1000, places=3).filter(
        lambda d: d != d.quantize(Decimal("0.01"))
    ),
    st.sampled_from(["", "abc", "1,5", "NaN", "inf", "-1", "12.345", "€5"]),
    st.sampled_from(["1_000", "\u0661\u0662", "\uff11\uff12", "1e3", "Infinity", " 1 000"]),
    st.sampled_from([float("nan"), float("inf"), 1e-05]),
    st.just(Decimal("NaN")),
    st.lists(st.integers(), max_size=2),
)
bad_count = st.one_of(
    st.integers(max_value=-1),
    st.booleans(),
    st.floats(allow_nan=True),
    st.text(alphabet="0123456789", min_size=1, max_size=3),
    st.none(),
)
bad_quantity = st.one_of(bad_count, st.just(0), st.integers(min_value=v.MAX_QUANTITY + 1))
bad_sku = st.one_of(
    st.integers(),
    st.text(alphabet="AB ", min_size=3, max_size=10).filter(lambda s: " " in s.strip()),
    st.text(alphabet="AB", min_size=65, max_size=70),
)
bad_id = st.one_of(st.text(max_size=3), st.floats(), st.booleans())
# aware, but before 0001-01-02 or from 9999-12-31 on in UTC (some overflow when converted)
zones = st.integers(min_value=-1439, max_value=1439).map(lambda m: timezone(timedelta(minutes=m)))
out_of_range_time = st.one_of(
    st.datetimes(max_value=datetime(1, 1, 1, 23, 59), timezones=st.just(UTC)),
    st.datetimes(min_value=datetime(9999, 12, 31), timezones=st.just(UTC)),
    st.datetimes(max_value=datetime(1, 1, 1, 12), timezones=zones).filter(
        lambda d: d.utcoffset() >= timedelta(0)  # type: ignore[operator]
    ),
)
bad_time = st.one_of(
    st.datetimes(),  # naive
    st.text(max_size=10),
    st.integers(),
    out_of_range_time,
)
bad_note = st.one_of(not_text, unstorable, st.text(max_size=5).map(lambda s: f"{s}\x00"))


@pytest.fixture
def seeded(crm: CRPM) -> tuple[CRPM, int, int]:
    c = crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie", phone="+353 1 555 0101")
    p = crm.products.add(name="Tea", price="3.50", stock=10, sku="TEA")
    crm.purchases.record(customer_id=c.id, product_id=p.id, quantity=1)
    return crm, c.id, p.id


Call = Callable[[CRPM, int, int, Any], object]
CASES: list[tuple[str, str, Any, Call]] = [
    ("customers.add", "name", bad_name,
     lambda m, c, p, x: m.customers.add(name=x, email="n@x.com")),
    ("customers.add", "email", bad_email, lambda m, c, p, x: m.customers.add(name="N", email=x)),
    ("customers.add", "phone", bad_phone,
     lambda m, c, p, x: m.customers.add(name="N", email="n@x.com", phone=x)),
    ("customers.update", "name", bad_name, lambda m, c, p, x: m.customers.update(c, name=x)),
    ("customers.update", "email", bad_email, lambda m, c, p, x: m.customers.update(c, email=x)),
    ("customers.update", "phone", bad_phone, lambda m, c, p, x: m.customers.update(c, phone=x)),
    ("customers.get", "customer_id", bad_id, lambda m, c, p, x: m.customers.get(x)),
    ("customers.delete", "customer_id", bad_id, lambda m, c, p, x: m.customers.delete(x)),
    ("products.add", "name", bad_name, lambda m, c, p, x: m.products.add(name=x, price=1)),
    ("products.add", "price", bad_price, lambda m, c, p, x: m.products.add(name="P", price=x)),
    ("products.add", "stock", bad_count,
     lambda m, c, p, x: m.products.add(name="P", price=1, stock=x)),
    ("products.add", "sku", bad_sku, lambda m, c, p, x: m.products.add(name="P", price=1, sku=x)),
    ("products.update", "price", bad_price, lambda m, c, p, x: m.products.update(p, price=x)),
    ("products.update", "name", bad_name, lambda m, c, p, x: m.products.update(p, name=x)),
    ("products.update", "sku", bad_sku, lambda m, c, p, x: m.products.update(p, sku=x)),
    ("products.restock", "quantity", bad_count.filter(lambda x: x != 0) | st.just(0),
     lambda m, c, p, x: m.products.restock(p, x)),
    ("products.set_stock", "stock", bad_count, lambda m, c, p, x: m.products.set_stock(p, x)),
    ("purchases.record", "quantity", bad_quantity,
     lambda m, c, p, x: m.purchases.record(customer_id=c, product_id=p, quantity=x)),
    ("purchases.record", "customer_id", bad_id,
     lambda m, c, p, x: m.purchases.record(customer_id=x, product_id=p, quantity=1)),
    ("purchases.record", "product_id", bad_id,
     lambda m, c, p, x: m.purchases.record(customer_id=c, product_id=x, quantity=1)),
    ("purchases.record", "purchased_at", bad_time,
     lambda m, c, p, x: m.purchases.record(
         customer_id=c, product_id=p, quantity=1, purchased_at=x)),
    ("purchases.list", "start", bad_time, lambda m, c, p, x: m.purchases.list(start=x)),
    ("purchases.list", "end", bad_time, lambda m, c, p, x: m.purchases.list(end=x)),
    ("customers.list", "search", not_text | unstorable,
     lambda m, c, p, x: m.customers.list(search=x)),
    ("products.restock", "note", bad_note, lambda m, c, p, x: m.products.restock(p, 1, note=x)),
    ("reports.sales_summary", "start", bad_time,
     lambda m, c, p, x: m.reports.sales_summary(start=x)),
    ("reports.sales_summary", "end", bad_time, lambda m, c, p, x: m.reports.sales_summary(end=x)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "field", "values", "invoke"), CASES, ids=[f"{c}-{f}" for c, f, _, _ in CASES]
)
def test_invalid_values_are_refused_and_change_nothing(
    seeded: tuple[CRPM, int, int], call: str, field: str, values: Any, invoke: Call
) -> None:
    crm, cid, pid = seeded
    before = snapshot(crm)

    @settings(max_examples=40)
    @given(values)
    def check(value: Any) -> None:
        with pytest.raises(errors.ValidationError) as info:
            invoke(crm, cid, pid, value)
        assert info.value.field == field, (call, value, info.value)
        assert info.value.message
        assert snapshot(crm) == before

    check()


def test_a_valid_call_after_refusals_still_works(seeded: tuple[CRPM, int, int]) -> None:
    crm, cid, pid = seeded
    with pytest.raises(errors.ValidationError):
        crm.purchases.record(customer_id=cid, product_id=pid, quantity=0)
    sale = crm.purchases.record(
        customer_id=cid,
        product_id=pid,
        quantity=2,
        purchased_at=datetime.fromisoformat("2026-01-01T00:00:00+00:00"),
    )
    assert crm.products.get(pid).stock == 7 and sale.total == Decimal("7.00")
