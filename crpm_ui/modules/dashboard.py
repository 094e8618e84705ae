"""Dashboard: the shop at a glance (last 30 days) and what needs attention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from nicegui import ui

from crpm_core import CRPM
from crpm_ui import theme
from crpm_ui.context import PageContext
from crpm_ui.empty import calm_no_data
from crpm_ui.feedback import db
from crpm_ui.formatting import date, money, when
from crpm_ui.registry import Module
from crpm_ui.sales import ShopClock
from crpm_ui.widgets import tile

__all__ = ["DAYS", "module", "window"]

DAYS = 30
RECENT = 8
REORDER_LIST = "/insights?tab=reorder"
"""The reorder list on the Insights page."""


def window(now: datetime | None = None, zone: str = "UTC") -> tuple[datetime, datetime]:
    """The last ``DAYS`` days of the shop's time zone, today included: ``[start, end)``."""
    clock = ShopClock(zone)
    today = (now or datetime.now(UTC)).astimezone(clock.tz).date()
    start, end = clock.days(today - timedelta(days=DAYS - 1), today)
    assert start is not None and end is not None
    return start, end


def revenue_options(days: list[str], revenue: list[float]) -> dict[str, Any]:
    return {
        "grid": {"left": 56, "right": 16, "top": 24, "bottom": 32},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": days},
        "yAxis": {"type": "value", "name": "Revenue"},
        "series": [{"type": "line", "name": "Revenue", "data": revenue, "smooth": True}],
    }


async def build(ctx: PageContext) -> None:
    crm: CRPM = ctx.crm
    shop = await db(crm.settings.get)
    start, end = window(zone=shop.timezone)
    reports = ctx.may("reports.read")  # a clerk sees the shop, not its figures
    customers, products, low, recent = await asyncio.gather(
        db(crm.customers.list, limit=1),
        db(crm.products.list, limit=1),
        db(crm.products.list, low=True, order_by="stock", limit=RECENT),
        db(crm.purchases.list, start=start, limit=RECENT),  # a window keeps the count cheap
    )
    with ui.row().classes("w-full gap-3"):
        tiles = []
        if reports:
            summary = await db(crm.reports.sales_summary, start=start, end=end)
            tiles += [
                (f"Revenue, last {DAYS} days", money(summary.revenue), "payments", "tile-revenue"),
                (
                    f"Units sold, last {DAYS} days",
                    f"{summary.units_sold:,}",
                    "shopping_bag",
                    "tile-units",
                ),
            ]
        tiles += [
            ("Customers", f"{customers.total:,}", "people", "tile-customers"),
            ("Products", f"{products.total:,}", "inventory_2", "tile-products"),
        ]
        for label, value, icon, marker in tiles:
            tile(label, value, icon, marker=marker)
        # Products at or below their reorder point: a warning only when there are some; a
        # link to what to reorder (the Insights page) for those who may see it.
        with (
            ui.link(target=REORDER_LIST if reports else "/products")
            .style("display: flex; flex: 1 1 150px; min-width: 150px; color: inherit")
            .classes("no-underline")
            .mark("low-stock-link")
        ):
            tile(
                "Low on stock",
                f"{low.total:,}",
                "warning" if low.total else "check_circle",
                marker="tile-low-stock",
            )

    if reports:
        trend = await db(crm.reports.sales_over_time, bucket="day", start=start, end=end)
        with ui.card().classes("w-full").props("flat bordered"):
            ui.label(f"Revenue per day, last {DAYS} days ({shop.timezone})").classes(
                "text-h6"
            ).props('role="heading" aria-level="2"')
            theme.chart(
                ctx,
                revenue_options(
                    [date(p.period_start)[5:] for p in trend], [float(p.revenue) for p in trend]
                ),
                label=f"Revenue per day over the last {DAYS} days",
            ).mark("revenue-trend")

    with ui.element("div").classes("grid gap-4 w-full grid-cols-1 lg:grid-cols-2"):
        with ui.card().classes("w-full min-w-0").props("flat bordered"):
            ui.label("Recent purchases").classes("text-h6").props('role="heading" aria-level="2"')
            recent_table = (
                ui.table(
                    columns=[
                        {"name": "at", "label": "Date (UTC)", "field": "at", "align": "left"},
                        {
                            "name": "customer",
                            "label": "Customer",
                            "field": "customer",
                            "align": "left",
                        },
                        {
                            "name": "product",
                            "label": "Product",
                            "field": "product",
                            "align": "left",
                        },
                        {"name": "total", "label": "Total", "field": "total", "align": "right"},
                    ],
                    rows=[
                        {
                            "id": line.purchase_id,
                            "at": when(line.purchased_at),
                            "customer": line.customer_name,
                            "product": line.product_name,
                            "total": money(line.total) + (" (cancelled)" if line.cancelled else ""),
                        }
                        for line in recent
                    ],
                )
                .classes("crpm-table")
                .props('flat dense no-data-label="No purchases yet" aria-label="Recent purchases"')
                .mark("recent-purchases")
            )
            calm_no_data(recent_table, "info")
            ui.link("All purchases", "/purchases")
        with ui.card().classes("w-full min-w-0").props("flat bordered"):
            ui.label("Low on stock").classes("text-h6").props('role="heading" aria-level="2"')
            low_table = (
                ui.table(
                    columns=[
                        {"name": "name", "label": "Product", "field": "name", "align": "left"},
                        {"name": "sku", "label": "SKU", "field": "sku", "align": "left"},
                        {"name": "stock", "label": "Stock", "field": "stock", "align": "right"},
                    ],
                    rows=[
                        {"id": p.id, "name": p.name, "sku": p.sku or "", "stock": p.stock}
                        for p in low
                    ],
                )
                .classes("crpm-table")
                .props(
                    'flat dense no-data-label="Every product is well stocked" '
                    'aria-label="Low on stock"'
                )
                .mark("low-stock")
            )
            calm_no_data(low_table, "check_circle")
            with ui.row().classes("gap-4"):
                if reports:
                    ui.link(
                        f"What to reorder ({low.total:,} at or below their reorder point)",
                        REORDER_LIST,
                    ).mark("reorder-link")
                ui.link("All products", "/products")


module = Module(title="Dashboard", icon="dashboard", route="/", build=build, order=0)
