"""A product's own page, ``/products/{id}``: details with its stock badge, the reorder point
(editable), units sold and revenue, sales over time (a small chart), every stock movement
(paged on the server, all of them reachable), restock, stock correction, edit, deactivate or
reactivate, and delete (a product that has been sold is offered Deactivate instead)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from nicegui import ui

from crpm_core import PeriodSales, Product, StockMovement, errors
from crpm_ui import theme
from crpm_ui.context import PageContext
from crpm_ui.feedback import db, field_error, guarded, report, success
from crpm_ui.formatting import ShopFormat
from crpm_ui.records import (
    WHOLE,
    delete_or_deactivate,
    page_record_id,
    product_form,
    record_missing,
    stock_badge,
    stock_form,
)
from crpm_ui.registry import Module
from crpm_ui.rows import movement_row
from crpm_ui.widgets import PHONE_CARDS, ServerTable, tile, whole_text

__all__ = ["module"]

SALES_WEEKS = 26
"""The sales chart covers the last half year, week by week."""


def movement_columns(fmt: ShopFormat) -> list[dict[str, Any]]:
    return [
        {"name": "at", "label": fmt.label("When"), "field": "at", "align": "left"},
        {"name": "kind", "label": "Kind", "field": "kind", "align": "left"},
        {"name": "change", "label": "Change", "field": "change", "align": "right"},
        {"name": "stock_after", "label": "Stock after", "field": "stock_after", "align": "right"},
        {"name": "note", "label": "Note", "field": "note", "align": "left"},
        {"name": "actor", "label": "By", "field": "actor", "align": "left"},
    ]


def sales_chart_options(periods: list[PeriodSales], fmt: ShopFormat) -> dict[str, Any]:
    return {
        "grid": {"left": 48, "right": 16, "top": 24, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "xAxis": {
            "type": "category",
            "data": [f"{fmt.local(p.period_start):%Y-%m-%d}" for p in periods],
            "name": f"Week from ({fmt.timezone})",
            "nameLocation": "middle",
            "nameGap": 28,
        },
        "yAxis": {"type": "value", "name": "Units", "minInterval": 1},
        "series": [
            {
                "name": "Units sold",
                "type": "bar",
                "data": [p.units_sold for p in periods],
                "itemStyle": {"color": "#1565c0"},
            }
        ],
    }


class ProductPage:
    def __init__(
        self, ctx: PageContext, product: Product, fmt: ShopFormat, low_stock_default: int
    ) -> None:
        self.ctx = ctx
        self.crm = ctx.crm
        self.product = product
        self.fmt = fmt
        self.low_stock_default = low_stock_default
        self.reports = ctx.may("reports.read")
        ui.link("← All products", "/products").mark("back-to-products")
        self.summary()
        if self.reports:
            self.totals = ui.row().classes("w-full gap-3 flex-wrap")
            ui.label("Sales over time").classes("text-subtitle1 font-medium").props(
                'role="heading" aria-level="3"'
            )
            self.chart_box = ui.column().classes("w-full")
            ui.label("Stock movements").classes("text-subtitle1 font-medium").props(
                'role="heading" aria-level="3"'
            )
            self.movements: ServerTable[StockMovement] = ServerTable(
                columns=movement_columns(fmt),
                fetch=lambda q: self.crm.reports.stock_movements(
                    product_id=product.id, offset=q.offset, limit=q.limit
                ),
                to_row=self.movement,
                marker="movements-table",
                label=f"Stock movements of {product.name}",
            )
            self.movements.table.props(f'dense {PHONE_CARDS} no-data-label="No stock movements"')

    def movement(self, m: StockMovement) -> dict[str, Any]:
        return {**movement_row(m), "at": self.fmt.when(m.at)}

    @ui.refreshable_method
    def summary(self) -> None:
        p = self.product
        ui.page_title(f"{p.name} · Product · CRPM")
        with ui.row().classes("items-center gap-3 flex-wrap"):
            ui.label(p.name).classes("text-h6").props('role="heading" aria-level="2"').mark(
                "record-name"
            )
            ui.badge(
                "Active" if p.active else "Inactive", color="positive" if p.active else "secondary"
            ).mark("record-status")
            badge = stock_badge(p, self.low_stock_default)
            if badge is not None:
                ui.badge(badge[0], color=badge[1]).mark("stock-badge")
        with ui.row().classes("gap-x-6 gap-y-1 flex-wrap items-center"):
            ui.label(f"SKU: {p.sku or '-'}").mark("record-sku")
            ui.label(f"Price: {self.fmt.money(p.price)}").mark("record-price")
            ui.label(f"In stock: {p.stock:,}").mark("record-stock")
            ui.label(f"Added {self.fmt.date(p.created_at)}")
        self.reorder_form()
        with ui.row().classes("gap-2 flex-wrap"):
            actions = (
                ("Restock", "add_shopping_cart", "products.restock", self.restock),
                ("Correct stock", "fact_check", "products.set_stock", self.correct),
                ("Edit", "edit", "products.update", self.edit),
            )
            for label, icon, permission, handler in actions:
                if self.ctx.may(permission):
                    marker = "product-" + label.split()[0].lower()
                    ui.button(label, icon=icon, on_click=handler).props("outline").mark(marker)
            if p.active and self.ctx.may("products.deactivate"):
                ui.button("Deactivate", icon="block", on_click=self.deactivate).props(
                    "outline"
                ).mark("product-deactivate")
            elif not p.active and self.ctx.may("products.reactivate"):
                ui.button("Reactivate", icon="check_circle", on_click=self.reactivate).props(
                    "outline"
                ).mark("product-reactivate")
            if self.ctx.may("products.delete"):
                ui.button("Delete", icon="delete", color="negative", on_click=self.delete).mark(
                    "product-delete"
                )

    def reorder_form(self) -> None:
        """The reorder point, editable in place (empty: the shop's low-stock default)."""
        p = self.product
        shop = f"the shop's default, {self.low_stock_default}"
        own = p.reorder_point
        if not self.ctx.may("products.update"):
            ui.label(f"Reorder point: {shop if own is None else own}").mark("reorder-point")
            return
        with ui.row().classes("items-start gap-2 flex-wrap"):
            field = ui.input(
                "Reorder point", value="" if own is None else str(own), placeholder=shop
            ).props(f'outlined dense inputmode=numeric hint="Empty: {shop}"')
            field.classes("min-w-[14rem]").mark("reorder-point")
            field.on_value_change(lambda e: setattr(e.sender, "error", None))

            @guarded
            async def save() -> None:
                field.error = None
                typed = str(field.value or "").strip()
                point = None if not typed else whole_text(typed)
                if typed and point is None:
                    field.error = WHOLE
                    return
                try:
                    saved = await db(self.crm.products.update, p.id, reorder_point=point)
                except errors.ValidationError as exc:
                    if not field_error(exc, {"reorder_point": field}):
                        report(exc)
                    return
                success(
                    f"{saved.name}: reorder point "
                    + (str(saved.reorder_point) if saved.reorder_point is not None else shop)
                )
                await self._redraw(saved)

            field.on("keydown.enter", save)
            ui.button("Save", icon="save", on_click=save).props("outline").mark("reorder-save")

    async def load(self) -> None:
        if not self.reports:
            return
        await self.show_figures()
        await self.movements.load()

    async def show_figures(self) -> None:
        pid = self.product.id
        s = await db(self.crm.reports.sales_summary, product_id=pid)
        self.totals.clear()
        with self.totals:
            tile("Units sold", f"{s.units_sold:,}", "shopping_bag", marker="units-sold")
            tile("Revenue", self.fmt.money(s.revenue), "payments", marker="revenue")
            tile("Units returned", f"{s.returned_units:,}", "undo", marker="units-returned")
        start = datetime.now(self.fmt.zone) - timedelta(weeks=SALES_WEEKS)
        start = start.replace(hour=0, minute=0, second=0, microsecond=0)
        periods = await db(
            self.crm.reports.sales_over_time, bucket="week", start=start, product_id=pid
        )
        self.chart_box.clear()
        with self.chart_box:
            if not any(p.units_sold for p in periods):
                ui.label(f"No sales in the last {SALES_WEEKS} weeks.").mark("no-sales")
                return
            theme.chart(
                self.ctx,
                sales_chart_options(periods, self.fmt),
                label=f"Units of {self.product.name} sold per week, last {SALES_WEEKS} weeks",
            ).style("height: 240px").mark("sales-chart")

    async def _redraw(self, product: Product) -> None:
        self.product = product
        self.summary.refresh()
        if self.reports:
            await self.show_figures()
            await self.movements.load(page=1)

    @guarded
    async def restock(self) -> None:
        await self._stock(correction=False)

    @guarded
    async def correct(self) -> None:
        await self._stock(correction=True)

    async def _stock(self, *, correction: bool) -> None:
        before = self.product.stock
        saved = await stock_form(self.crm, self.product, correction=correction)
        if saved is not None:
            change = saved.stock - before
            success(f"{saved.name}: stock {before} → {saved.stock} ({change:+d})")
            await self._redraw(saved)

    @guarded
    async def edit(self) -> None:
        saved = await product_form(self.crm, self.product, low_stock_default=self.low_stock_default)
        if saved is not None:
            success(f"Saved product {saved.name}")
            await self._redraw(saved)

    @guarded
    async def deactivate(self) -> None:
        saved = await db(self.crm.products.deactivate, self.product.id)
        success(f"{saved.name} is now inactive and cannot be sold")
        await self._redraw(saved)

    @guarded
    async def reactivate(self) -> None:
        saved = await db(self.crm.products.reactivate, self.product.id)
        success(f"{saved.name} is active again")
        await self._redraw(saved)

    @guarded
    async def delete(self) -> None:
        p = self.product
        sold = (await db(self.crm.purchases.list, product_id=p.id, limit=1)).total
        may_deactivate = p.active and self.ctx.may("products.deactivate")
        done = await delete_or_deactivate(
            noun="product",
            record=p,
            history=sold,
            delete=lambda: self.crm.products.delete(p.id),
            deactivate=(lambda: self.crm.products.deactivate(p.id)) if may_deactivate else None,
        )
        if done == "deleted":
            ui.navigate.to("/products")
        elif done == "deactivated":
            await self._redraw(await db(self.crm.products.get, p.id))


async def build(ctx: PageContext) -> None:
    product_id = page_record_id("product_id")
    product = await record_missing(ctx.crm.products.get, product_id, noun="product")
    if product is None:
        return
    settings = await db(ctx.crm.settings.get)
    page = ProductPage(ctx, product, ShopFormat.of(settings), settings.low_stock_default)
    await page.load()


module = Module(
    title="Product",
    icon="inventory",
    route="/products/{product_id}",
    build=build,
    order=21,
)
