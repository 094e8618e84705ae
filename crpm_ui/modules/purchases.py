"""Purchases: the counter (a sale with a basket) and the orders.

The counter: pick the customer (name, email or phone), add products by scanning or typing a
SKU and Enter, or by searching their names; change quantities; each line shows its price, the
stock left after this basket and its total, under the basket's total in the shop's currency.
"Complete sale" (or Ctrl+Enter) places the order; a refused line says why on that line and
keeps what was typed. After the sale: its receipt (download or print) and an empty basket.

The orders: every order, newest first, paged on the server, filtered by customer, product
and a range of days (both days included); each opens its own page, ``/orders/{id}``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs
from nicegui import events, ui

from crpm_core import CRPM, Customer, Order, Page, Product, errors
from crpm_ui.context import PageContext
from crpm_ui.empty import calm_no_data
from crpm_ui.feedback import db, guarded, report, success
from crpm_ui.registry import Module
from crpm_ui.sales import (
    Names,
    Picker,
    ShopClock,
    money_in,
    order_status,
    receipt_url,
    shop_settings,
    styles,
)
from crpm_ui.transfer_ui import transfer_buttons
from crpm_ui.widgets import Query, ServerTable, whole

__all__ = ["PICKER_SIZE", "module"]

PICKER_SIZE = 20
"""How many matches a picker offers at once (type to narrow them down)."""
SEARCH_PAUSE = 0.2
"""Seconds a picker waits after a keystroke before it searches (the browser sends every
keystroke at once: a debounce in the browser would re-open the list after a quick choice)."""
SHORTCUT = "Control+Enter"
"""The key that completes a sale (``aria-keyshortcuts``; the button shows it as a hint)."""

ORDER_SLOT = """
<q-td key="number" :props="props">
  <a class="nicegui-link" :href="'/orders/' + props.row.id"
     :aria-label="'Open order ' + props.row.number">{{ props.row.number }}</a>
</q-td>
"""


PHONE_HIDES = {"classes": "gt-xs", "headerClasses": "gt-xs"}
"""A table column shown from 600 px up."""


def customer_label(c: Customer) -> str:
    return f"{c.name} · {c.email}" + (f" · {c.phone}" if c.phone else "")


def product_label(p: Product, currency: str) -> str:
    stock = f"{p.stock} in stock" if p.stock else "out of stock"
    sku = f"{p.sku} · " if p.sku else ""
    return f"{p.name} · {sku}{money_in(p.price, currency)} · {stock}"


@attrs.define
class Line:
    """One line of the basket: a product, the quantity typed (``None`` while it is not a
    whole number) and why it cannot be sold, if it cannot."""

    product: Product
    quantity: int | None = 1
    refused: str | None = None
    """The reason the last "Complete sale" gave for this line, until the line changes."""


@attrs.define
class LineView:
    """The elements of one basket line that change as the basket does."""

    quantity: ui.number
    left: ui.label
    total: ui.label
    problem: ui.label


class Counter:
    """The sale screen: a customer, a basket, "Complete sale"."""

    def __init__(self, crm: CRPM, currency: str, on_sold: Any) -> None:
        self.crm = crm
        self.currency = currency
        self.on_sold = on_sold
        self.customers: dict[int, Customer] = {}
        self.found: dict[int, Product] = {}
        self.lines: list[Line] = []
        self.views: dict[int, LineView] = {}
        self.busy = False
        with (
            ui.card()
            .classes("w-full min-w-0 crpm-sales")
            .props("flat bordered")
            .mark("counter") as self.card
        ):
            ui.label("New sale").classes("text-h6").props('role="heading" aria-level="2"')
            self.customer = Picker(
                {}, label="Customer (name, email or phone)", with_input=True
            ).mark("pick-customer")
            self.customer.props("outlined input-debounce=0 clearable").classes("w-full min-w-0")
            self.customer.on("input-value", self._search_customers)
            self.customer.on_value_change(lambda _: self._show_totals())
            with ui.element("div").classes("grid gap-3 w-full grid-cols-1 md:grid-cols-2"):
                self.sku = (
                    ui.input("Scan or type a SKU, then Enter")
                    .props('outlined autocomplete=off spellcheck=false aria-describedby=""')
                    .classes("w-full min-w-0")
                    .mark("sku")
                )
                self.sku.on("keydown.enter", self._add_sku)
                self.product = Picker({}, label="Find a product (name or SKU)", with_input=True)
                self.product.props("outlined input-debounce=0 clearable").classes(
                    "w-full min-w-0"
                ).mark("pick-product")
                self.product.on("input-value", self._search_products)
                self.product.on_value_change(self._picked_product)
            self.basket = ui.column().classes("w-full gap-2").mark("basket")
            self.basket.props('role="list" aria-label="Basket"')
            with ui.row().classes("w-full items-center justify-between gap-3"):
                self.total = ui.label("").classes("text-h6").mark("basket-total")
                self.total.props('aria-live="polite"')
                with ui.row().classes("items-center gap-2"):
                    ui.button("Clear", icon="remove_shopping_cart", on_click=self.clear).props(
                        "flat"
                    ).mark("clear-basket")
                    self.complete_button = (
                        ui.button("Complete sale", icon="point_of_sale", on_click=self.complete)
                        .props(f'aria-keyshortcuts="{SHORTCUT}"')
                        .mark("complete-sale")
                    )
                    ui.label("Ctrl+Enter").classes("crpm-muted text-caption").props(
                        'aria-hidden="true"'
                    ).mark("shortcut-hint")
            self.receipt = ui.column().classes("w-full gap-1").mark("last-sale")
            self.receipt.props('aria-live="polite"')
        # Ctrl+Enter anywhere in the counter (a field, a line, a button) completes the sale.
        self.card.on("keydown.ctrl.enter", self.complete)
        self._draw_basket()

    async def load(self) -> None:
        await self.find_customers("")
        await self.find_products("")

    # -- the customer --------------------------------------------------------------------------

    @guarded
    async def _search_customers(self, e: events.GenericEventArguments) -> None:
        await self.find_customers(str(e.args or ""), SEARCH_PAUSE)

    async def find_customers(self, text: str, pause: float = 0.0) -> None:
        found = await self.customer.search(
            text,
            pause,
            lambda s: db(self.crm.customers.list, search=s, active=True, limit=PICKER_SIZE),
        )
        if found is None:
            return
        chosen = self.chosen_customer  # after the search: a choice made meanwhile stays
        self.customers = {c.id: c for c in found}
        if chosen is not None:
            self.customers.setdefault(chosen.id, chosen)
        self.customer.set_options({cid: customer_label(c) for cid, c in self.customers.items()})

    async def choose_customer(self, customer_id: int) -> None:
        """Serve ``customer_id`` (a new sale from the customer's page); an unknown or inactive
        customer is said so, and nobody is chosen."""
        try:
            customer = await db(self.crm.customers.get, customer_id)
        except errors.NotFound:
            ui.notify("That customer does not exist; pick one", type="warning")
            return
        if not customer.active:
            ui.notify(f"{customer.name} is inactive and cannot buy", type="warning")
            return
        self.customers[customer.id] = customer
        self.customer.set_options({cid: customer_label(c) for cid, c in self.customers.items()})
        self.customer.set_value(customer.id)

    @property
    def chosen_customer(self) -> Customer | None:
        value = self.customer.value
        return self.customers.get(value) if isinstance(value, int) else None

    # -- adding products -----------------------------------------------------------------------

    @guarded
    async def _search_products(self, e: events.GenericEventArguments) -> None:
        await self.find_products(str(e.args or ""), SEARCH_PAUSE)

    async def find_products(self, text: str, pause: float = 0.0) -> None:
        found = await self.product.search(
            text,
            pause,
            lambda s: db(self.crm.products.list, search=s, active=True, limit=PICKER_SIZE),
        )
        if found is None:
            return
        self.found = {p.id: p for p in found}
        self.product.set_options(
            {pid: product_label(p, self.currency) for pid, p in self.found.items()}
        )

    @guarded
    async def _picked_product(self, e: Any) -> None:
        product = self.found.get(e.value) if isinstance(e.value, int) else None
        if product is None:
            return
        self.product.set_value(None)
        self.product.run_method("updateInputValue", "", True)  # ready to find the next one
        self.add(product)

    @guarded
    async def _add_sku(self) -> None:
        text = str(self.sku.value or "").strip()
        if not text:
            return
        found = await db(self.crm.products.list, search=text, limit=PICKER_SIZE)
        exact = [p for p in found if p.sku is not None and p.sku.casefold() == text.casefold()]
        if not exact:
            self.sku.error = f"No product has the SKU {text}"
            return
        self.sku.error = None
        self.sku.set_value("")
        self.add(exact[0])

    def add(self, product: Product) -> None:
        """One more of ``product``: its line grows by 1, or a new line the first time."""
        line = self.line_of(product.id)
        if line is None:
            self.lines.append(Line(product=product))
            self._draw_basket()
        else:
            line.product = product
            line.quantity = (line.quantity or 0) + 1
            line.refused = None
            self.views[product.id].quantity.set_value(line.quantity)
        self._show_totals()
        if not product.active:
            ui.notify(f"{product.name} is inactive and cannot be sold", type="warning")

    def line_of(self, product_id: int) -> Line | None:
        return next((line for line in self.lines if line.product.id == product_id), None)

    def remove(self, product_id: int) -> None:
        self.lines = [line for line in self.lines if line.product.id != product_id]
        self._draw_basket()

    def clear(self) -> None:
        self.lines = []
        self._draw_basket()

    # -- the basket ----------------------------------------------------------------------------

    def _draw_basket(self) -> None:
        self.basket.clear()
        self.views = {}
        with self.basket:
            if not self.lines:
                ui.label("The basket is empty: scan a SKU or find a product.").classes(
                    "crpm-muted"
                ).mark("basket-empty")
            for line in self.lines:
                self._draw_line(line)
        self._show_totals()

    def _draw_line(self, line: Line) -> None:
        p = line.product
        with (
            ui.element("div")
            .classes("w-full rounded-borders q-pa-sm")
            .style("border: 1px solid rgba(127,127,127,.35)")
            .props('role="listitem"')
            .mark(f"line-{p.id}")
        ):
            with ui.row().classes("w-full items-center gap-x-4 gap-y-1"):
                with ui.column().classes("gap-0 grow min-w-[10rem]"):
                    ui.label(p.name).classes("font-medium")
                    ui.label(
                        (f"SKU {p.sku} · " if p.sku else "") + money_in(p.price, self.currency)
                    ).classes("crpm-muted text-caption")
                quantity = (
                    ui.number(
                        "Quantity",
                        value=line.quantity,
                        step=1,
                        precision=0,
                    )
                    .props(f'outlined dense aria-label="Quantity of {_attr(p.name)}"')
                    .classes("w-28")
                    .mark(f"qty-{p.id}")
                )
                left = ui.label("").classes("text-body2 min-w-[7rem]").mark(f"left-{p.id}")
                total = ui.label("").classes("text-body1 font-medium min-w-[6rem] text-right")
                total.mark(f"line-total-{p.id}")
                ui.button(icon="delete", on_click=lambda pid=p.id: self.remove(pid)).props(
                    f'flat round dense aria-label="Remove {_attr(p.name)}"'
                ).mark(f"remove-{p.id}")
            problem = ui.label("").classes("text-negative text-body2").props('role="alert"')
            problem.mark(f"problem-{p.id}")
        quantity.on_value_change(lambda e, pid=p.id: self._typed(pid, e.value))
        self.views[p.id] = LineView(quantity=quantity, left=left, total=total, problem=problem)

    def _typed(self, product_id: int, value: object) -> None:
        line = self.line_of(product_id)
        if line is None:
            return
        line.quantity = whole(value)
        line.refused = None
        self._show_totals()

    def wanted(self, product_id: int) -> int:
        """How many of the product this basket holds, over all its lines."""
        return sum(line.quantity or 0 for line in self.lines if line.product.id == product_id)

    def problem(self, line: Line) -> str | None:
        """Why ``line`` cannot be sold as it is, if it cannot (as far as the page knows; the
        sale itself checks again)."""
        if line.refused:
            return line.refused
        if line.quantity is None or line.quantity < 1:
            return "Enter a whole number of at least 1"
        if not line.product.active:
            return "Inactive: no longer sold"
        if self.wanted(line.product.id) > line.product.stock:
            return _only(line.product.stock)
        return None

    def basket_total(self) -> Decimal:
        return sum(
            (line.product.price * (line.quantity or 0) for line in self.lines), Decimal("0.00")
        )

    def _show_totals(self) -> None:
        if not hasattr(self, "complete_button"):
            return  # still building
        for line in self.lines:
            view = self.views.get(line.product.id)
            if view is None:
                continue
            left = line.product.stock - self.wanted(line.product.id)
            view.left.text = f"{left} left in stock" if left >= 0 else f"{-left} short"
            view.total.text = money_in(line.product.price * (line.quantity or 0), self.currency)
            view.problem.text = self.problem(line) or ""
        count = sum(line.quantity or 0 for line in self.lines)
        self.total.text = f"Total {money_in(self.basket_total(), self.currency)}" + (
            f" · {count} item{'s' if count != 1 else ''}" if count else ""
        )

    # -- the sale ------------------------------------------------------------------------------

    @guarded
    async def complete(self) -> None:
        if self.busy:
            return
        customer = self.chosen_customer
        if customer is None:
            ui.notify("Pick the customer first", type="warning")
            self.customer.run_method("focus")
            return
        if not self.lines:
            ui.notify("The basket is empty: add a product first", type="warning")
            return
        bad = [line for line in self.lines if line.quantity is None or line.quantity < 1]
        if bad:
            self._show_totals()
            ui.notify("Check the quantities marked in the basket", type="warning")
            return
        self.busy = True
        self.complete_button.disable()
        try:
            await self._place(customer)
        finally:
            self.busy = False
            self.complete_button.enable()

    async def _place(self, customer: Customer) -> None:
        lines = [(line.product.id, line.quantity or 0) for line in self.lines]
        try:
            order = await db(self.crm.orders.place, customer_id=customer.id, lines=lines)
        except errors.CRPMError as exc:
            await self._refused(exc, customer)
            return
        names = ", ".join(
            f"{q} × {line.product.name}" for line, (_, q) in zip(self.lines, lines, strict=True)
        )
        success(f"Sold to {customer.name}: {names}. Total {money_in(order.total, self.currency)}")
        self._show_receipt(order, customer)
        self.lines = []
        self._draw_basket()
        self.customer.set_value(None)
        self.sku.set_value("")
        await self.on_sold()
        await self.find_products(str(self.product.value or ""))

    async def _refused(self, exc: errors.CRPMError, customer: Customer) -> None:
        """Show why the sale was refused, on the line it concerns when it concerns one;
        nothing was sold, and every quantity typed stays as it was."""
        await self._reload_basket()
        product_id = getattr(exc, "product_id", None)
        if isinstance(exc, errors.InactiveRecord | errors.NotFound) and exc.entity == "product":
            product_id = exc.record_id
        line = self.line_of(product_id) if isinstance(product_id, int) else None
        if isinstance(exc, errors.InsufficientStock) and line is not None:
            line.refused = _only(exc.available)
            text = f"{line.product.name}: only {exc.available} in stock"
        elif isinstance(exc, errors.InactiveRecord | errors.NotFound) and line is not None:
            line.refused = (
                "Inactive: no longer sold"
                if isinstance(exc, errors.InactiveRecord)
                else "No longer exists"
            )
            text = f"{line.product.name} is {line.refused.lower()}"
        elif isinstance(exc, errors.InactiveRecord) and exc.entity == "customer":
            text = f"{customer.name} is inactive and cannot buy"
        else:
            report(exc)
            self._show_totals()
            return
        self._show_totals()
        ui.notify(f"Nothing was sold. {text}", type="negative", multi_line=True)

    async def _reload_basket(self) -> None:
        """Read the basket's products again (their stock, price and state may have changed
        since they were added)."""
        ids = [line.product.id for line in self.lines]

        def read() -> dict[int, Product]:
            fresh = {}
            for pid in ids:
                try:
                    fresh[pid] = self.crm.products.get(pid)
                except errors.NotFound:
                    continue
            return fresh

        fresh = await db(read)
        for line in self.lines:
            line.product = fresh.get(line.product.id, line.product)

    def _show_receipt(self, order: Order, customer: Customer) -> None:
        self.receipt.clear()
        with self.receipt, ui.row().classes("w-full items-center gap-2"):
            ui.icon("check_circle").props('aria-hidden="true"')
            ui.label(
                f"Order {order.id} for {customer.name}: {money_in(order.total, self.currency)}"
            ).classes("font-medium").mark("last-order")
            ui.link("Receipt (PDF)", receipt_url(order.id)).props(
                f'download="receipt-{order.id}.pdf"'
            ).mark("receipt-download")
            ui.link("Print receipt", receipt_url(order.id, inline=True), new_tab=True).mark(
                "receipt-print"
            )
            ui.link("Open the order", f"/orders/{order.id}").mark("open-last-order")


def _only(stock: int) -> str:
    return "Out of stock" if stock <= 0 else f"Only {stock} in stock"


def _attr(text: str) -> str:
    """``text`` inside a double-quoted prop."""
    return text.replace("&", "&amp;").replace('"', "&quot;")


class OrdersList:
    """Every order, newest first, paged on the server; filters by customer, product and days."""

    COLUMNS: list[dict[str, Any]] = [
        {"name": "number", "label": "Order", "field": "number", "align": "left"},
        # On a phone: order, customer, total and status (the order's page has the rest).
        {"name": "at", "label": "Date", "field": "at", "align": "left", **PHONE_HIDES},
        {"name": "customer", "label": "Customer", "field": "customer", "align": "left"},
        {"name": "lines", "label": "Lines", "field": "lines", "align": "left", **PHONE_HIDES},
        {"name": "total", "label": "Total", "field": "total", "align": "right"},
        {"name": "status", "label": "Status", "field": "status", "align": "left"},
    ]

    def __init__(
        self, crm: CRPM, currency: str, clock: ShopClock, ctx: PageContext | None = None
    ) -> None:
        self.crm = crm
        self.currency = currency
        self.clock = clock
        self.names = Names(crm)
        self.customers: dict[int, str] = {}
        self.products: dict[int, str] = {}
        self.first: date | None = None
        self.last: date | None = None
        with ui.row().classes("items-center gap-2 w-full"):
            ui.label("Orders").classes("text-h6").props('role="heading" aria-level="2"')
            ui.space()
            if ctx is not None:  # the purchases as CSV, in the format of `crpm import/export`
                transfer_buttons(ctx, "purchases", lambda: self.table.load(page=1))
        grid = "crpm-sales grid gap-3 w-full grid-cols-1 sm:grid-cols-2 lg:grid-cols-4"
        with ui.element("div").classes(grid):
            self.customer = Picker({}, label="Customer", with_input=True).mark("orders-customer")
            self.product = Picker({}, label="Product", with_input=True).mark("orders-product")
            for picker in (self.customer, self.product):
                picker.props("outlined dense input-debounce=0 clearable").classes("w-full min-w-0")
            self.customer.on("input-value", self._search_customers)
            self.product.on("input-value", self._search_products)
            self.customer.on_value_change(self._on_filter)
            self.product.on_value_change(self._on_filter)
            self.from_input = ui.input("From").mark("orders-from")
            self.to_input = ui.input("To (inclusive)").mark("orders-to")
            for field in (self.from_input, self.to_input):
                field.props("outlined dense type=date stack-label debounce=400 clearable")
                field.classes("w-full min-w-0").on_value_change(self._on_range)
        self.range_note = ui.label("").classes("crpm-muted text-body2").mark("orders-range")
        self.columns = [dict(c) for c in self.COLUMNS]
        self.columns[1]["label"] = f"Date ({clock.zone})"
        self.table: ServerTable[Order] = ServerTable(
            columns=self.columns,
            fetch=self._fetch,
            to_row=self._row,
            marker="orders-table",
            label="Orders",
        )
        self.table.table.add_slot("body-cell-number", ORDER_SLOT)
        self.table.table.props('no-data-label="No orders for these filters"')
        calm_no_data(self.table.table)
        self._say_range()

    async def load_pickers(self) -> None:
        await self.find_customers("")
        await self.find_products("")

    def _fetch(self, q: Query) -> Page[Order]:
        start, end = self.clock.days(self.first, self.last)
        customer_id = self.customer.value if isinstance(self.customer.value, int) else None
        product_id = self.product.value if isinstance(self.product.value, int) else None
        if product_id is None:
            found = self.crm.orders.list(
                customer_id=customer_id, start=start, end=end, offset=q.offset, limit=q.limit
            )
        else:  # the orders holding the product: through its sold lines
            lines = self.crm.purchases.list(
                customer_id=customer_id,
                product_id=product_id,
                start=start,
                end=end,
                offset=q.offset,
                limit=q.limit,
            )
            ids = list(dict.fromkeys(line.order_id for line in lines.items))
            found = Page(
                items=tuple(self.crm.orders.get(i) for i in ids),
                total=lines.total,
                offset=lines.offset,
                limit=lines.limit,
            )
        self.names.learn(found.items)
        return found

    def _row(self, order: Order) -> dict[str, Any]:
        return {
            "id": order.id,
            "number": f"{order.id}" + (f" · {order.ref}" if order.ref else ""),
            "at": self.clock.when(order.placed_at),
            "customer": self.names.customers.get(order.customer_id, ""),
            "lines": self.names.lines(order),
            "total": money_in(order.total, self.currency),
            "status": order_status(order),
        }

    # -- filters -------------------------------------------------------------------------------

    @guarded
    async def _search_customers(self, e: events.GenericEventArguments) -> None:
        await self.find_customers(str(e.args or ""), SEARCH_PAUSE)

    @guarded
    async def _search_products(self, e: events.GenericEventArguments) -> None:
        await self.find_products(str(e.args or ""), SEARCH_PAUSE)

    async def find_customers(self, text: str, pause: float = 0.0) -> None:
        found = await self.customer.search(
            text, pause, lambda s: db(self.crm.customers.list, search=s, limit=PICKER_SIZE)
        )
        if found is None:
            return
        self.customers = _keep_chosen(
            {c.id: customer_label(c) for c in found}, self.customer, self.customers
        )
        self.customer.set_options(self.customers)

    async def find_products(self, text: str, pause: float = 0.0) -> None:
        found = await self.product.search(
            text, pause, lambda s: db(self.crm.products.list, search=s, limit=PICKER_SIZE)
        )
        if found is None:
            return
        self.products = _keep_chosen(
            {p.id: p.name + (f" · {p.sku}" if p.sku else "") for p in found},
            self.product,
            self.products,
        )
        self.product.set_options(self.products)

    @guarded
    async def _on_filter(self, _: Any = None) -> None:
        await self.table.load(page=1)

    @guarded
    async def _on_range(self, _: Any = None) -> None:
        days: list[date | None] = []
        for field in (self.from_input, self.to_input):
            field.error = None
            text = str(field.value or "").strip()
            try:
                day = date.fromisoformat(text) if text else None
            except ValueError:
                field.error = "Use a date like 2025-01-31"
                return
            if day is not None and not date(2, 1, 1) <= day <= date(9999, 12, 29):
                field.error = "Choose a date between the years 2 and 9999"
                return
            days.append(day)
        first, last = days
        if first is not None and last is not None and last < first:
            self.to_input.error = "Must not be before “From”"
            return
        self.first, self.last = first, last
        self._say_range()
        await self.table.load(page=1)

    def _say_range(self) -> None:
        zone = self.clock.zone
        if self.first is None and self.last is None:
            text = f"All days. “From” and “To” are both included (days in {zone})."
        elif self.last is None:
            text = f"From {self.first} on, that day included (days in {zone})."
        elif self.first is None:
            text = f"Up to and including {self.last} (days in {zone})."
        else:
            text = f"From {self.first} to {self.last}, both days included (days in {zone})."
        self.range_note.text = text


CUSTOMER_PARAM = "customer"
"""The query parameter that chooses the counter's customer (a customer's page links to
``/purchases?customer=12`` for a new sale)."""


def _customer_asked() -> int | None:
    """The customer the address asks the counter to serve, if it names one."""
    text = str(ui.context.client.request.query_params.get(CUSTOMER_PARAM, ""))
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def _keep_chosen(options: dict[int, str], picker: Picker, before: dict[int, str]) -> dict[int, str]:
    """The options found, and the one chosen (so that its label stays)."""
    chosen = picker.value
    if isinstance(chosen, int) and chosen not in options and chosen in before:
        options[chosen] = before[chosen]
    return options


async def build(ctx: PageContext) -> None:
    styles()
    shop = await db(shop_settings, ctx.crm)
    clock = ShopClock(shop.timezone)
    orders: list[OrdersList] = []

    async def sold() -> None:
        for listing in orders:
            await listing.table.load(page=1)

    counter = Counter(ctx.crm, shop.currency, sold) if ctx.may("orders.place") else None
    listing = OrdersList(ctx.crm, shop.currency, clock, ctx)
    orders.append(listing)
    await listing.table.load()

    # The pickers' first matches come just after the page is shown: listing the first customers
    # of a shop with 100,000 of them (and counting them) would hold its first paint back.
    wanted = _customer_asked()

    @guarded
    async def fill_pickers() -> None:
        if counter is not None:
            await counter.load()
            if wanted is not None:
                await counter.choose_customer(wanted)
        await listing.load_pickers()

    ui.timer(0.01, fill_pickers, once=True)


module = Module(title="Purchases", icon="point_of_sale", route="/purchases", build=build, order=30)
