"""Numbers, money and times as the pages show them. CSV downloads are written by
:func:`crpm_core.tabular.csv_bytes`, the one CSV writer and formula guard of the project.

The shop's settings decide how money and times read: :class:`ShopFormat` writes amounts with
the shop's currency symbol (as Babel and the printed receipts write them: €1,234.50) and
times in the shop's time zone, and says which zone that is, so that every table can label its
date column::

    fmt = await shop_format(ctx.crm)          # once per page build
    fmt.money(Decimal("12.5"))                # "€12.50"
    fmt.when(sale.purchased_at)               # "2026-07-02 00:30" (the shop's local time)
    fmt.label("When")                         # "When (Europe/Dublin)"

The plain functions :func:`money`, :func:`when` and :func:`date` stay as they were (a bare
number, UTC) for pages that have not read the settings.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from crpm_core import CRPM, Settings
from crpm_core.domain import rules
from crpm_core.printing import money as printed_money
from crpm_core.tabular import csv_bytes
from crpm_ui.feedback import db

__all__ = ["ShopFormat", "csv_bytes", "date", "money", "shop_format", "when"]


def money(value: Decimal, currency: str | None = None) -> str:
    """``value`` with two places and thousands separators; with ``currency`` (ISO 4217) also
    its symbol, as the receipts write it (€1,234.50, £3.00, US$5.00)."""
    if currency is None:
        return f"{value:,.2f}"
    return printed_money(value, currency)


def when(value: datetime, zone: str | None = None) -> str:
    """A timestamp to the minute, in UTC or else in the IANA ``zone``."""
    if zone is not None:
        value = value.astimezone(_zone(zone))
    return value.strftime("%Y-%m-%d %H:%M")


def date(value: datetime, zone: str | None = None) -> str:
    """The day of a timestamp, in UTC or else in the IANA ``zone``."""
    if zone is not None:
        value = value.astimezone(_zone(zone))
    return value.strftime("%Y-%m-%d")


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # the core checks names; a removed zone
        return ZoneInfo("UTC")


@attrs.frozen
class ShopFormat:
    """How one shop writes money and time: its ISO 4217 ``currency`` and IANA ``timezone``."""

    currency: str = rules.DEFAULT_CURRENCY
    timezone: str = rules.DEFAULT_TIMEZONE

    @classmethod
    def of(cls, settings: Settings) -> ShopFormat:
        return cls(currency=settings.currency, timezone=settings.timezone)

    @property
    def zone(self) -> tzinfo:
        return _zone(self.timezone)

    def money(self, value: Decimal) -> str:
        """``value`` with the shop's currency symbol: €1,234.50."""
        return money(value, self.currency)

    def when(self, value: datetime) -> str:
        """The shop's local time to the minute (label its column with :meth:`label`)."""
        return when(value, self.timezone)

    def date(self, value: datetime) -> str:
        """The shop's local day."""
        return date(value, self.timezone)

    def when_labelled(self, value: datetime) -> str:
        """A time standing alone, with its zone's abbreviation: ``2026-07-02 00:30 IST``."""
        local = value.astimezone(self.zone)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname() or self.timezone}"

    def label(self, heading: str) -> str:
        """A date column's heading with the zone its times are in: ``When (Europe/Dublin)``."""
        return f"{heading} ({self.timezone})"

    def local(self, value: datetime) -> datetime:
        """An aware time in the shop's zone."""
        return value.astimezone(self.zone)


async def shop_format(crm: CRPM) -> ShopFormat:
    """The logged-in shop's format, read through crpm_core off the event loop (settings are
    readable by every role)."""
    return ShopFormat.of(await db(crm.settings.get))
