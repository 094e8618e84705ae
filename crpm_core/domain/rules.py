"""The shop's rules that are more than one field: who may buy what, what settings mean.

Each rule lives here once; the services, the importer and (through them) the app, the
command line and the API all call the same function.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from functools import cache

import attrs

from crpm_core.domain import validation as v
from crpm_core.errors import InactiveRecord, InsufficientStock, NotFound, ValidationError

DEFAULT_SHOP_NAME = "My shop"
DEFAULT_CURRENCY = "EUR"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_LOW_STOCK = 5
REF_MAX = 64

# ISO 4217 codes assigned today (list one of the standard), funds and precious metals included.
# fmt: off
CURRENCIES = frozenset(
    {
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD",
        "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP",
        "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU",
        "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR",
        "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL",
        "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES",
        "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD",
        "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
        "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR",
        "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF",
        "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN",
        "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS",
        "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV",
        "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF",
        "XPD", "XPF", "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG",
    }
)
# fmt: on
_CODE = re.compile(r"^[A-Z]{3}$")


# Sales ---------------------------------------------------------------------------------------


@attrs.frozen
class Party:
    """What a sale needs to know of a customer or product (``None`` when it does not exist)."""

    active: bool
    stock: int = 0
    name: str | None = None
    """How people know the record, for a refusal's message."""


def check_sale(
    customer_id: int,
    customer: Party | None,
    product_id: int,
    product: Party | None,
    requested: int,
) -> None:
    """May ``customer`` buy ``requested`` units of ``product``? (:func:`check_order` of one
    product.)"""
    check_order(customer_id, customer, [(product_id, product, requested)])


def check_order(
    customer_id: int,
    customer: Party | None,
    products: Sequence[tuple[int, Party | None, int]],
) -> None:
    """May ``customer`` buy these ``(product_id, product, units)``, each product once with the
    total its lines ask for? Refused in a fixed order, the first product in the given order
    first: a missing customer or product (``NotFound``), an inactive customer or product
    (``InactiveRecord``), a product short of stock (``InsufficientStock``, ``requested`` the
    order's total for it). One refusal refuses the whole order."""
    if customer is None:
        raise NotFound("customer", customer_id)
    for product_id, product, _ in products:
        if product is None:
            raise NotFound("product", product_id)
    if not customer.active:
        raise InactiveRecord("customer", customer_id, name=customer.name)
    for product_id, product, _ in products:
        if product is not None and not product.active:
            raise InactiveRecord("product", product_id, name=product.name)
    for product_id, product, requested in products:
        if product is not None and product.stock < requested:
            raise InsufficientStock(product_id, requested, product.stock)


MAX_LINES = 10_000
"""The most lines one order may have."""


def order_lines(value: object, field: str = "lines") -> list[tuple[int, int]]:
    """An order's lines: a non-empty sequence of ``(product_id, quantity)`` pairs or
    ``{"product_id", "quantity"}`` mappings; a bad one names its place (``lines[2].quantity``)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence | Iterable):
        raise ValidationError(field, "must be a list of (product_id, quantity) pairs")
    lines = list(value)
    if not lines:
        raise ValidationError(field, "must hold at least one line")
    if len(lines) > MAX_LINES:
        raise ValidationError(field, f"must hold at most {MAX_LINES:,} lines")
    checked = []
    for i, line in enumerate(lines):
        where = f"{field}[{i}]"
        if isinstance(line, Mapping):
            unknown = set(line) - {"product_id", "quantity"}
            if unknown or "product_id" not in line or "quantity" not in line:
                raise ValidationError(where, "must have exactly product_id and quantity")
            product_id, quantity = line["product_id"], line["quantity"]
        elif isinstance(line, tuple | list) and len(line) == 2:
            product_id, quantity = line
        else:
            raise ValidationError(where, "must be a (product_id, quantity) pair")
        try:
            checked.append((v.record_id(product_id, "product_id"), v.quantity(quantity)))
        except ValidationError as exc:  # name the line: lines[2].quantity
            raise ValidationError(f"{where}.{exc.field}", exc.message) from None
    return checked


def order_ref(value: object, field: str = "order_ref") -> str | None:
    """An external order number: optional, 1-64 characters without spaces."""
    if value is None:
        return None
    text = v.sku(value, field)
    if text is not None and len(text) > REF_MAX:
        raise ValidationError(field, f"must be at most {REF_MAX} characters")
    return text


def reorder_point(value: object, field: str = "reorder_point") -> int | None:
    """A product's own low-stock point: ``None`` (the shop's default) or a whole number."""
    if value is None:
        return None
    return v.stock(value, field)


# Settings ------------------------------------------------------------------------------------


def currency(value: object, field: str = "currency") -> str:
    """An assigned ISO 4217 code in upper case, like ``EUR``."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    code = value.strip()
    if not _CODE.fullmatch(code):
        raise ValidationError(field, "must be a three-letter ISO 4217 code in upper case, like EUR")
    if code not in CURRENCIES:
        raise ValidationError(field, f"{code} is not an assigned ISO 4217 currency code")
    return code


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone(value: object, field: str = "timezone") -> str:
    """An IANA time zone name, like ``Europe/Dublin`` or ``UTC``."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    name = value.strip()
    if name not in _zones():
        raise ValidationError(field, f"{name[:64]!r} is not an IANA time zone like Europe/Dublin")
    return name


def low_stock_default(value: object, field: str = "low_stock_default") -> int:
    return v.stock(value, field)
