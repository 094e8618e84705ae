"""Products: a searchable, sortable, server-side paged list with a low-stock marker; add,
edit, restock, stock correction, (de)activate, delete, and each product's stock movements."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from crpm_core import CRPM, Page, Product, StockMovement, errors
from crpm_ui.context import PageContext
from crpm_ui.feedback import db, field_error, guarded, report, success
from crpm_ui.formatting import money, when
from crpm_ui.registry import Module
from crpm_ui.widgets import Query, ServerTable, confirm, name_button_slot, run_dialog

__all__ = ["LOW_STOCK", "module"]

LOW_STOCK = 5
"""A product with this many units or fewer is low on stock."""

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
]

STOCK_SLOT = """
<q-td key="stock" :props="props">
  {{ props.row.stock }}
  <q-badge v-if="props.row.low" color="negative" text-color="white" class="q-ml-sm"
           label="Low stock" />
</q-td>
"""


def _row(p: Product) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "sku": p.sku or "",
        "price": money(p.price),
        "stock": p.stock,
        "low": p.active and p.stock <= LOW_STOCK,
        "status": "Active" if p.active else "Inactive",
    }


def movement_row(m: StockMovement) -> dict[str, Any]:
    return {
        "id": m.id,
        "at": when(m.at),
        "kind": m.kind.capitalize(),
        "change": f"{m.change:+d}",
        "stock_after": m.stock_after,
        "note": m.note or "",
    }


def whole(value: object) -> int | None:
    """A number field's value as crpm_core wants it (an ``int``), or ``None`` if it is not
    a whole number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value)


async def product_form(crm: CRPM, existing: Product | None = None) -> Product | None:
    """The add or edit dialog; returns the saved product, or ``None`` if cancelled."""
    heading = "Edit product" if existing else "Add product"
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        dialog.props["aria-label"] = heading
        ui.label(heading).classes("text-h6").props('role="heading" aria-level="2"')
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
        for field in fields.values():
            field.classes("w-full").props("outlined")
            field.on_value_change(lambda e: setattr(e.sender, "error", None))

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
            try:
                if existing is None:
                    saved = await db(crm.products.add, **values)
                else:
                    saved = await db(crm.products.update, existing.id, **values)
            except (errors.ValidationError, errors.Conflict) as exc:
                if not field_error(exc, fields):
                    report(exc)
                return
            dialog.submit(saved)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat")
            ui.button("Save", icon="save", on_click=save).mark("product-save")
    result = await run_dialog(dialog)
    return result if isinstance(result, Product) else None


async def stock_form(crm: CRPM, product: Product, *, correction: bool) -> Product | None:
    """Restock (receive units) or correct the stock to a counted value."""
    heading = f"Correct the stock of {product.name}" if correction else f"Restock {product.name}"
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        dialog.props["aria-label"] = heading
        ui.label(heading).classes("text-h6").props('role="heading" aria-level="2"')
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
            try:
                if correction:
                    saved = await db(crm.products.set_stock, product.id, value, note=note.value)
                else:
                    saved = await db(crm.products.restock, product.id, value, note=note.value)
            except errors.ValidationError as exc:
                if not field_error(exc, fields):
                    report(exc)
                return
            dialog.submit(saved)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat")
            ui.button(
                "Save count" if correction else "Restock", icon="inventory", on_click=save
            ).mark("stock-save")
    result = await run_dialog(dialog)
    return result if isinstance(result, Product) else None


class ProductsPage:
    def __init__(self, ctx: PageContext) -> None:
        self.crm = ctx.crm
        self.status = "all"
        with ui.row().classes("w-full items-center gap-2"):
            search = ui.input("Search name or SKU").props(
                "outlined dense clearable debounce=300 type=search"
            )
            search.classes("grow min-w-0").mark("product-search")
            search.on_value_change(guarded(lambda e: self.table.set_search(e.value)))
            ui.select(STATUS, value="all", label="Show", on_change=self._on_status).props(
                "outlined dense"
            ).classes("min-w-[10rem]").mark("product-status")
            ui.button("Add product", icon="add_box", on_click=self.add).mark("add-product")
        self.table: ServerTable[Product] = ServerTable(
            columns=COLUMNS,
            fetch=self._fetch,
            to_row=_row,
            marker="products-table",
            label="Products",
            sort_by="name",
        )
        self.table.table.add_slot(
            "body-cell-name", name_button_slot("name", "open", label_field="name", prefix="Open")
        )
        self.table.table.add_slot("body-cell-stock", STOCK_SLOT)
        self.table.table.on("open", guarded(lambda e: self.open(int(e.args))))

    def _fetch(self, q: Query) -> Page[Product]:
        active = {"all": None, "active": True, "inactive": False, "low": True}[self.status]
        return self.crm.products.list(
            search=q.search,
            active=active,
            low_stock=LOW_STOCK if self.status == "low" else None,
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
        saved = await product_form(self.crm)
        if saved is not None:
            success(f"Added product {saved.name} ({saved.stock} in stock)")
            await self.table.load()

    async def open(self, product_id: int) -> None:
        """The product's detail with its stock movements and the actions."""
        product = await db(self.crm.products.get, product_id)
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-3xl"):
            dialog.props["aria-label"] = f"Product {product.name}"
            ui.label(product.name).classes("text-h6").props('role="heading" aria-level="2"').mark(
                "detail-name"
            )
            with ui.row().classes("gap-x-6 gap-y-1 flex-wrap items-center"):
                ui.label(f"SKU: {product.sku or '-'}")
                ui.label(f"Price: {money(product.price)}")
                ui.label(f"In stock: {product.stock}").mark("detail-stock")
                if product.active and product.stock <= LOW_STOCK:
                    ui.badge("Low stock", color="negative").mark("detail-low")
                ui.label("Active" if product.active else "Inactive").mark("detail-status")
            ui.label("Stock movements").classes("text-subtitle1 font-medium").props(
                'role="heading" aria-level="3"'
            )
            movements: ServerTable[StockMovement] = ServerTable(
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
            with ui.row().classes("w-full justify-end gap-2 flex-wrap"):
                for label, icon, action in (
                    ("Restock", "add_shopping_cart", "restock"),
                    ("Correct stock", "fact_check", "correct"),
                    ("Edit", "edit", "edit"),
                ):
                    ui.button(label, icon=icon, on_click=lambda a=action: dialog.submit(a)).mark(
                        f"product-{action}"
                    )
                if product.active:
                    ui.button(
                        "Deactivate", icon="block", on_click=lambda: dialog.submit("deactivate")
                    ).props("outline").mark("product-deactivate")
                else:
                    ui.button(
                        "Reactivate",
                        icon="check_circle",
                        on_click=lambda: dialog.submit("reactivate"),
                    ).props("outline").mark("product-reactivate")
                ui.button(
                    "Delete",
                    icon="delete",
                    color="negative",
                    on_click=lambda: dialog.submit("delete"),
                ).mark("product-delete")
                ui.button("Close", on_click=lambda: dialog.submit(None)).props("flat")
        dialog.open()
        await movements.load()
        action = await run_dialog(dialog)
        if action is not None:
            await self._act(product, str(action))

    async def _act(self, product: Product, action: str) -> None:
        if action in ("restock", "correct"):
            before = product.stock
            saved = await stock_form(self.crm, product, correction=action == "correct")
            if saved is not None:
                change = saved.stock - before
                success(f"{saved.name}: stock {before} → {saved.stock} ({change:+d})")
                await self.table.load()
        elif action == "edit":
            edited = await product_form(self.crm, product)
            if edited is not None:
                success(f"Saved product {edited.name}")
                await self.table.load()
        elif action == "deactivate":
            await db(self.crm.products.deactivate, product.id)
            success(f"{product.name} is now inactive and cannot be sold")
            await self.table.load()
        elif action == "reactivate":
            await db(self.crm.products.reactivate, product.id)
            success(f"{product.name} is active again")
            await self.table.load()
        elif action == "delete":
            if not await confirm(
                f"Delete the product {product.name} for good?", ok="Delete", marker="confirm-delete"
            ):
                return
            try:
                await db(self.crm.products.delete, product.id)
            except errors.Conflict:
                ui.notify(
                    f"{product.name} has been sold and cannot be deleted. "
                    "Deactivate the product instead: its sales stay in the reports.",
                    type="negative",
                    multi_line=True,
                )
                return
            success(f"Deleted product {product.name}")
            await self.table.load()


async def build(ctx: PageContext) -> None:
    page = ProductsPage(ctx)
    await page.table.load()


module = Module(title="Products", icon="inventory_2", route="/products", build=build, order=20)
