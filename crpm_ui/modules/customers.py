"""Customers: a searchable, sortable, server-side paged list; add, CSV import and export.
Each name links to the customer's own page (``/customers/{id}``: history, edit, deactivate)."""

from __future__ import annotations

from typing import Any

from crpm_core import Customer
from crpm_ui.formatting import ShopFormat, shop_format
from crpm_ui.listing import RecordListPage, RecordService
from crpm_ui.records import customer_form
from crpm_ui.registry import Module

__all__ = ["module"]

STATUS = {"all": "All customers", "active": "Active only", "inactive": "Inactive only"}

COLUMNS: list[dict[str, Any]] = [
    {"name": "name", "label": "Name", "field": "name", "align": "left", "sortable": True},
    {"name": "email", "label": "Email", "field": "email", "align": "left", "sortable": True},
    {"name": "phone", "label": "Phone", "field": "phone", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "created_at", "label": "Since", "field": "since", "align": "left", "sortable": True},
]


def _row(c: Customer, fmt: ShopFormat) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "phone": c.phone or "",
        "status": "Active" if c.active else "Inactive",
        "since": fmt.date(c.created_at),
    }


class CustomersPage(RecordListPage[Customer]):
    noun = "customer"
    plural = "Customers"
    search_label = "Search name, email or phone"
    add_icon = "person_add"
    statuses = STATUS
    columns = COLUMNS
    fmt = ShopFormat()

    @classmethod
    async def build(cls, ctx: Any) -> None:
        page = cls(ctx)
        page.fmt = await shop_format(ctx.crm)
        await page.table.load()

    @property
    def service(self) -> RecordService[Customer]:
        return self.crm.customers

    def to_row(self, record: Customer) -> dict[str, Any]:
        return _row(record, self.fmt)

    async def form(self, existing: Customer | None = None) -> Customer | None:
        return await customer_form(self.crm, existing)


module = Module(
    title="Customers", icon="people", route="/customers", build=CustomersPage.build, order=10
)
