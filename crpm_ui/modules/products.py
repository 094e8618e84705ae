"""Products: a searchable, sortable, server-side paged list with a low-stock marker; add,
edit, restock, stock correction, (de)activate, delete, and each product's stock movements."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from crpm_core import CRPM, Product, StockMovement, errors
from crpm_ui.context import PageContext
from crpm_ui.feedback import db, guarded, success
from crpm_ui.formatting import money
from crpm_ui.listing import RecordListPage, RecordService, save_record
from crpm_ui.registry import Module
from crpm_ui.rows import movement_row
from crpm_ui.widgets import (
    ServerTable,
    form_buttons,
    form_dialog,
    form_fields,
    form_result,
    save_or_mark,
    whole,
)

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

MOVEMENT_COLUMNS: list[dict[str, Any]] = [
    {"name": "at", "label": "When (UTC)", "field": "at", "align": "left"},
    {"name": "kind", "label": "Kind", "field": "kind", "align": "left"},
    {"name": "change", "label": "Change", "field": "change", "align": "right"},
    {"name": "stock_after", "label": "Stock after", "field": "stock_after", "align": "right"},
    {"name": "note", "label": "Note", "field": "note", "align": "left"},
    {"name": "actor", "label": "By", "field": "actor", "align": "left"},
]

STOCK_SLOT = """
<q-td key="stock" :props="props">
  {{ props.row.stock }}
  <q-badge v-if="props.row.low" color="negative" text-color="white" class="q-ml-sm"
           label="Low stock" />
</q-td>
"""


def _row(p: Product, low_stock_default: int) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "sku": p.sku or "",
        "price": money(p.price),
        "stock": p.stock,
        "low": p.is_low(low_stock_default),
        "status": "Active" if p.active else "Inactive",
    }


async def product_form(crm: CRPM, existing: Product | None = None) -> Product | None:
    """The add or edit dialog; returns the saved product, or ``None`` if cancelled."""
    heading = "Edit product" if existing else "Add product"
    with form_dialog(heading) as dialog:
        name = ui.input("Name", value=existing.name if existing else "").mark("product-name")
        sku = ui.input("SKU (optional)", value=(existing.sku or "") if existing else "")
        sku.mark("product-sku")
        price = ui.input("Price", value=str(existing.price) if existing else "").mark(
            "product-price"
        )
        price.props('inputmode=decimal placeholder="0.00"')
        fields: dict[str, Any] = {"name": name, "sku": sku, "price": price}
        if existing is None:
            stock = ui.number("Opening stock", value=0, min=0, step=1, precision=0)
            fields["stock"] = stock.mark("product-stock")
        form_fields(fields)

        @guarded
        async def save() -> None:
            for field in fields.values():
                field.error = None
            values: dict[str, Any] = {
                "name": name.value or "",
                "sku": sku.value or None,
                "price": (price.value or "").strip(),
            }
            if existing is None:
                raw = fields["stock"].value
                values["stock"] = 0 if raw is None else whole(raw)
                if values["stock"] is None:
                    fields["stock"].error = "Enter a whole number of units"
                    return
            await save_record(dialog, fields, crm.products, existing, values)

        form_buttons(dialog, save, marker="product-save")
    return await form_result(dialog, Product)


async def stock_form(crm: CRPM, product: Product, *, correction: bool) -> Product | None:
    """Restock (receive units) or correct the stock to a counted value."""
    heading = f"Correct the stock of {product.name}" if correction else f"Restock {product.name}"
    with form_dialog(heading) as dialog:
        ui.label(f"In stock now: {product.stock}").mark("stock-now")
        if correction:
            amount = ui.number("Counted stock", value=product.stock, min=0, step=1, precision=0)
        else:
            amount = ui.number("Units received", value=1, min=1, step=1, precision=0)
        amount.classes("w-full").props("outlined").mark("stock-amount")
        note = ui.input("Note (optional)").classes("w-full").props("outlined").mark("stock-note")
        fields: dict[str, Any] = {"quantity": amount, "stock": amount, "note": note}
        amount.on_value_change(lambda e: setattr(e.sender, "error", None))

        @guarded
        async def save() -> None:
            amount.error = None
            value = whole(amount.value)
            if value is None:
                amount.error = "Enter a whole number"
                return
            change = crm.products.set_stock if correction else crm.products.restock
            await save_or_mark(
                dialog,
                fields,
                lambda: change(product.id, value, note=note.value),
                catch=(errors.ValidationError,),
            )

        form_buttons(
            dialog,
            save,
            marker="stock-save",
            label="Save count" if correction else "Restock",
            icon="inventory",
        )
    return await form_result(dialog, Product)


class ProductsPage(RecordListPage[Product]):
    noun = "product"
    plural = "Products"
    search_label = "Search name or SKU"
    add_icon = "add_box"
    statuses = STATUS
    columns = COLUMNS
    detail_actions = (
        ("Restock", "add_shopping_cart", "restock"),
        ("Correct stock", "fact_check", "correct"),
        ("Edit", "edit", "edit"),
    )
    deactivated = "{name} is now inactive and cannot be sold"
    in_use = (
        "{name} has been sold and cannot be deleted. "
        "Deactivate the product instead: its sales stay in the reports."
    )

    def __init__(self, ctx: PageContext) -> None:
        super().__init__(ctx)
        self.table.table.add_slot("body-cell-stock", STOCK_SLOT)
        self.low_stock_default = 0  # the shop's, read before each load of the table

    @classmethod
    async def build(cls, ctx: PageContext) -> None:
        page = cls(ctx)
        await page.refresh_settings()
        await page.table.load()

    async def refresh_settings(self) -> None:
        self.low_stock_default = (await db(self.crm.settings.get)).low_stock_default

    @property
    def service(self) -> RecordService[Product]:
        return self.crm.products

    def to_row(self, record: Product) -> dict[str, Any]:
        return _row(record, self.low_stock_default)

    async def form(self, existing: Product | None = None) -> Product | None:
        return await product_form(self.crm, existing)

    def filters(self) -> dict[str, Any]:
        if self.status == "low":
            return {"active": True, "low": True}
        return {**super().filters(), "low": False}

    def added(self, saved: Product) -> str:
        return f"Added product {saved.name} ({saved.stock} in stock)"

    async def open(self, product_id: int) -> None:
        """The product's detail with its stock movements and the actions."""
        product = await db(self.crm.products.get, product_id)
        await self.refresh_settings()
        with self.detail_dialog(product) as dialog:
            with ui.row().classes("gap-x-6 gap-y-1 flex-wrap items-center"):
                ui.label(f"SKU: {product.sku or '-'}")
                ui.label(f"Price: {money(product.price)}")
                ui.label(f"In stock: {product.stock}").mark("detail-stock")
                if product.is_low(self.low_stock_default):
                    ui.badge("Low stock", color="negative").mark("detail-low")
                ui.label("Active" if product.active else "Inactive").mark("detail-status")
            movements: ServerTable[StockMovement] | None = None
            if self.ctx.may("reports.read"):  # the ledger is a report: not for a clerk
                ui.label("Stock movements").classes("text-subtitle1 font-medium").props(
                    'role="heading" aria-level="3"'
                )
                movements = ServerTable(
                    columns=MOVEMENT_COLUMNS,
                    fetch=lambda q: self.crm.reports.stock_movements(
                        product_id=product.id, offset=q.offset, limit=q.limit
                    ),
                    to_row=movement_row,
                    marker="movements-table",
                    label="Stock movements",
                    rows_per_page=5,
                )
                movements.table.props("dense")
        dialog.open()
        if movements is not None:
            await movements.load()
        await self.run_detail(dialog, product)

    async def act(self, product: Product, action: str) -> None:
        if action in ("restock", "correct"):
            before = product.stock
            saved = await stock_form(self.crm, product, correction=action == "correct")
            if saved is not None:
                change = saved.stock - before
                success(f"{saved.name}: stock {before} → {saved.stock} ({change:+d})")
                await self.table.load()
        else:
            await super().act(product, action)


module = Module(
    title="Products", icon="inventory_2", route="/products", build=ProductsPage.build, order=20
)
