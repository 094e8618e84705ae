from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crpm_core.domain import validation as v
from crpm_core.errors import ValidationError

GOOD_PHONES = [
    "+353 1 555 0101",  # Ireland
    "+34 912 34 56 78",  # Spain
    "(212) 555-0123",  # United States
    "+44 20 7946 0958",  # United Kingdom
    "03.1234.5678",  # Japan, dotted
    "+81 3-1234-5678",
    "+49 30 901820",  # Germany
    "+55 (11) 91234-5678",  # Brazil
    "+86 138 0013 8000",  # China
    "+91 98765 43210",  # India
    "0612345678",  # Netherlands, no country code
]
BAD_PHONES = ["12345", "+1 (555) CALL-NOW", "phone: 5551234", "1234567890123456", "++", "555_1234"]


@pytest.mark.parametrize("phone", GOOD_PHONES)
def test_national_phone_formats_are_kept_as_written(phone: str) -> None:
    assert v.phone(f"  {phone} ") == phone


@pytest.mark.parametrize("phone", BAD_PHONES)
def test_bad_phones(phone: str) -> None:
    with pytest.raises(ValidationError) as info:
        v.phone(phone)
    assert info.value.field == "phone"


def test_empty_phone_is_none() -> None:
    assert v.phone("   ") is None
    assert v.phone(None) is None


@pytest.mark.parametrize(
    "email",
    ["zoe@example.ie", "o'brien@example.co.uk", "josé@ejemplo.es", "a+tag@sub.shop.example"],
)
def test_good_emails(email: str) -> None:
    assert v.email(email) == email


@pytest.mark.parametrize(
    "email",
    ["", "plain", "a@b", "a@@b.com", "a@b@c.com", "@example.com", "a b@example.com",
     "a@.example.com", "a@example..com", "a@example.com.", "a@exa mple.com",
     "x" * 250 + "@b.co"],
)  # fmt: skip
def test_bad_emails(email: str) -> None:
    with pytest.raises(ValidationError) as info:
        v.email(email)
    assert info.value.field == "email"


@given(st.text(min_size=1, max_size=200).filter(lambda s: s.strip() and s.isprintable()))
def test_printable_names_up_to_200_are_trimmed(name: str) -> None:
    assert v.name(name) == name.strip()


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "tab\x00nul", "bell\x07", 42, None])
def test_bad_names(name: object) -> None:
    with pytest.raises(ValidationError) as info:
        v.name(name)
    assert info.value.field == "name"


@given(st.one_of(st.integers(max_value=0), st.integers(min_value=v.MAX_QUANTITY + 1)))
def test_quantities_out_of_range(q: int) -> None:
    with pytest.raises(ValidationError) as info:
        v.quantity(q)
    assert info.value.field == "quantity"


@pytest.mark.parametrize("q", [1.0, "1", True, False, None, 2.5])
def test_quantities_must_be_true_ints(q: object) -> None:
    with pytest.raises(ValidationError):
        v.quantity(q)


def test_timestamps_become_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    assert v.utc_timestamp(datetime(2026, 1, 1, 9, tzinfo=tokyo), "at") == datetime(
        2026, 1, 1, tzinfo=UTC
    )
    with pytest.raises(ValidationError) as info:
        v.utc_timestamp(datetime(2026, 1, 1), "start")
    assert info.value.field == "start"
    with pytest.raises(ValidationError):
        v.utc_timestamp("2026-01-01", "start")


def test_email_keys_ignore_case_only() -> None:
    assert v.email_key("Zoe@Example.IE") == v.email_key("zoe@example.ie")
    assert v.email_key("strasse@x.de") != v.email_key("straße@x.de")
