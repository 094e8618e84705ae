"""The API's request and response models.

Responses are generated from the core's attrs values (:func:`response_model`): the same
fields, names and types, so the API cannot drift from the library. Requests carry the core's
rules as JSON Schema (lengths, patterns, bounds), taken from ``crpm_core.domain`` constants
and :mod:`crpm_ui.api.text`; input that fits them is never refused for its shape (the core
still checks everything, and has the last word on what depends on the data).
"""

from __future__ import annotations

import typing
import zoneinfo
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal

import attrs
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    create_model,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

import crpm_core
from crpm_core.domain import rules, staff
from crpm_core.domain import validation as v
from crpm_ui.api import text

__all__ = [
    "ID",
    "MONEY_PATTERN",
    "TIMESTAMP_PATTERN",
    "Problem",
    "page_model",
    "response_model",
]

# -- bounds, from the core ------------------------------------------------------------------------


ID = Annotated[int, Field(ge=v.ID_MIN, le=v.ID_MAX)]
OFFSET_MAX = 2**62
LIMIT_MAX = 1000
"""``validation.paging``: ``offset`` 0 … 2**62, ``limit`` 1 … 1,000."""
TOP_LIMIT_MAX = 10_000
"""``reports.top_customers``: at most 10,000 customers."""
REORDER_DAYS_MAX = 3650
"""``reports.reorder_suggestions``: ``days`` 1 … 3,650."""
REF_MAX = rules.REF_MAX

MONEY_PATTERN = r"^(0*[0-9]{1,9}(\.[0-9]{1,2})?|0*1000000000(\.00?)?)$"
"""An amount of money as text: 0 … 1,000,000,000 with at most two places
(``money.parse_money``); text, so that no amount is ever a binary float."""

_YEAR = r"(000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
TIMESTAMP_PATTERN = (
    f"^{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
"""An RFC 3339 time with its offset, in the years 0002 … 9998 (inside the core's
``EARLIEST`` … ``LATEST`` whatever the offset)."""


def _timestamp(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a real date and time, like 2026-03-29T01:30:00Z") from None


Timestamp = Annotated[
    str,
    Field(pattern=TIMESTAMP_PATTERN, json_schema_extra={"format": "date-time"}),
    AfterValidator(_timestamp),
]
"""A date and time with its offset, given as RFC 3339 text; parsed to an aware datetime."""

Name = Annotated[str, Field(min_length=1, max_length=v.NAME_MAX, pattern=text.name_pattern())]
Email = Annotated[str, Field(min_length=3, max_length=v.EMAIL_MAX, pattern=text.email_pattern())]
Phone = Annotated[str, Field(max_length=v.PHONE_MAX, pattern=text.phone_pattern())]
Sku = Annotated[str, Field(min_length=1, max_length=v.SKU_MAX, pattern=text.solid_pattern())]
Ref = Annotated[str, Field(min_length=1, max_length=REF_MAX, pattern=text.solid_pattern())]
Note = Annotated[str, Field(max_length=v.NOTE_MAX, pattern=text.note_pattern())]
Money = Annotated[str, Field(pattern=MONEY_PATTERN, examples=["6.50"])]
Quantity = Annotated[int, Field(ge=1, le=v.MAX_QUANTITY)]
Stock = Annotated[int, Field(ge=0, le=v.MAX_STOCK)]
Restock = Annotated[int, Field(ge=1, le=v.MAX_STOCK)]
Username = Annotated[str, Field(min_length=1, max_length=64, pattern=text.username_pattern())]
Password = Annotated[
    str,
    Field(
        min_length=staff.PASSWORD_MIN,
        max_length=staff.PASSWORD_MAX,
        pattern=text.password_pattern(),
    ),
]
Role = Literal["owner", "manager", "clerk"]
Search = Annotated[str, Field(max_length=v.NAME_MAX, pattern=text.search_pattern())]


class Request(BaseModel):
    """A request body: strict JSON types, no unknown members."""

    model_config = ConfigDict(strict=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        """JSON Schema counts ``2.0`` as an integer, so the API takes it as 2 (text and
        true/false stay refused: validation is strict)."""
        if isinstance(data, dict):
            return {
                k: int(x) if isinstance(x, float) and x.is_integer() and abs(x) < 2**64 else x
                for k, x in data.items()
            }
        return data


class Changes(Request):
    """A partial update: only the members given change. Members in ``NOT_NULL`` may be left
    out but not set to ``null`` (the others' ``null`` removes the value)."""

    NOT_NULL: typing.ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _no_nulls(self) -> Changes:
        for name in self.NOT_NULL:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may be left out, but not set to null")
        return self

    def given(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class NewCustomer(Request):
    name: Name
    email: Email
    phone: Phone | None = None


class CustomerChanges(Changes):
    """Only the members given change; ``phone: null`` removes the phone."""

    NOT_NULL = ("name", "email")
    name: Name | SkipJsonSchema[None] = None
    email: Email | SkipJsonSchema[None] = None
    phone: Phone | None = None


class NewProduct(Request):
    name: Name
    price: Money
    stock: Stock = 0
    sku: Sku | None = None
    reorder_point: Stock | None = None


class ProductChanges(Changes):
    """Only the members given change; ``sku: null`` removes the SKU, ``reorder_point: null``
    falls back to the shop's default. Stock changes through restock and stock corrections."""

    NOT_NULL = ("name", "price")
    name: Name | SkipJsonSchema[None] = None
    price: Money | SkipJsonSchema[None] = None
    sku: Sku | None = None
    reorder_point: Stock | None = None


class RestockRequest(Request):
    quantity: Restock
    note: Note | None = None


class StockCount(Request):
    """A stock-count correction: the stock counted on the shelf."""

    stock: Stock
    note: Note | None = None


class OrderLine(Request):
    product_id: ID
    quantity: Quantity


class NewOrder(Request):
    customer_id: ID
    lines: list[OrderLine] = Field(min_length=1, max_length=rules.MAX_LINES)
    purchased_at: Timestamp | None = None
    note: Note | None = None
    ref: Ref | None = None


class ReturnRequest(Request):
    quantity: Quantity
    note: Note | None = None


class NewUser(Request):
    username: Username
    password: Password
    role: Role


class RoleChange(Request):
    role: Role


class PasswordChange(Request):
    password: Password


class TokenRequest(Request):
    name: Name


class IssuedToken(BaseModel):
    """A new API token: shown this once, only its hash is kept."""

    token: str
    name: str
    user_id: int


Currency = Literal[tuple(sorted(rules.CURRENCIES))]  # type: ignore[valid-type]
TimeZone = Literal[tuple(sorted(zoneinfo.available_timezones()))]  # type: ignore[valid-type]


class SettingsChanges(Changes):
    """Only the members given change (owners only)."""

    NOT_NULL = ("shop_name", "currency", "timezone", "low_stock_default")
    shop_name: Name | SkipJsonSchema[None] = None
    currency: Currency | SkipJsonSchema[None] = None  # type: ignore[valid-type]
    timezone: TimeZone | SkipJsonSchema[None] = None  # type: ignore[valid-type]
    low_stock_default: Stock | SkipJsonSchema[None] = None


class Problem(BaseModel):
    """An error, as RFC 9457 ``application/problem+json``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = Field(default=None, description="the field a 422 or 409 is about")
    requested: int | None = Field(default=None, description="short stock: units asked for")
    available: int | None = Field(default=None, description="short stock: units in stock")
    product_id: int | None = Field(default=None, description="short stock: which product")


# -- responses: generated from the core's values --------------------------------------------------


@cache
def response_model(cls: type[Any]) -> type[BaseModel]:
    """A pydantic model with exactly the fields (names, types, order) of the attrs class
    ``cls``; nested attrs classes become their own models."""
    attrs.resolve_types(cls)
    fields: dict[str, Any] = {}
    for field in attrs.fields(cls):
        fields[field.name] = (_translate(field.type), ...)
    model: type[BaseModel] = create_model(
        cls.__name__,
        __config__=ConfigDict(from_attributes=True),
        __doc__=(cls.__doc__ or cls.__name__).strip().splitlines()[0],
        **fields,
    )
    return model


def _translate(tp: Any) -> Any:
    if attrs.has(tp):
        return response_model(tp)
    origin = typing.get_origin(tp)
    if origin is tuple:
        (item, _) = typing.get_args(tp)
        return list[_translate(item)]  # type: ignore[misc]
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = tuple(_translate(a) for a in typing.get_args(tp))
        return typing.Union[args]  # noqa: UP007
    return tp


@cache
def page_model(cls: type[Any]) -> type[BaseModel]:
    """``Page`` of ``cls``: ``{items, total, offset, limit}``."""
    item = response_model(cls)  # type: ignore[arg-type]
    model: type[BaseModel] = create_model(
        f"{cls.__name__}Page",
        __config__=ConfigDict(from_attributes=True),
        items=(list[item], ...),  # type: ignore[valid-type]
        total=(int, ...),
        offset=(int, ...),
        limit=(int, ...),
    )
    return model


Customer = response_model(crpm_core.Customer)
Product = response_model(crpm_core.Product)
Purchase = response_model(crpm_core.Purchase)
Order = response_model(crpm_core.Order)
