"""The shop's rules that are more than one field: who may buy what, what settings mean.

Each rule lives here once; the services, the importer and (through them) the app, the
command line and the API all call the same function.
"""

from __future__ import annotations

import re
import zoneinfo
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


def check_sale(
    customer_id: int,
    customer: Party | None,
    product_id: int,
    product: Party | None,
    requested: int,
) -> None:
    """May ``customer`` buy ``requested`` units of ``product``? Refused in a fixed order:
    missing, then inactive, then short of stock (``requested`` is the total asked for)."""
    if customer is None:
        raise NotFound("customer", customer_id)
    if product is None:
        raise NotFound("product", product_id)
    if not customer.active:
        raise InactiveRecord("customer", customer_id)
    if not product.active:
        raise InactiveRecord("product", product_id)
    if product.stock < requested:
        raise InsufficientStock(product_id, requested, product.stock)


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
