"""Purchases: record a sale with searchable customer and product pickers, a quantity limited
to the stock and a live total; recent purchases with cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from nicegui import events, ui

from crpm_core import Customer, Page, Product, PurchaseLine, errors
from crpm_ui.context import PageContext
from crpm_ui.feedback import db, field_error, guarded, report, success
from crpm_ui.formatting import money, when
from crpm_ui.registry import Module
from crpm_ui.widgets import Query, ServerTable, confirm, whole

__all__ = ["PICKER_SIZE", "module"]

MAX_QUANTITY = 1_000_000
PERIODS = {7: "Last 7 days", 30: "Last 30 days", 90: "Last 90 days", 365: "Last year", 0: "All"}
DEFAULT_DAYS = 30

PICKER_SIZE = 20
"""How many matches a picker offers at once (type to narrow them down)."""

COLUMNS: list[dict[str, Any]] = [
    {"name": "at", "label": "Date (UTC)", "field": "at", "align": "left"},
    {"name": "customer", "label": "Customer", "field": "customer", "align": "left"},
    {"name": "product", "label": "Product", "field": "product", "align": "left"},
    {"name": "quantity", "label": "Qty", "field": "quantity", "align": "right"},
    {"name": "unit_price", "label": "Unit price", "field": "unit_price", "align": "right"},
    {"name": "total", "label": "Total", "field": "total", "align": "right"},
    {"name": "action", "label": "Status", "field": "status", "align": "left"},
]

ACTION_SLOT = """
<q-td key="action" :props="props">
  <span v-if="props.row.cancelled">Cancelled</span>
  <q-btn v-else-if="props.row.can_cancel" flat dense no-caps color="negative" icon="undo"
         label="Cancel"
         :aria-label="'Cancel purchase ' + props.row.id"
         @click="() => $parent.$emit('cancel', props.row.id)" />
</q-td>
"""


def customer_label(c: Customer) -> str:
    return f"{c.name} · {c.email}"


def product_label(p: Product) -> str:
    stock = f"{p.stock} in stock" if p.stock else "out of stock"
    return f"{p.name} · {money(p.price)} · {stock}"


def _row(line: PurchaseLine) -> dict[str, Any]:
    return {
        "id": line.purchase_id,
        "at": when(line.purchased_at),
        "customer": line.customer_name,
        "product": line.product_name,
        "quantity": line.quantity,
        "unit_price": money(line.unit_price),
        "total": money(line.total),
        "cancelled": line.cancelled,
        "status": "Cancelled" if line.cancelled else "",
    }


class PurchasesPage:
    def __init__(self, ctx: PageContext) -> None:
        self.crm = ctx.crm
        self.can_cancel = ctx.may("purchases.cancel")
        self.customers: dict[int, Customer] = {}
        self.products: dict[int, Product] = {}
        with ui.card().classes("w-full").props("flat bordered"):
            ui.label("Record a purchase").classes("text-h6").props('role="heading" aria-level="2"')
            with ui.element("div").classes("grid gap-3 w-full grid-cols-1 md:grid-cols-2"):
                self.customer = ui.select(
                    {}, label="Customer (type to search)", with_input=True
                ).mark("pick-customer")
                self.product = ui.select(
                    {}, label="Product (type to search)", with_input=True
                ).mark("pick-product")
            for picker in (self.customer, self.product):
                picker.props("outlined input-debounce=250 clearable").classes("w-full min-w-0")
            self.customer.on("input-value", self._search_customers)
            self.product.on("input-value", self._search_products)
            self.customer.on_value_change(lambda _: self._refresh_form())
            self.product.on_value_change(lambda _: self._refresh_form())
            with ui.row().classes("w-full items-start gap-4"):
                self.quantity = (
                    ui.number(
                        "Quantity", value=1, min=1, step=1, precision=0, validation=self._problem
                    )
                    .props("outlined")
                    .classes("w-40")
                    .mark("quantity")
                )
                self.quantity.on_value_change(lambda _: self._refresh_form())
                with ui.column().classes("gap-0"):
                    self.info = (
                        ui.label("Pick a product").classes("crpm-muted").mark("product-info")
                    )
                    self.total = ui.label("Total: 0.00").classes("text-h6").mark("live-total")
                    self.total.props('aria-live="polite"')
            self.record_button = ui.button(
                "Record purchase", icon="point_of_sale", on_click=self.record
            ).mark("record-purchase")
        self.days = DEFAULT_DAYS
        with ui.row().classes("w-full items-center justify-between gap-2"):
            ui.label("Recent purchases").classes("text-h6").props('role="heading" aria-level="2"')
            ui.select(PERIODS, value=DEFAULT_DAYS, label="Show", on_change=self._on_period).props(
                "outlined dense"
            ).classes("min-w-[10rem]").mark("purchase-period")
        self.table: ServerTable[PurchaseLine] = ServerTable(
            columns=COLUMNS,
            fetch=self._fetch,
            to_row=lambda line: {**_row(line), "can_cancel": self.can_cancel},
            marker="purchases-table",
            label="Recent purchases",
        )
        self.table.table.add_slot("body-cell-action", ACTION_SLOT)
        self.table.table.on("cancel", guarded(lambda e: self.cancel(int(e.args))))
        self._refresh_form()

    def _fetch(self, q: Query) -> Page[PurchaseLine]:
        # A bounded window keeps the listing's count cheap on a shop with millions of sales.
        start = datetime.now(UTC) - timedelta(days=self.days) if self.days else None
        return self.crm.purchases.list(start=start, offset=q.offset, limit=q.limit)

    @guarded
    async def _on_period(self, e: Any) -> None:
        self.days = int(e.value)
        await self.table.load(page=1)

    async def load(self) -> None:
        await self.find_customers("")
        await self.find_products("")
        await self.table.load()

    # -- pickers: the database searches, the select shows the matches ----------------------

    @guarded
    async def _search_customers(self, e: events.GenericEventArguments) -> None:
        await self.find_customers(str(e.args or ""))

    @guarded
    async def _search_products(self, e: events.GenericEventArguments) -> None:
        await self.find_products(str(e.args or ""))

    async def find_customers(self, text: str) -> None:
        page = await db(
            self.crm.customers.list, search=text.strip() or None, active=True, limit=PICKER_SIZE
        )
        chosen = self.customers.get(self.customer.value) if self.customer.value else None
        self.customers = {c.id: c for c in page}
        if chosen is not None:
            self.customers.setdefault(chosen.id, chosen)
        self.customer.set_options({cid: customer_label(c) for cid, c in self.customers.items()})

    async def find_products(self, text: str) -> None:
        page = await db(
            self.crm.products.list, search=text.strip() or None, active=True, limit=PICKER_SIZE
        )
        chosen = self.products.get(self.product.value) if self.product.value else None
        self.products = {p.id: p for p in page}
        if chosen is not None:
            self.products.setdefault(chosen.id, self.products.get(chosen.id, chosen))
        self._show_products()

    def _show_products(self) -> None:
        self.product.set_options({pid: product_label(p) for pid, p in self.products.items()})
        self._refresh_form()

    # -- the form ----------------------------------------------------------------------------

    def _quantity(self) -> int | None:
        return whole(self.quantity.value)

    def _problem(self, value: object) -> str | None:
        """What is wrong with the quantity, if anything (shown under the field)."""
        product = self.products.get(self.product.value) if self.product.value else None
        qty = whole(value)
        if product is not None and product.stock == 0:
            return "Out of stock"
        if qty is None or qty < 1:
            return "Enter a whole number of at least 1"
        if product is not None and qty > product.stock:
            return f"Only {product.stock} in stock"
        return None

    def _refresh_form(self) -> None:
        """Show price and stock, cap the quantity at the stock and keep the total live."""
        if not hasattr(self, "record_button"):
            return  # still building the form
        product = self.products.get(self.product.value) if self.product.value else None
        qty = self._quantity()
        if product is None:
            self.info.text = "Pick a product to see its price and stock"
        else:
            self.info.text = f"Price {money(product.price)} · {product.stock} in stock"
        self.quantity.props["max"] = MAX_QUANTITY if product is None else max(product.stock, 1)
        problem = self._problem(self.quantity.value)
        self.quantity.error = problem
        unit = product.price if product is not None else Decimal("0.00")
        total = unit * (qty or 0) if problem is None else Decimal("0.00")
        self.total.text = f"Total: {money(total)}"
        ready = product is not None and self.customer.value is not None and problem is None
        self.record_button.set_enabled(ready)

    @guarded
    async def record(self) -> None:
        customer = self.customers.get(self.customer.value) if self.customer.value else None
        product = self.products.get(self.product.value) if self.product.value else None
        qty = self._quantity()
        if customer is None or product is None or qty is None:
            ui.notify("Pick a customer and a product, and enter a quantity", type="info")
            return
        try:
            sale = await db(
                self.crm.purchases.record,
                customer_id=customer.id,
                product_id=product.id,
                quantity=qty,
            )
        except errors.CRPMError as exc:
            if isinstance(exc, errors.InsufficientStock):
                await self._reload_product(product.id)
            field_error(exc, {"quantity": self.quantity})
            report(exc)
            return
        await self._reload_product(product.id)
        success(f"Sold {sale.quantity} × {product.name} to {customer.name}: {money(sale.total)}")
        self.quantity.value = 1
        await self.table.load(page=1)

    async def _reload_product(self, product_id: int) -> None:
        fresh = await db(self.crm.products.get, product_id)
        self.products[fresh.id] = fresh
        self._show_products()

    async def cancel(self, purchase_id: int) -> None:
        line = next((p for p in self.table.items if p.purchase_id == purchase_id), None)
        what = (
            f"{line.quantity} × {line.product_name} for {line.customer_name}"
            if line
            else f"#{purchase_id}"
        )
        if not await confirm(
            f"Cancel the purchase of {what}? The units go back into stock.",
            ok="Cancel purchase",
            marker="confirm-cancel",
        ):
            return
        try:
            cancelled = await db(self.crm.purchases.cancel, purchase_id)
        except errors.CRPMError as exc:
            report(exc)
            await self.table.load()
            return
        success(f"Cancelled purchase #{cancelled.id}: {cancelled.quantity} back in stock")
        if cancelled.product_id in self.products:
            await self._reload_product(cancelled.product_id)
        await self.table.load()


async def build(ctx: PageContext) -> None:
    page = PurchasesPage(ctx)
    await page.load()


module = Module(title="Purchases", icon="point_of_sale", route="/purchases", build=build, order=30)
