"""Customers: a searchable, sortable, server-side paged list; add, edit, (de)activate,
delete, and a customer's purchase history with the total spent."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from crpm_core import CRPM, Customer, Page, errors
from crpm_ui.context import PageContext
from crpm_ui.feedback import db, field_error, guarded, report, success
from crpm_ui.formatting import date, money, when
from crpm_ui.registry import Module
from crpm_ui.widgets import Query, ServerTable, confirm, name_button_slot, run_dialog

__all__ = ["module"]

STATUS = {"all": "All customers", "active": "Active only", "inactive": "Inactive only"}

COLUMNS: list[dict[str, Any]] = [
    {"name": "name", "label": "Name", "field": "name", "align": "left", "sortable": True},
    {"name": "email", "label": "Email", "field": "email", "align": "left", "sortable": True},
    {"name": "phone", "label": "Phone", "field": "phone", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "created_at", "label": "Since", "field": "since", "align": "left", "sortable": True},
]

HISTORY_LIMIT = 500
HISTORY_COLUMNS: list[dict[str, Any]] = [
    {"name": "at", "label": "Date (UTC)", "field": "at", "align": "left"},
    {"name": "product", "label": "Product", "field": "product", "align": "left"},
    {"name": "quantity", "label": "Qty", "field": "quantity", "align": "right"},
    {"name": "total", "label": "Total", "field": "total", "align": "right"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
]


def _row(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "phone": c.phone or "",
        "status": "Active" if c.active else "Inactive",
        "since": date(c.created_at),
    }


async def customer_form(crm: CRPM, existing: Customer | None = None) -> Customer | None:
    """The add or edit dialog; returns the saved customer, or ``None`` if cancelled."""
    heading = "Edit customer" if existing else "Add customer"
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        dialog.props["aria-label"] = heading
        ui.label(heading).classes("text-h6").props('role="heading" aria-level="2"')
        name = ui.input("Name", value=existing.name if existing else "").mark("customer-name")
        email = ui.input("Email", value=existing.email if existing else "").mark("customer-email")
        email.props("type=email autocomplete=email")
        phone = ui.input("Phone (optional)", value=(existing.phone or "") if existing else "").mark(
            "customer-phone"
        )
        phone.props("type=tel autocomplete=tel")
        fields = {"name": name, "email": email, "phone": phone}
        for field in fields.values():
            field.classes("w-full").props("outlined")
            field.on_value_change(lambda e: setattr(e.sender, "error", None))

        @guarded
        async def save() -> None:
            for field in fields.values():
                field.error = None
            values = {"name": name.value or "", "email": email.value or "", "phone": phone.value}
            try:
                if existing is None:
                    saved = await db(crm.customers.add, **values)
                else:
                    saved = await db(crm.customers.update, existing.id, **values)
            except (errors.ValidationError, errors.Conflict) as exc:
                if not field_error(exc, fields):
                    report(exc)
                return
            dialog.submit(saved)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat")
            ui.button("Save", icon="save", on_click=save).mark("customer-save")
    result = await run_dialog(dialog)
    return result if isinstance(result, Customer) else None


class CustomersPage:
    def __init__(self, ctx: PageContext) -> None:
        self.crm = ctx.crm
        self.status = "all"
        with ui.row().classes("w-full items-center gap-2"):
            search = ui.input("Search name, email or phone").props(
                "outlined dense clearable debounce=300 type=search"
            )
            search.classes("grow min-w-0").mark("customer-search")
            search.on_value_change(guarded(lambda e: self.table.set_search(e.value)))
            ui.select(STATUS, value="all", label="Show", on_change=self._on_status).props(
                "outlined dense"
            ).classes("min-w-[10rem]").mark("customer-status")
            ui.button("Add customer", icon="person_add", on_click=self.add).mark("add-customer")
        self.table: ServerTable[Customer] = ServerTable(
            columns=COLUMNS,
            fetch=self._fetch,
            to_row=_row,
            marker="customers-table",
            label="Customers",
            sort_by="name",
        )
        self.table.table.add_slot(
            "body-cell-name", name_button_slot("name", "open", label_field="name", prefix="Open")
        )
        self.table.table.on("open", guarded(lambda e: self.open(int(e.args))))

    def _fetch(self, q: Query) -> Page[Customer]:
        active = {"all": None, "active": True, "inactive": False}[self.status]
        return self.crm.customers.list(
            search=q.search,
            active=active,
            offset=q.offset,
            limit=q.limit,
            order_by=q.order_by or "name",
            descending=q.descending,
        )

    @guarded
    async def _on_status(self, e: Any) -> None:
        self.status = str(e.value)
        await self.table.load(page=1)

    @guarded
    async def add(self) -> None:
        saved = await customer_form(self.crm)
        if saved is not None:
            success(f"Added customer {saved.name}")
            await self.table.load()

    async def open(self, customer_id: int) -> None:
        """The customer's detail: contact, status, history, total spent and the actions."""
        customer = await db(self.crm.customers.get, customer_id)
        # Totals come from the database; the table shows the newest HISTORY_LIMIT lines.
        summary = await db(self.crm.reports.sales_summary, customer_id=customer_id)
        page = await db(self.crm.purchases.list, customer_id=customer_id, limit=HISTORY_LIMIT)
        history = page.items
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-3xl"):
            dialog.props["aria-label"] = f"Customer {customer.name}"
            ui.label(customer.name).classes("text-h6").props('role="heading" aria-level="2"').mark(
                "detail-name"
            )
            with ui.row().classes("gap-x-6 gap-y-1 flex-wrap"):
                ui.label(f"Email: {customer.email}")
                ui.label(f"Phone: {customer.phone or '-'}")
                ui.label("Active" if customer.active else "Inactive").mark("detail-status")
                ui.label(f"Customer since {date(customer.created_at)}")
            ui.label(
                f"Total spent: {money(summary.revenue)} in {summary.purchase_count} purchases"
            ).classes("text-subtitle1 font-medium").mark("total-spent")
            if page.total > len(history):
                ui.label(f"The newest {len(history)} of {page.total} purchases:").classes(
                    "crpm-muted"
                )
            ui.table(
                columns=HISTORY_COLUMNS,
                rows=[
                    {
                        "id": line.purchase_id,
                        "at": when(line.purchased_at),
                        "product": line.product_name,
                        "quantity": line.quantity,
                        "total": money(line.total),
                        "status": "Cancelled" if line.cancelled else "",
                    }
                    for line in history
                ],
                pagination=10,
            ).classes("crpm-table").props(
                'flat bordered dense no-data-label="No purchases yet" aria-label="Purchase history"'
            ).mark("history-table")

            async def close_and(action: str) -> None:
                dialog.submit(action)

            with ui.row().classes("w-full justify-end gap-2 flex-wrap"):
                ui.button("Edit", icon="edit", on_click=lambda: close_and("edit")).mark(
                    "customer-edit"
                )
                if customer.active:
                    ui.button(
                        "Deactivate", icon="block", on_click=lambda: close_and("deactivate")
                    ).props("outline").mark("customer-deactivate")
                else:
                    ui.button(
                        "Reactivate", icon="check_circle", on_click=lambda: close_and("reactivate")
                    ).props("outline").mark("customer-reactivate")
                ui.button(
                    "Delete", icon="delete", color="negative", on_click=lambda: close_and("delete")
                ).mark("customer-delete")
                ui.button("Close", on_click=lambda: dialog.submit(None)).props("flat")
        action = await run_dialog(dialog)
        if action is None:
            return
        await self._act(customer, str(action))

    async def _act(self, customer: Customer, action: str) -> None:
        if action == "edit":
            saved = await customer_form(self.crm, customer)
            if saved is not None:
                success(f"Saved customer {saved.name}")
                await self.table.load()
        elif action == "deactivate":
            await db(self.crm.customers.deactivate, customer.id)
            success(f"{customer.name} is now inactive")
            await self.table.load()
        elif action == "reactivate":
            await db(self.crm.customers.reactivate, customer.id)
            success(f"{customer.name} is active again")
            await self.table.load()
        elif action == "delete":
            question = f"Delete the customer {customer.name} for good?"
            if not await confirm(question, ok="Delete", marker="confirm-delete"):
                return
            try:
                await db(self.crm.customers.delete, customer.id)
            except errors.Conflict:
                ui.notify(
                    f"{customer.name} has purchases and cannot be deleted. "
                    "Deactivate the customer instead: the history is kept.",
                    type="negative",
                    multi_line=True,
                )
                return
            success(f"Deleted customer {customer.name}")
            await self.table.load()


async def build(ctx: PageContext) -> None:
    page = CustomersPage(ctx)
    await page.table.load()


module = Module(title="Customers", icon="people", route="/customers", build=build, order=10)
