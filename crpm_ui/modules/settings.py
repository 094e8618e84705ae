"""Settings (owners only): the shop's name, currency (an ISO 4217 code from crpm_core's list),
time zone (an IANA name; both lists are searchable by typing) and low-stock default. Every
field is checked by crpm_core's own rules; a bad one is marked under its field and nothing is
saved."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from babel.numbers import get_currency_name, get_currency_symbol
from nicegui import ui

from crpm_core import Settings, errors
from crpm_core.domain import rules
from crpm_core.domain import validation as v
from crpm_ui.context import PageContext
from crpm_ui.feedback import db, field_error, guarded, report, success
from crpm_ui.formatting import ShopFormat
from crpm_ui.records import WHOLE, mark_all
from crpm_ui.registry import Module
from crpm_ui.widgets import whole_text

__all__ = ["currency_options", "module", "zone_options"]

LABELS = {
    "shop_name": "Shop name",
    "currency": "Currency",
    "timezone": "Time zone",
    "low_stock_default": "Low-stock default",
}


@cache
def currency_options() -> dict[str, str]:
    """Every assigned ISO 4217 code (crpm_core's list), shown with its name and symbol."""
    options = {}
    for code in sorted(rules.CURRENCIES):
        name = get_currency_name(code, locale="en")
        symbol = get_currency_symbol(code, locale="en")
        shown = f"{code} · {name}" + (f" ({symbol})" if symbol != code else "")
        options[code] = shown
    return options


@cache
def zone_options() -> list[str]:
    """Every IANA time zone name this machine knows, sorted (``UTC`` first)."""
    known = zoneinfo.available_timezones()
    zones = sorted(z for z in known if "/" in z and not z.startswith("Etc/"))
    return ["UTC", *zones]


async def build(ctx: PageContext) -> None:
    current = await db(ctx.crm.settings.get)
    SettingsForm(ctx, current)


class SettingsForm:
    def __init__(self, ctx: PageContext, current: Settings) -> None:
        self.ctx = ctx
        zones = zone_options()
        if current.timezone not in zones:
            zones = [current.timezone, *zones]
        with ui.card().classes("w-full max-w-xl").props("flat bordered"):
            self.shop_name = ui.input(LABELS["shop_name"], value=current.shop_name).mark(
                "settings-shop-name"
            )
            self.currency = ui.select(
                currency_options(),
                value=current.currency,
                label=LABELS["currency"],
                with_input=True,
            ).mark("settings-currency")
            self.timezone = ui.select(
                zones, value=current.timezone, label=LABELS["timezone"], with_input=True
            ).mark("settings-timezone")
            self.timezone.props('hint="Type to search, like Dublin or New_York"')
            self.low_stock = ui.input(
                LABELS["low_stock_default"], value=str(current.low_stock_default)
            ).mark("settings-low-stock")
            self.low_stock.props(
                'inputmode=numeric hint="A product at or below this many units is low on stock,'
                ' unless it has a reorder point of its own"'
            )
            self.fields: dict[str, Any] = {
                "shop_name": self.shop_name,
                "currency": self.currency,
                "timezone": self.timezone,
                "low_stock_default": self.low_stock,
            }
            for field in self.fields.values():
                field.classes("w-full").props("outlined")
                field.on_value_change(lambda e: setattr(e.sender, "error", None))
            for field in (self.shop_name, self.low_stock):
                field.on("keydown.enter", self.save)
            self.example = ui.label("").classes("crpm-muted text-body2").mark("settings-example")
            self.currency.on_value_change(lambda _: self.show_example())
            self.timezone.on_value_change(lambda _: self.show_example())
            self.show_example()
            with ui.row().classes("w-full justify-end"):
                ui.button("Save settings", icon="save", on_click=self.save).mark("settings-save")

    def show_example(self) -> None:
        """How an amount and the time of day will read with the chosen currency and zone."""
        code, zone = self.currency.value, self.timezone.value
        if code not in rules.CURRENCIES or not isinstance(zone, str):
            self.example.text = ""
            return
        try:
            fmt = ShopFormat(currency=code, timezone=rules.timezone(zone))
        except errors.ValidationError:
            self.example.text = ""
            return
        now = fmt.when_labelled(datetime.now(UTC))
        self.example.text = f"Amounts will read {fmt.money(Decimal('1234.50'))}; now is {now}."

    @guarded
    async def save(self) -> None:
        for field in self.fields.values():
            field.error = None
        low = whole_text(self.low_stock.value)
        values: dict[str, Any] = {
            "shop_name": self.shop_name.value or "",
            "currency": self.currency.value or "",
            "timezone": self.timezone.value or "",
            "low_stock_default": low,
        }

        def low_check() -> object:
            if low is None:
                raise errors.ValidationError("low_stock_default", WHOLE)
            return rules.low_stock_default(low)

        checks = {
            "shop_name": lambda: v.name(values["shop_name"], "shop_name"),
            "currency": lambda: rules.currency(values["currency"]),
            "timezone": lambda: rules.timezone(values["timezone"]),
            "low_stock_default": low_check,
        }
        if not mark_all(self.fields, checks):
            bad = [LABELS[n] for n, f in self.fields.items() if f.error]
            ui.notify(f"Please correct: {', '.join(bad)}", type="negative")
            return
        try:
            saved = await db(self.ctx.crm.settings.update, **values)
        except errors.ValidationError as exc:
            if not field_error(exc, self.fields):
                report(exc)
            return
        success(f"Settings saved: {saved.shop_name}, {saved.currency}, {saved.timezone}")


module = Module(
    title="Settings",
    icon="settings",
    route="/settings",
    build=build,
    order=90,
    permission="settings.update",
)
