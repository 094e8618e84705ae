from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from enum import IntEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crpm_core.domain import validation as v
from crpm_core.errors import NotFound, ValidationError

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
    if v.is_blank(name):  # only marks with nothing to combine with, say a lone U+0300
        with pytest.raises(ValidationError):
            v.name(name)
    else:
        assert v.name(name) == name.strip()


@pytest.mark.parametrize("name", ["\u0300", "\u200b\u0301", " \u0300 "])
def test_a_name_of_marks_alone_is_empty(name: str) -> None:
    with pytest.raises(ValidationError, match="must not be empty"):
        v.name(name)


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


# --- Text that would reach the database raw -------------------------------------------

TEXT_FIELDS = {
    "name": lambda x: v.name(x),
    "email": lambda x: v.email(x),
    "phone": lambda x: v.phone(x),
    "sku": lambda x: v.sku(x),
    "note": lambda x: v.note(x),
    "search": lambda x: v.search(x),
}
# a value of each field that is valid once the odd character is put in the middle
TEXT_SAMPLES = {
    "name": "Zo{}ë",
    "email": "zo{}e@example.ie",
    "phone": "555 0101{}123",
    "sku": "TEA{}1",
    "note": "count{}ed",
    "search": "zo{}e",
}
SURROGATES = ["\ud800", "\udfff", "\udc80"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("surrogate", SURROGATES)
def test_lone_surrogates_are_refused_in_every_text_field(field: str, surrogate: str) -> None:
    with pytest.raises(ValidationError) as info:
        TEXT_FIELDS[field](TEXT_SAMPLES[field].format(surrogate))
    assert info.value.field == field
    assert info.value.message == "must be valid Unicode text"


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("control", BIDI)
def test_bidi_override_and_isolate_controls_are_refused(field: str, control: str) -> None:
    with pytest.raises(ValidationError) as info:
        TEXT_FIELDS[field](TEXT_SAMPLES[field].format(control))
    assert info.value.field == field


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("control", ["\x00", "\x01", "\x1b", "\x1f", "\x7f"])
def test_control_characters_are_refused_in_every_text_field(field: str, control: str) -> None:
    with pytest.raises(ValidationError) as info:
        TEXT_FIELDS[field](TEXT_SAMPLES[field].format(control))
    assert info.value.field == field
    assert info.value.message == "must not contain control characters"


def test_notes_keep_line_breaks_and_tabs() -> None:
    assert v.note("  counted\r\nby Zoë\tand Ana  ") == "counted\r\nby Zoë\tand Ana"
    assert v.note(" \n ") is None


@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=30))
def test_any_text_is_kept_or_refused_never_a_crash(text: str) -> None:
    """Every text field either gives back valid UTF-8 without bidi controls, or refuses the
    value with a ValidationError naming the field (never UnicodeEncodeError and the like)."""
    for field, check in TEXT_FIELDS.items():
        try:
            kept = check(text)
        except ValidationError as e:
            assert e.field == field
            continue
        if kept is not None:
            kept.encode("utf-8")
            assert not set(kept) & v.BIDI_CONTROLS


# --- Names that show nothing ------------------------------------------------------------

INVISIBLE_NAMES = [
    "\u200b",  # zero-width space
    "\u200c\u200d",  # zero-width non-joiner, joiner
    " \u2060 ",  # word joiner
    "\ufeff",  # byte order mark
    "\u00ad\u200e\u200f",  # soft hyphen, direction marks (category Cf)
    "\U000e0041\U000e007f",  # tag characters
    "\u0301",  # a combining accent with nothing to sit on
    "\u0301\u0308\u20dd",
    "\ufe0f",  # variation selector
    "\u3000\u2003\u00a0",  # ideographic, em and no-break spaces
    "\u3164",  # Hangul filler
    "\u2800",  # braille blank
    " \u200b\t\u200d ",
]


@pytest.mark.parametrize("blank_name", INVISIBLE_NAMES)
def test_names_of_invisible_characters_only_are_empty(blank_name: str) -> None:
    with pytest.raises(ValidationError) as info:
        v.name(blank_name)
    assert info.value.field == "name"
    assert info.value.message == "must not be empty"


@pytest.mark.parametrize(
    "real_name",
    [
        "क्\u200dष",  # Devanagari with a zero-width joiner
        "ന്\u200d",  # Malayalam chillu written with ZWJ
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian with ZWNJ
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family emoji sequence
        "Zoë",  # precomposed
        "Zoe\u0308",  # decomposed: e + combining diaeresis
        "\u2764\ufe0f",  # heart with variation selector
    ],
)
def test_names_with_joiners_inside_visible_text_stay_valid(real_name: str) -> None:
    assert v.name(f" {real_name} ") == real_name


# --- Lengths the columns hold on every backend ------------------------------------------


def test_phones_are_at_most_40_characters() -> None:
    assert v.phone("+1 (555) 123-4567" + " " * 23) == "+1 (555) 123-4567"  # trailing trimmed
    padded = "-".join("1234567") + " " * 60
    assert v.phone(padded) == "1-2-3-4-5-6-7"
    forty = "1" + " " * 32 + "234567"
    assert len(forty) == 39 and v.phone(forty + "8") == forty + "8"
    for phone in ("1" + " " * 60 + "234567", "1-2-3-4" + "-" * 60 + "5-6-7", "(" * 40 + "1234567"):
        with pytest.raises(ValidationError) as info:
            v.phone(phone)
        assert info.value.field == "phone"
        assert info.value.message == "must be at most 40 characters"


def test_email_key_is_lower_case_and_at_most_254() -> None:
    assert v.email_key("İ@X.COM") == "i̇@x.com"
    longest = "a" * 246 + "@x.com"  # 252
    assert v.email(longest) == longest
    dotted = "İ" * 4 + "a" * 242 + "@x.com"  # 252 as written, 256 lower-cased
    assert len(dotted) <= 254 < len(v.email_key(dotted))
    with pytest.raises(ValidationError) as info:
        v.email(dotted)
    assert info.value.field == "email"
    with pytest.raises(ValidationError) as info:
        v.email(dotted, "customer_email")
    assert info.value.field == "customer_email"


@given(st.emails())
def test_accepted_emails_have_keys_that_fit(address: str) -> None:
    try:
        kept = v.email(address)
    except ValidationError:
        return
    assert len(kept) <= 254 and len(v.email_key(kept)) <= 254


# --- Ids ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", [0, -1, -(2**63), 2**63, 2**64, 10**30])
def test_ids_outside_the_bigint_range_are_not_found(bad_id: int) -> None:
    with pytest.raises(NotFound) as info:
        v.record_id(bad_id, "customer_id")
    assert info.value.entity == "customer"
    assert info.value.record_id == bad_id
    with pytest.raises(NotFound) as info:
        v.record_id(bad_id, "purchase_id")
    assert info.value.entity == "purchase"


def test_ids_too_large_to_print_are_not_found_too() -> None:
    with pytest.raises(NotFound) as info:
        v.record_id(10**5000, "order_id")
    assert info.value.entity == "order"
    assert info.value.record_id == 10**5000
    assert "too large" in str(info.value)


@pytest.mark.parametrize("good_id", [1, 2, 2**31, 2**63 - 1])
def test_ids_inside_the_range_are_kept(good_id: int) -> None:
    assert v.record_id(good_id, "product_id") == good_id
    assert type(v.record_id(IntEnum("E", {"X": good_id}).X, "product_id")) is int


@pytest.mark.parametrize("bad_id", ["1", 1.0, True, False, None, Decimal(1), [1]])
def test_ids_of_the_wrong_type_stay_validation_errors(bad_id: object) -> None:
    with pytest.raises(ValidationError) as info:
        v.record_id(bad_id, "product_id")
    assert info.value.field == "product_id"


# --- Times ----------------------------------------------------------------------------

PLUS_5 = timezone(timedelta(hours=5))
MINUS_5 = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=PLUS_5),  # converting to UTC overflows
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1, 1, 2, 4, 59, tzinfo=PLUS_5),  # 0001-01-01T23:59Z
        datetime(9999, 12, 31, tzinfo=UTC),
        datetime(9999, 12, 31, 23, tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
        datetime.max.replace(tzinfo=MINUS_5),  # converting to UTC overflows
        datetime(9999, 12, 30, 19, tzinfo=MINUS_5),  # 9999-12-31T00:00Z
    ],
)
def test_times_outside_0001_01_02_to_9999_12_30_are_refused(moment: datetime) -> None:
    for check in (v.utc_timestamp, v.optional_timestamp):
        with pytest.raises(ValidationError) as info:
            check(moment, "purchased_at")
        assert info.value.field == "purchased_at"


@pytest.mark.parametrize(
    ("moment", "utc"),
    [
        (datetime(1, 1, 2, tzinfo=UTC), datetime(1, 1, 2, tzinfo=UTC)),
        (datetime(1, 1, 2, 5, tzinfo=PLUS_5), datetime(1, 1, 2, tzinfo=UTC)),
        (
            datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC),
        ),
        (datetime(9999, 12, 30, 18, tzinfo=MINUS_5), datetime(9999, 12, 30, 23, tzinfo=UTC)),
    ],
)
def test_times_at_the_edges_are_kept(moment: datetime, utc: datetime) -> None:
    assert v.utc_timestamp(moment, "at") == utc
    assert v.utc_timestamp(moment, "at").tzinfo is UTC


class _BrokenZone(tzinfo):
    def __init__(self, offset: object) -> None:
        self.offset = offset

    def utcoffset(self, dt: datetime | None) -> Any:
        if isinstance(self.offset, Exception):
            raise self.offset
        return self.offset

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None


@pytest.mark.parametrize(
    "zone",
    [_BrokenZone(timedelta(hours=25)), _BrokenZone("+05:00"), _BrokenZone(OverflowError())],
)
def test_time_zones_without_a_valid_offset_are_refused(zone: tzinfo) -> None:
    with pytest.raises(ValidationError) as info:
        v.utc_timestamp(datetime(2026, 1, 1, tzinfo=zone), "start")
    assert info.value.field == "start"


@given(
    st.datetimes(min_value=datetime.min, max_value=datetime.max),
    st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1),
)
def test_any_aware_time_is_kept_in_range_or_refused(naive: datetime, minutes: int) -> None:
    moment = naive.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    try:
        utc = v.utc_timestamp(moment, "end")
    except ValidationError as e:
        assert e.field == "end"
        return
    assert v.EARLIEST <= utc < v.LATEST and utc == moment
