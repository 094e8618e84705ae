from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crpm_core.domain import from_minor, parse_money, to_minor
from crpm_core.errors import ValidationError

cents = st.integers(min_value=0, max_value=100_000_000_000)


@given(cents)
def test_minor_units_round_trip(minor: int) -> None:
    amount = from_minor(minor)
    assert amount.as_tuple().exponent == -2
    assert to_minor(amount) == minor
    assert parse_money(str(amount)) == amount


@given(st.decimals(min_value=0, max_value=1_000_000_000, places=2))
def test_two_place_decimals_are_accepted_unchanged(amount: Decimal) -> None:
    assert parse_money(amount) == amount


@given(st.decimals(min_value=0, max_value=1_000_000, places=3))
def test_third_place_must_be_zero(amount: Decimal) -> None:
    if amount == amount.quantize(Decimal("0.01")):
        assert parse_money(amount) == amount
    else:
        with pytest.raises(ValidationError) as info:
            parse_money(amount, "unit_price")
        assert info.value.field == "unit_price"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "1,50",
        "NaN",
        "Infinity",
        "-Infinity",
        "-1",
        "1e10",
        True,
        None,
        [1],
        b"1",
        "0.001",
    ],
)
def test_refused(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_money(value)
    assert info.value.field == "price"
    assert info.value.message


def test_float_is_taken_by_its_shortest_repr() -> None:
    assert parse_money(0.1) == Decimal("0.10")
    assert parse_money(19.99) == Decimal("19.99")
    with pytest.raises(ValidationError):
        parse_money(0.125)


def test_negative_zero_is_zero() -> None:
    assert str(parse_money(Decimal("-0"))) == "0.00"
    assert str(parse_money("1E+2")) == "100.00"
