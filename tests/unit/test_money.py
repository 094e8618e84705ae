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
    assert str(parse_money("-0")) == "0.00"
    assert str(parse_money(-0.0)) == "0.00"


def test_decimals_with_exponents_are_numbers() -> None:
    """A ``Decimal`` is already a number: its exponent form is fine (text is not)."""
    assert str(parse_money(Decimal("1E+2"))) == "100.00"
    assert str(parse_money(Decimal("1.5E+3"))) == "1500.00"
    assert str(parse_money(Decimal("5E-1"))) == "0.50"


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("12", "12.00"),
        ("12.5", "12.50"),
        ("0.99", "0.99"),
        (".5", "0.50"),  # a leading "." is accepted
        ("+3", "3.00"),
        ("007.10", "7.10"),
        (" 12.50\t", "12.50"),  # spaces and tabs around are trimmed
        ("1000000000", "1000000000.00"),
        ("1.500", "1.50"),  # a zero third place is no third place
    ],
)
def test_plain_text_amounts(text: str, amount: str) -> None:
    assert str(parse_money(text)) == amount


@pytest.mark.parametrize(
    "text",
    [
        "1_000",  # Python's digit grouping
        "1_0.5_0",
        "\u0661\u0662",  # Arabic-Indic digits
        "\u06f1\u06f2",  # extended Arabic-Indic digits
        "\uff11\uff12",  # full-width digits
        "\u0967\u0968",  # Devanagari digits
        "1e3",
        "1E3",
        "1E+2",
        "5e-1",
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        " 1 000",
        "1,000",
        "12.",  # a "." needs digits after it
        ".",
        "+",
        "-",
        "--1",
        "+-1",
        "1.2.3",
        "0x10",
        "\u00a012",  # no-break space is not trimmed
        "12\u2003",
        "\u3000 12",
        "12\n",
        "1\ud800",
        "1" * 5000,  # too big, however long
    ],
)
def test_text_must_be_plain_ascii_digits(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_money(text, "unit_price")
    assert info.value.field == "unit_price"
    assert info.value.message


@pytest.mark.parametrize("text", ["-1", "-0.01", "-12.50", " -3"])
def test_negative_text_is_refused_as_negative(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_money(text)
    assert info.value.message == "must not be negative"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "must be a finite amount"),
        (float("inf"), "must be a finite amount"),
        (float("-inf"), "must be a finite amount"),
        (1e-05, "must have at most two decimal places"),
        (5e-324, "must have at most two decimal places"),
        (1e16, "must be at most 1,000,000,000"),
        (1e300, "must be at most 1,000,000,000"),
        (-1e300, "must not be negative"),
        (-1.5, "must not be negative"),
        (Decimal("sNaN"), "must be a finite amount"),
        (Decimal("-Infinity"), "must be a finite amount"),
        (Decimal("-1E+3"), "must not be negative"),
        (Decimal("1E+999999"), "must be at most 1,000,000,000"),
        pytest.param(10**5000, "must be at most 1,000,000,000", id="10**5000"),
        pytest.param(-(10**5000), "must not be negative", id="-10**5000"),
    ],
)
def test_odd_numbers_are_refused_cleanly(value: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_money(value)
    assert info.value.field == "price"
    assert info.value.message == message


def test_floats_with_exponents_in_range_are_fine() -> None:
    assert str(parse_money(1e3)) == "1000.00"
    assert str(parse_money(1e9)) == "1000000000.00"


@given(st.one_of(st.text(), st.floats(), st.decimals(), st.integers()))
def test_anything_is_an_amount_or_a_validation_error(value: object) -> None:
    try:
        amount = parse_money(value)
    except ValidationError as e:
        assert e.field == "price" and e.message
        return
    assert amount.as_tuple().exponent == -2 and 0 <= amount <= 1_000_000_000
