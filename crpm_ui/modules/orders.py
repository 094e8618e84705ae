"""An order's own page, ``/orders/{order_id}``: when and to whom it was sold, its lines with
what came back, a return per line (how many, and a note kept on the stock movement), cancel
for the whole sale, and the receipt to download or print."""

from __future__ import annotations

from typing import Any

import attrs
from nicegui import ui

from crpm_core import CRPM, Customer, Order, Purchase, Settings, errors
from crpm_ui.context import PageContext
from crpm_ui.feedback import db, guarded, report, success
from crpm_ui.registry import Module
from crpm_ui.sales import ShopClock, ask, money_in, order_status, receipt_url, shop_settings
from crpm_ui.widgets import run_dialog, whole

__all__ = ["module"]

ROUTE = "/orders/{order_id}"

COLUMNS: list[dict[str, Any]] = [
    {"name": "product", "label": "Product", "field": "product", "align": "left"},
    {"name": "quantity", "label": "Qty", "field": "quantity", "align": "right"},
    {"name": "returned", "label": "Returned", "field": "returned", "align": "right"},
    {"name": "unit_price", "label": "Unit price", "field": "unit_price", "align": "right"},
    {"name": "total", "label": "Total", "field": "total", "align": "right"},
    {"name": "action", "label": "Return", "field": "id", "align": "left"},
]

ACTION_SLOT = """
<q-td key="action" :props="props">
  <span v-if="props.row.cancelled">Cancelled</span>
  <q-btn v-else-if="props.row.can_return" flat dense no-caps color="primary" icon="undo"
         label="Return…" :aria-label="'Return ' + props.row.product"
         @click="() => $parent.$emit('return', props.row.id)" />
  <span v-else-if="props.row.left === 0">All returned</span>
</q-td>
"""


@attrs.frozen
class Loaded:
    """What the page shows: the order, its customer, its products' names and the shop."""

    order: Order
    customer: Customer
    names: dict[int, str]
    shop: Settings


def _load(crm: CRPM, order_id: int) -> Loaded:
    order = crm.orders.get(order_id)
    customer = crm.customers.get(order.customer_id)
    names = {}
    for line in order.lines:
        if line.product_id not in names:
            names[line.product_id] = crm.products.get(line.product_id).name
    return Loaded(order=order, customer=customer, names=names, shop=shop_settings(crm))


def _order_id() -> int | None:
    """The order's id from the address, if it is one."""
    text = str(ui.context.client.request.path_params.get("order_id", ""))
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    return int(text)


class OrderPage:
    def __init__(self, ctx: PageContext, order_id: int) -> None:
        self.ctx = ctx
        self.crm = ctx.crm
        self.order_id = order_id
        self.can_return = ctx.may("purchases.return_items")
        self.can_cancel = ctx.may("orders.cancel")
        self.content = ui.column().classes("w-full gap-4")
        self.loaded: Loaded | None = None

    async def load(self) -> None:
        try:
            self.loaded = await db(_load, self.crm, self.order_id)
        except errors.NotFound:
            self.content.clear()
            with self.content:
                ui.label(f"There is no order {self.order_id}.").mark("no-order")
                ui.link("Back to the orders", "/purchases")
            return
        self.draw(self.loaded)

    def draw(self, data: Loaded) -> None:
        order, shop = data.order, data.shop
        clock = ShopClock(shop.timezone)
        self.content.clear()
        with self.content:
            with ui.row().classes("w-full items-center gap-3"):
                heading = f"Order {order.id}" + (f" · ref {order.ref}" if order.ref else "")
                ui.label(heading).classes("text-h6").props('role="heading" aria-level="2"').mark(
                    "order-heading"
                )
                status = order_status(order)
                ui.badge(status, color="negative" if status == "Cancelled" else "primary").mark(
                    "order-status"
                )
            with (
                ui.element("dl")
                .classes("grid gap-x-4 gap-y-1")
                .style("grid-template-columns: max-content 1fr")
            ):
                self._fact("Placed", f"{clock.when(order.placed_at)} ({clock.zone})")
                with ui.element("dt").classes("crpm-muted"):
                    ui.label("Customer")
                with ui.element("dd"):
                    ui.link(data.customer.name, f"/customers/{data.customer.id}").mark(
                        "order-customer"
                    )
                if order.cancelled_at is not None:
                    self._fact("Cancelled", f"{clock.when(order.cancelled_at)} ({clock.zone})")
                if order.note:
                    self._fact("Note", order.note)
                self._fact("Total", money_in(order.total, shop.currency), marker="order-total")
            rows = [self._row(line, data) for line in order.lines]
            table = ui.table(columns=COLUMNS, rows=rows, row_key="id").classes("crpm-table")
            table.props('flat bordered aria-label="Lines"').mark("order-lines")
            table.add_slot("body-cell-action", ACTION_SLOT)
            table.on("return", guarded(lambda e: self.give_back(int(e.args))))
            with ui.row().classes("w-full items-center gap-3"):
                ui.link("Receipt (PDF)", receipt_url(order.id)).props(
                    f'download="receipt-{order.id}.pdf"'
                ).mark("receipt-download")
                ui.link("Print receipt", receipt_url(order.id, inline=True), new_tab=True).mark(
                    "receipt-print"
                )
                ui.space()
                if self.can_cancel and order.cancelled_at is None:
                    ui.button(
                        "Cancel sale", icon="block", color="negative", on_click=self.cancel
                    ).mark("cancel-sale")
                ui.link("Back to the counter", "/purchases")

    @staticmethod
    def _fact(term: str, value: str, *, marker: str | None = None) -> None:
        with ui.element("dt").classes("crpm-muted"):
            ui.label(term)
        with ui.element("dd"):
            shown = ui.label(value)
            if marker:
                shown.mark(marker)

    def _row(self, line: Purchase, data: Loaded) -> dict[str, Any]:
        left = line.quantity - line.returned_quantity
        cancelled = line.cancelled_at is not None
        return {
            "id": line.id,
            "product": data.names.get(line.product_id, f"product {line.product_id}"),
            "quantity": line.quantity,
            "returned": line.returned_quantity,
            "unit_price": money_in(line.unit_price, data.shop.currency),
            "total": money_in(line.total, data.shop.currency),
            "cancelled": cancelled,
            "left": left,
            "can_return": self.can_return and not cancelled and left > 0,
        }

    # -- a return ------------------------------------------------------------------------------

    async def give_back(self, purchase_id: int) -> None:
        data = self.loaded
        line = (
            None
            if data is None
            else next((p for p in data.order.lines if p.id == purchase_id), None)
        )
        if data is None or line is None:
            return
        name = data.names.get(line.product_id, "the product")
        left = line.quantity - line.returned_quantity
        heading = f"Return {name}"
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
            dialog.props["aria-label"] = heading
            ui.label(heading).classes("text-h6").props('role="heading" aria-level="2"')
            ui.label(
                f"{line.quantity} sold, {line.returned_quantity} returned so far: "
                f"up to {left} can come back into stock."
            ).classes("text-body2")
            quantity = ui.number("Quantity to return", value=1, step=1, precision=0).mark(
                "return-quantity"
            )
            note = ui.input("Note (optional)").mark("return-note")
            note.props("maxlength=500")
            for field in (quantity, note):
                field.classes("w-full").props("outlined")
                field.on_value_change(lambda e: setattr(e.sender, "error", None))

            @guarded
            async def save() -> None:
                qty = whole(quantity.value)
                if qty is None or qty < 1:
                    quantity.error = "Enter a whole number of at least 1"
                    return
                text = str(note.value or "").strip() or None
                try:
                    done = await db(self.crm.purchases.return_items, line.id, qty, note=text)
                except errors.ValidationError as exc:
                    target = note if exc.field == "note" else quantity
                    target.error = exc.message[:1].upper() + exc.message[1:]
                    return
                except errors.Conflict as exc:
                    if exc.field != "quantity":  # cancelled meanwhile
                        report(exc)
                        return
                    now = await db(self.crm.purchases.get, line.id)
                    can = now.quantity - now.returned_quantity
                    quantity.error = f"Only {can} left to return" if can else "All returned already"
                    return
                dialog.submit((done, qty))

            for field in (quantity, note):  # Enter in a field returns the items
                field.on("keydown.enter", save)
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Keep", on_click=lambda: dialog.submit(None)).props("flat").mark(
                    "return-keep"
                )
                ui.button("Return items", icon="undo", on_click=save).mark("return-save")
        done = await run_dialog(dialog)
        if isinstance(done, tuple):
            success(f"{done[1]} × {name} returned to stock")
            await self.load()

    # -- cancel --------------------------------------------------------------------------------

    @guarded
    async def cancel(self) -> None:
        data = self.loaded
        if data is None:
            return
        question = (
            f"Cancel order {data.order.id} of {data.customer.name}? Every unit not returned goes "
            "back into stock, and the sale leaves the reports."
        )
        if not await ask(question, yes="Cancel sale", no="Keep", marker="confirm-cancel-sale"):
            return
        try:
            await db(self.crm.orders.cancel, data.order.id)
        except errors.CRPMError as exc:
            report(exc)
            await self.load()
            return
        success(f"Order {data.order.id} cancelled: its units are back in stock")
        await self.load()


async def build(ctx: PageContext) -> None:
    order_id = _order_id()
    if order_id is None:
        ui.label("There is no such order.").mark("no-order")
        ui.link("Back to the orders", "/purchases")
        return
    page = OrderPage(ctx, order_id)
    await page.load()


module = Module(
    title="Order",
    icon="receipt_long",
    route=ROUTE,
    build=build,
    order=31,
    section="/purchases",
)
