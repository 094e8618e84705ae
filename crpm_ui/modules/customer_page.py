"""A customer's own page, ``/customers/{id}``: details, total spent, orders and the purchase
history (both paged on the server), "New sale for this customer" (the counter with the
customer chosen: ``/purchases?customer=ID``), edit, deactivate or reactivate, and delete
(a customer with history is offered Deactivate instead)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from crpm_core import Customer, Order, PurchaseLine
from crpm_ui.context import PageContext
from crpm_ui.feedback import db, guarded, success
from crpm_ui.formatting import ShopFormat, shop_format
from crpm_ui.records import (
    customer_form,
    delete_or_deactivate,
    page_record_id,
    plural,
    record_missing,
)
from crpm_ui.registry import Module
from crpm_ui.widgets import PHONE_CARDS, ServerTable, link_cell_slot, tile

__all__ = ["COUNTER_CUSTOMER_PARAM", "module", "new_sale_url"]

COUNTER_CUSTOMER_PARAM = "customer"
"""The counter's query parameter that chooses its customer: ``/purchases?customer=12``."""


def new_sale_url(customer_id: int) -> str:
    return f"/purchases?{COUNTER_CUSTOMER_PARAM}={customer_id}"


def order_columns(fmt: ShopFormat) -> list[dict[str, Any]]:
    return [
        {"name": "number", "label": "Order", "field": "number", "align": "left"},
        {"name": "at", "label": fmt.label("Placed"), "field": "at", "align": "left"},
        {"name": "lines", "label": "Lines", "field": "lines", "align": "right"},
        {"name": "total", "label": "Total", "field": "total", "align": "right"},
        {"name": "status", "label": "Status", "field": "status", "align": "left"},
    ]


def history_columns(fmt: ShopFormat) -> list[dict[str, Any]]:
    return [
        {"name": "at", "label": fmt.label("Date"), "field": "at", "align": "left"},
        {"name": "product", "label": "Product", "field": "product", "align": "left"},
        {"name": "quantity", "label": "Qty", "field": "quantity", "align": "right"},
        {"name": "returned", "label": "Returned", "field": "returned", "align": "right"},
        {"name": "total", "label": "Total", "field": "total", "align": "right"},
        {"name": "status", "label": "Status", "field": "status", "align": "left"},
    ]


def order_row(order: Order, fmt: ShopFormat) -> dict[str, Any]:
    returned = sum(line.returned_quantity for line in order.lines)
    status = "Cancelled" if order.cancelled else ("Part returned" if returned else "")
    return {
        "id": order.id,
        "number": f"#{order.id}" + (f" ({order.ref})" if order.ref else ""),
        "at": fmt.when(order.placed_at),
        "lines": len(order.lines),
        "total": fmt.money(order.total),
        "status": status,
    }


def history_row(line: PurchaseLine, fmt: ShopFormat) -> dict[str, Any]:
    return {
        "id": line.purchase_id,
        "product_id": line.product_id,
        "at": fmt.when(line.purchased_at),
        "product": line.product_name,
        "quantity": line.quantity,
        "returned": line.returned_quantity or "",
        "total": fmt.money(line.total),
        "status": "Cancelled" if line.cancelled else "",
    }


class CustomerPage:
    def __init__(self, ctx: PageContext, customer: Customer, fmt: ShopFormat) -> None:
        self.ctx = ctx
        self.crm = ctx.crm
        self.customer = customer
        self.fmt = fmt
        self.history_count = 0
        ui.link("← All customers", "/customers").mark("back-to-customers")
        self.summary()
        if ctx.may("orders.read"):
            self.tables()

    @ui.refreshable_method
    def summary(self) -> None:
        c = self.customer
        ui.page_title(f"{c.name} · Customer · CRPM")
        with ui.row().classes("items-center gap-3 flex-wrap"):
            ui.label(c.name).classes("text-h6").props('role="heading" aria-level="2"').mark(
                "record-name"
            )
            ui.badge(
                "Active" if c.active else "Inactive", color="positive" if c.active else "secondary"
            ).mark("record-status")
        with ui.row().classes("gap-x-6 gap-y-1 flex-wrap"):
            ui.label(f"Email: {c.email}").mark("record-email")
            ui.label(f"Phone: {c.phone or '-'}").mark("record-phone")
            ui.label(f"Customer since {self.fmt.date(c.created_at)}")
        with ui.row().classes("gap-2 flex-wrap"):
            if c.active and self.ctx.may("orders.place"):
                ui.button("New sale for this customer", icon="point_of_sale").props(
                    f'href="{new_sale_url(c.id)}"'
                ).mark("new-sale")
            if self.ctx.may("customers.update"):
                ui.button("Edit", icon="edit", on_click=self.edit).props("outline").mark(
                    "customer-edit"
                )
            if c.active and self.ctx.may("customers.deactivate"):
                ui.button("Deactivate", icon="block", on_click=self.deactivate).props(
                    "outline"
                ).mark("customer-deactivate")
            elif not c.active and self.ctx.may("customers.reactivate"):
                ui.button("Reactivate", icon="check_circle", on_click=self.reactivate).props(
                    "outline"
                ).mark("customer-reactivate")
            if self.ctx.may("customers.delete"):
                ui.button("Delete", icon="delete", color="negative", on_click=self.delete).mark(
                    "customer-delete"
                )
        self.totals = ui.row().classes("w-full gap-3 flex-wrap")

    async def show_totals(self) -> None:
        """Total spent, orders, units and returns: SQL sums of crpm_core's report (managers
        and owners; a clerk sees the history without the shop's figures)."""
        if not self.ctx.may("reports.read"):
            return
        s = await db(self.crm.reports.sales_summary, customer_id=self.customer.id)
        self.totals.clear()
        with self.totals:
            tile("Total spent", self.fmt.money(s.revenue), "payments", marker="total-spent")
            tile("Orders", f"{s.order_count:,}", "receipt_long", marker="order-count")
            tile("Units bought", f"{s.units_sold:,}", "shopping_bag", marker="units-bought")
            tile("Units returned", f"{s.returned_units:,}", "undo", marker="units-returned")
            ui.label(
                f"{self.fmt.money(s.revenue)} spent in {plural(s.purchase_count, 'purchase')}"
                f" ({plural(s.order_count, 'order')})"
            ).classes("w-full crpm-muted").mark("spent-sentence")

    def tables(self) -> None:
        cid = self.customer.id
        ui.label("Orders").classes("text-subtitle1 font-medium").props(
            'role="heading" aria-level="3"'
        )
        self.orders: ServerTable[Order] = ServerTable(
            columns=order_columns(self.fmt),
            fetch=lambda q: self.crm.orders.list(customer_id=cid, offset=q.offset, limit=q.limit),
            to_row=lambda o: order_row(o, self.fmt),
            marker="orders-table",
            label=f"Orders of {self.customer.name}",
            rows_per_page=5,
        )
        self.orders.table.props(f'dense {PHONE_CARDS} no-data-label="No orders yet"')
        self.orders.table.add_slot(
            "body-cell-number", link_cell_slot("number", href="/orders/{id}", label_field="number")
        )
        ui.label("Purchase history").classes("text-subtitle1 font-medium").props(
            'role="heading" aria-level="3"'
        )
        self.history: ServerTable[PurchaseLine] = ServerTable(
            columns=history_columns(self.fmt),
            fetch=lambda q: self.crm.purchases.list(
                customer_id=cid, offset=q.offset, limit=q.limit
            ),
            to_row=lambda line: history_row(line, self.fmt),
            marker="history-table",
            label=f"Purchase history of {self.customer.name}",
        )
        self.history.table.props(f'dense {PHONE_CARDS} no-data-label="No purchases yet"')
        self.history.table.add_slot(
            "body-cell-product",
            link_cell_slot(
                "product", href="/products/{id}", label_field="product", id_field="product_id"
            ),
        )

    async def load(self) -> None:
        await self.show_totals()
        if self.ctx.may("orders.read"):
            await self.orders.load()
            await self.history.load()

    async def _redraw(self, customer: Customer) -> None:
        self.customer = customer
        self.summary.refresh()
        await self.show_totals()

    @guarded
    async def edit(self) -> None:
        saved = await customer_form(self.crm, self.customer)
        if saved is not None:
            success(f"Saved customer {saved.name}")
            await self._redraw(saved)

    @guarded
    async def deactivate(self) -> None:
        saved = await db(self.crm.customers.deactivate, self.customer.id)
        success(f"{saved.name} is now inactive")
        await self._redraw(saved)

    @guarded
    async def reactivate(self) -> None:
        saved = await db(self.crm.customers.reactivate, self.customer.id)
        success(f"{saved.name} is active again")
        await self._redraw(saved)

    @guarded
    async def delete(self) -> None:
        c = self.customer
        history = (await db(self.crm.purchases.list, customer_id=c.id, limit=1)).total
        may_deactivate = c.active and self.ctx.may("customers.deactivate")
        done = await delete_or_deactivate(
            noun="customer",
            record=c,
            history=history,
            delete=lambda: self.crm.customers.delete(c.id),
            deactivate=(lambda: self.crm.customers.deactivate(c.id)) if may_deactivate else None,
        )
        if done == "deleted":
            ui.navigate.to("/customers")
        elif done == "deactivated":
            await self._redraw(await db(self.crm.customers.get, c.id))


async def build(ctx: PageContext) -> None:
    customer_id = page_record_id("customer_id")
    customer = await record_missing(ctx.crm.customers.get, customer_id, noun="customer")
    if customer is None:
        return
    page = CustomerPage(ctx, customer, await shop_format(ctx.crm))
    await page.load()


module = Module(
    title="Customer",
    icon="person",
    route="/customers/{customer_id}",
    build=build,
    order=11,
)
