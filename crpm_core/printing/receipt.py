"""A receipt for one order as a PDF: what ``crm.orders.receipt_pdf`` and ``crpm receipt`` give.

It shows the shop's name, the order number (``Order.id``, and the shop's own ``ref`` when it
has one), the time it was placed in the shop's time zone, the customer, each line (product,
quantity, units returned, unit price, line total net of returns), the total in the shop's
currency, the note, and CANCELLED in large letters when the order is cancelled.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from crpm_core.domain import Order
from crpm_core.persistence.tables import customers, products
from crpm_core.printing._document import (
    BODY,
    FAMILY,
    SMALL,
    Document,
    finish,
    local_time,
    money,
)
from crpm_core.services.settings import current_settings


def render(conn: Connection, order: Order) -> bytes:
    """The receipt of ``order`` as PDF bytes, read with the shop's settings on ``conn``."""
    shop = current_settings(conn)
    buyer = conn.execute(
        select(customers.c.name, customers.c.email).where(customers.c.id == order.customer_id)
    ).first()
    ids = sorted({line.product_id for line in order.lines})
    names = {
        int(r.id): str(r.name)
        for r in conn.execute(select(products.c.id, products.c.name).where(products.c.id.in_(ids)))
    }
    number = f"Order {order.id}" + (f" (ref {order.ref})" if order.ref else "")
    pdf = Document(f"{shop.shop_name}: receipt, order {order.id}", created=order.placed_at)

    pdf.line_of_text(shop.shop_name, size=18, bold=True)
    pdf.line_of_text("Receipt", size=12)
    pdf.ln(3)
    pdf.line_of_text(number, bold=True)
    pdf.line_of_text(f"Date: {local_time(order.placed_at, shop.timezone)}")
    if buyer is None:  # pragma: no cover - a customer with orders cannot be deleted
        pdf.line_of_text(f"Customer: {order.customer_id}")
    else:
        pdf.line_of_text(f"Customer: {buyer.name}")
        pdf.line_of_text(f"Email: {buyer.email}", size=SMALL)
    if order.cancelled_at is not None:
        pdf.ln(2)
        pdf.set_text_color(170, 0, 0)
        pdf.line_of_text("CANCELLED", size=16, bold=True)
        pdf.line_of_text(f"on {local_time(order.cancelled_at, shop.timezone)}", size=SMALL)
        pdf.set_text_color(0)
    pdf.ln(4)

    returns = any(line.returned_quantity for line in order.lines)
    header = ["Product", "Qty", *(["Returned"] if returns else []), "Unit price", "Total"]
    qty_w, ret_w, price_w, total_w = 16.0, 22.0 if returns else 0.0, 30.0, 32.0
    name_w = pdf.width - qty_w - ret_w - price_w - total_w
    widths = [name_w, qty_w, *([ret_w] if returns else []), price_w, total_w]
    rows = []
    for line in order.lines:
        name = names.get(line.product_id, f"product {line.product_id}")
        if line.cancelled and order.cancelled_at is None:
            name += " (cancelled)"
        rows.append(
            [
                name,
                str(line.quantity),
                *([str(line.returned_quantity or "")] if returns else []),
                money(line.unit_price, shop.currency),
                money(line.total, shop.currency),
            ]
        )
    right = set(range(1, len(header)))
    pdf.grid(header, rows, widths, right=right, wrap_column=0)

    pdf.room_for(12)
    top = pdf.get_y() + 1
    pdf.line(pdf.l_margin, top, pdf.l_margin + pdf.width, top)
    pdf.set_y(top + 1)
    pdf.set_font(FAMILY, "B", BODY + 2)
    pdf.cell(pdf.width - total_w, 8, "Total", align="R")
    pdf.cell(total_w, 8, money(order.total, shop.currency), align="R")
    pdf.ln(10)
    if returns:
        pdf.paragraph("Line totals and the total are net of the units returned.", size=SMALL)
    if order.note:
        pdf.ln(2)
        pdf.paragraph(f"Note: {order.note}")
    return finish(pdf)
