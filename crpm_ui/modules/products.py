"""Products: a searchable, sortable, server-side paged list with stock badges ("Out of
stock" at 0 units, "Low stock" at or below the reorder point); add, CSV import and export.
Each name links to the product's own page (``/products/{id}``: stock movements, sales over
time, restock, correct, edit, deactivate)."""

from __future__ import annotations

from typing import Any

from crpm_core import Product
from crpm_ui.context import PageContext
from crpm_ui.feedback import db
from crpm_ui.formatting import ShopFormat
from crpm_ui.listing import RecordListPage, RecordService
from crpm_ui.records import product_form, stock_badge
from crpm_ui.registry import Module

__all__ = ["module"]

STATUS = {
    "all": "All products",
    "active": "Active only",
    "inactive": "Inactive only",
    "low": "Low on stock",
}

COLUMNS: list[dict[str, Any]] = [
    {"name": "name", "label": "Name", "field": "name", "align": "left", "sortable": True},
    {"name": "sku", "label": "SKU", "field": "sku", "align": "left", "sortable": True},
    {"name": "price", "label": "Price", "field": "price", "align": "right", "sortable": True},
    {"name": "stock", "label": "Stock", "field": "stock", "align": "right", "sortable": True},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
]

STOCK_SLOT = """
<q-td key="stock" :props="props">
  {{ props.row.stock }}
  <q-badge v-if="props.row.badge" :color="props.row.badge_color" text-color="white"
           class="q-ml-sm" :label="props.row.badge" />
</q-td>
"""


def _row(p: Product, low_stock_default: int, fmt: ShopFormat) -> dict[str, Any]:
    badge = stock_badge(p, low_stock_default)
    return {
        "id": p.id,
        "name": p.name,
        "sku": p.sku or "",
        "price": fmt.money(p.price),
        "stock": p.stock,
        "badge": badge[0] if badge else "",
        "badge_color": badge[1] if badge else "",
        "status": "Active" if p.active else "Inactive",
    }


class ProductsPage(RecordListPage[Product]):
    noun = "product"
    plural = "Products"
    search_label = "Search name or SKU"
    add_icon = "add_box"
    statuses = STATUS
    columns = COLUMNS

    def __init__(self, ctx: PageContext) -> None:
        super().__init__(ctx)
        self.table.table.add_slot("body-cell-stock", STOCK_SLOT)
        self.low_stock_default = 0  # the shop's, read before each load of the table
        self.fmt = ShopFormat()

    @classmethod
    async def build(cls, ctx: PageContext) -> None:
        page = cls(ctx)
        await page.refresh_settings()
        await page.table.load()

    async def refresh_settings(self) -> None:
        settings = await db(self.crm.settings.get)
        self.low_stock_default = settings.low_stock_default
        self.fmt = ShopFormat.of(settings)

    @property
    def service(self) -> RecordService[Product]:
        return self.crm.products

    def to_row(self, record: Product) -> dict[str, Any]:
        return _row(record, self.low_stock_default, self.fmt)

    async def form(self, existing: Product | None = None) -> Product | None:
        return await product_form(self.crm, existing, low_stock_default=self.low_stock_default)

    def filters(self) -> dict[str, Any]:
        if self.status == "low":
            return {"active": True, "low": True}
        return {**super().filters(), "low": False}

    def added(self, saved: Product) -> str:
        return f"Added product {saved.name} ({saved.stock} in stock)"


module = Module(
    title="Products", icon="inventory_2", route="/products", build=ProductsPage.build, order=20
)
