"""A plugin page for crpm_ui: the products to reorder (the example of docs/plugins.md)."""

from nicegui import ui

from crpm_ui.context import PageContext
from crpm_ui.feedback import db
from crpm_ui.registry import Module


async def build(ctx: PageContext) -> None:
    low = await db(ctx.crm.products.list, low_stock=5, active=True)  # off the event loop
    ui.label(f"To reorder: {low.total}")
    for product in low.items:
        ui.label(f"{product.name}: {product.stock} left")


module = Module(title="Suppliers", icon="local_shipping", route="/suppliers", build=build, order=35)
