"""Customers: a searchable, sortable, server-side paged list; add, edit, (de)activate,
delete, and a customer's purchase history with the total spent."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from crpm_core import CRPM, Customer
from crpm_ui.feedback import db, guarded
from crpm_ui.formatting import date, money, when
from crpm_ui.listing import RecordListPage, RecordService, save_record
from crpm_ui.registry import Module
from crpm_ui.widgets import (
    form_buttons,
    form_dialog,
    form_fields,
    form_result,
)

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
    with form_dialog(heading) as dialog:
        name = ui.input("Name", value=existing.name if existing else "").mark("customer-name")
        email = ui.input("Email", value=existing.email if existing else "").mark("customer-email")
        email.props("type=email autocomplete=email")
        phone = ui.input("Phone (optional)", value=(existing.phone or "") if existing else "").mark(
            "customer-phone"
        )
        phone.props("type=tel autocomplete=tel")
        fields = {"name": name, "email": email, "phone": phone}
        form_fields(fields)

        @guarded
        async def save() -> None:
            for field in fields.values():
                field.error = None
            values = {"name": name.value or "", "email": email.value or "", "phone": phone.value}
            await save_record(dialog, fields, crm.customers, existing, values)

        form_buttons(dialog, save, marker="customer-save")
    return await form_result(dialog, Customer)


class CustomersPage(RecordListPage[Customer]):
    noun = "customer"
    plural = "Customers"
    search_label = "Search name, email or phone"
    add_icon = "person_add"
    statuses = STATUS
    columns = COLUMNS
    in_use = (
        "{name} has purchases and cannot be deleted. "
        "Deactivate the customer instead: the history is kept."
    )

    @property
    def service(self) -> RecordService[Customer]:
        return self.crm.customers

    def to_row(self, record: Customer) -> dict[str, Any]:
        return _row(record)

    async def form(self, existing: Customer | None = None) -> Customer | None:
        return await customer_form(self.crm, existing)

    async def open(self, customer_id: int) -> None:
        """The customer's detail: contact, status, history, total spent and the actions."""
        customer = await db(self.crm.customers.get, customer_id)
        # Totals come from the database; the table shows the newest HISTORY_LIMIT lines.
        # A clerk may see the purchases but not the shop's reports (the total spent).
        reports = self.ctx.may("reports.read")
        summary = (
            await db(self.crm.reports.sales_summary, customer_id=customer_id) if reports else None
        )
        page = await db(self.crm.purchases.list, customer_id=customer_id, limit=HISTORY_LIMIT)
        history = page.items
        with self.detail_dialog(customer) as dialog:
            with ui.row().classes("gap-x-6 gap-y-1 flex-wrap"):
                ui.label(f"Email: {customer.email}")
                ui.label(f"Phone: {customer.phone or '-'}")
                ui.label("Active" if customer.active else "Inactive").mark("detail-status")
                ui.label(f"Customer since {date(customer.created_at)}")
            if summary is not None:
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
        await self.run_detail(dialog, customer)


module = Module(
    title="Customers", icon="people", route="/customers", build=CustomersPage.build, order=10
)
