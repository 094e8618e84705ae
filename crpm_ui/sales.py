"""What the counter (``/purchases``) and the order page (``/orders/{id}``) share, since pages
never import each other: a picker that survives fast typing, money in the shop's currency,
days and times in the shop's time zone, an order's lines with names, the receipt's address
and a confirmation with plain answers that Enter accepts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs
from nicegui import events, ui

from crpm_core import CRPM, Order, Settings, errors
from crpm_ui import formatting
from crpm_ui.widgets import run_dialog

T = TypeVar("T")

__all__ = [
    "Names",
    "Picker",
    "ShopClock",
    "ask",
    "money_in",
    "order_status",
    "receipt_url",
    "styles",
]

RECEIPTS = "/downloads/receipts"
"""The receipts' addresses: ``/downloads/receipts/{order_id}.pdf`` (see crpm_ui.downloads)."""


CSS = """
/* A field's clear button: Quasar fades it to 60 %, below 3:1 against the field. */
.crpm-sales .q-field__focusable-action { opacity: 1; color: var(--crpm-muted); }
"""


def styles() -> None:
    """The counter's and the order page's own styles (call once while building the page)."""
    ui.add_css(CSS)


def receipt_url(order_id: int, *, inline: bool = False) -> str:
    """The receipt of an order as a PDF download, or (``inline``) shown by the browser to
    print it."""
    return f"{RECEIPTS}/{order_id}.pdf" + ("?inline=1" if inline else "")


def money_in(amount: Decimal, currency: str) -> str:
    """``amount`` in the shop's ``currency`` as the receipt writes it: €19.50, £3.00, US$5.00."""
    return formatting.money(amount, currency)


class Picker(ui.select):
    """A select whose options the server replaces as the user types (a search).

    The browser answers a choice with the option's *index* in the options it had. Typing fast
    and then ArrowDown, Enter or Tab can answer with an index of options the server has
    already replaced: NiceGUI's own select then fails with an ``IndexError`` (defect 1) or,
    worse, picks whatever now sits at that index. This one checks the label that comes with
    the index and finds the option by it; a choice no longer offered changes nothing."""

    _searches = 0
    _choices = 0

    def begin_search(self) -> tuple[int, int]:
        """Note that a search for new options starts; give its token to :meth:`still`."""
        self._searches += 1
        return (self._searches, self._choices)

    def still(self, token: tuple[int, int]) -> bool:
        """Whether the search of ``token`` may still show its options: no newer search has
        started and the user has not chosen meanwhile (new options under a choice just made
        would open the list again)."""
        return token == (self._searches, self._choices)

    def offers(self, label: str) -> bool:
        """Whether ``label`` is one of the options (the picker echoing a choice into its
        field, which needs no new search)."""
        return label in self._labels

    async def search(
        self, text: str, pause: float, fetch: Callable[[str | None], Awaitable[T]]
    ) -> T | None:
        """What ``fetch`` finds for the typed ``text`` (``None`` for nothing typed), once
        ``pause`` has passed without more typing. ``None`` when no new options are wanted:
        the picker is echoing a choice into its field, or a newer search or a choice came
        meanwhile."""
        if text and self.offers(text):
            return None
        token = self.begin_search()
        await asyncio.sleep(pause)  # typing on: only the last search runs
        if not self.still(token):
            return None
        found = await fetch(text.strip() or None)
        return found if self.still(token) else None

    def _event_args_to_value(self, e: events.GenericEventArguments) -> Any:
        args = e.args
        if self.multiple or not isinstance(args, dict):
            return super()._event_args_to_value(e)
        self._choices += 1
        index, label = args.get("value"), args.get("label")
        labels: list[Any] = list(self._labels)
        if isinstance(index, int) and 0 <= index < len(labels) and labels[index] == label:
            return self._values[index]
        if label in labels:
            return self._values[labels.index(label)]
        self.update()  # show the browser what is still chosen
        return self.value


@attrs.frozen
class ShopClock:
    """Days and times as the shop lives them: in its time zone (``Settings.timezone``)."""

    zone: str = "UTC"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def when(self, moment: datetime) -> str:
        """An aware time as the shop reads it, to the minute: ``2026-07-02 00:30``."""
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def today(self) -> date:
        return datetime.now(self.tz).date()

    def start_of(self, day: date) -> datetime:
        """Local midnight at the start of ``day`` (an aware time; DST-safe)."""
        return datetime.combine(day, time(0), tzinfo=self.tz)

    def days(
        self, first: date | None, last: date | None
    ) -> tuple[datetime | None, datetime | None]:
        """The range ``[first's midnight, the midnight after last)``: both days included."""
        start = self.start_of(first) if first is not None else None
        end = self.start_of(last + timedelta(days=1)) if last is not None else None
        return start, end


def shop_settings(crm: CRPM) -> Settings:
    """The shop's settings (currency, time zone); the defaults if they cannot be read."""
    try:
        return crm.settings.get()
    except errors.PermissionDenied:  # pragma: no cover - every role may read the settings
        return Settings(shop_name="CRPM", currency="EUR", timezone="UTC", low_stock_default=5)


class Names:
    """The names of the customers and products that orders refer to, read once each
    (``Order`` and ``Purchase`` carry only ids)."""

    def __init__(self, crm: CRPM) -> None:
        self.crm = crm
        self.customers: dict[int, str] = {}
        self.products: dict[int, str] = {}

    def learn(self, orders: Iterable[Order]) -> None:
        """Read the names the ``orders`` need (runs off the event loop, in ``db``)."""
        for order in orders:
            if order.customer_id not in self.customers:
                self.customers[order.customer_id] = self._customer(order.customer_id)
            for line in order.lines:
                if line.product_id not in self.products:
                    self.products[line.product_id] = self._product(line.product_id)

    def _customer(self, customer_id: int) -> str:
        try:
            return self.crm.customers.get(customer_id).name
        except errors.NotFound:  # pragma: no cover - a customer with orders cannot go
            return f"customer {customer_id}"

    def _product(self, product_id: int) -> str:
        try:
            return self.crm.products.get(product_id).name
        except errors.NotFound:  # pragma: no cover - a product with sales cannot go
            return f"product {product_id}"

    def lines(self, order: Order) -> str:
        """What an order holds, as ``2 × Green tea, 1 × Mug``."""  # noqa: RUF002
        parts = []
        for line in order.lines:
            name = self.products.get(line.product_id, f"product {line.product_id}")
            part = f"{line.quantity} × {name}"
            if line.returned_quantity:
                part += f" ({line.returned_quantity} returned)"
            parts.append(part)
        return ", ".join(parts)


def order_status(order: Order) -> str:
    """Cancelled, Returned, Partly returned or Completed."""
    if order.cancelled_at is not None:
        return "Cancelled"
    sold = sum(line.quantity for line in order.lines if line.cancelled_at is None)
    back = sum(line.returned_quantity for line in order.lines if line.cancelled_at is None)
    if back and back >= sold:
        return "Returned"
    if back:
        return "Partly returned"
    return "Completed"


async def ask(question: str, *, yes: str, no: str, marker: str) -> bool:
    """A confirmation with plain answers ("Keep" / "Cancel sale", never "Cancel" beside
    "Cancel purchase"): ``yes`` is focused, so Enter accepts it; ``no``, Escape or a click
    outside keep things as they are."""
    with ui.dialog() as dialog, ui.card().classes("max-w-md"):
        dialog.props('aria-label="Please confirm"')
        ui.label(question).classes("text-body1")
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(no, on_click=lambda: dialog.submit(False)).props("flat").mark(f"{marker}-no")
            ui.button(yes, on_click=lambda: dialog.submit(True), color="negative").props(
                "autofocus"
            ).mark(f"{marker}-yes")
    return bool(await run_dialog(dialog))
