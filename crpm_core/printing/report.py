"""Sales reports as PDF: a title with the shop's name and the period, a bar chart, a table.

The figures are the library's reports (``crm.reports.*``), passed in as they are; this module
only draws them, in the shop's currency and time zone. Charts are plain fpdf2 rectangles,
each bar labelled with its name and its amount::

    pdf = report.render("products", crm.reports.product_performance(), settings=crm.settings.get())
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from crpm_core.domain import (
    CustomerRanking,
    PeriodSales,
    ProductPerformance,
    SalesSummary,
    Settings,
)
from crpm_core.printing._document import (
    BODY,
    FAMILY,
    SMALL,
    Document,
    finish,
    fit,
    local_date_or_time,
    money,
)

KINDS = ("summary", "top-customers", "products", "over-time")
TITLES = {
    "summary": "Sales summary",
    "top-customers": "Top customers",
    "products": "Product performance",
    "over-time": "Sales over time",
}
CHART_ROWS = 10  # bars in a best or least sellers chart
BAR = (52, 101, 164)
LEAST = (204, 121, 48)


def render(
    kind: str,
    result: SalesSummary | Sequence[Any],
    *,
    settings: Settings,
    start: datetime | None = None,
    end: datetime | None = None,
    bucket: str = "day",
    limit: int | None = None,
) -> bytes:
    """The report ``kind`` (one of :data:`KINDS`) as PDF bytes.

    ``result`` is what the library's report returned: a ``SalesSummary`` or the list of
    ``CustomerRanking``, ``ProductPerformance`` (every product: the best and least sellers
    are drawn from it; ``limit`` shortens only the table) or ``PeriodSales`` rows.
    ``start``/``end`` are the period asked for (shown in the title; ``None`` is open)."""
    if kind not in KINDS:
        raise ValueError(f"unknown report {kind!r}; one of {', '.join(KINDS)}")
    if isinstance(result, SalesSummary):
        start, end = result.start, result.end
    pdf = Document(f"{settings.shop_name}: {TITLES[kind]}")
    pdf.line_of_text(settings.shop_name, size=18, bold=True)
    heading = TITLES[kind] + (f", by {bucket}" if kind == "over-time" else "")
    pdf.line_of_text(heading, size=13, bold=True)
    pdf.line_of_text(_period(start, end, settings.timezone), size=BODY)
    pdf.line_of_text(
        f"Money in {settings.currency}, net of returns and cancellations; "
        f"times in {settings.timezone}.",
        size=SMALL,
    )
    pdf.ln(4)
    cur = settings.currency
    if isinstance(result, SalesSummary):
        _summary(pdf, result, cur)
    elif kind == "top-customers":
        _top_customers(pdf, list(result), cur)
    elif kind == "products":
        _products(pdf, list(result), cur, limit)
    else:
        _over_time(pdf, list(result), cur, bucket, settings.timezone)
    return finish(pdf)


def _period(start: datetime | None, end: datetime | None, zone: str) -> str:
    if start is None and end is None:
        return "Period: all time"
    since = "the beginning" if start is None else local_date_or_time(start, zone)
    until = "now" if end is None else f"{local_date_or_time(end, zone)} (exclusive)"
    return f"Period: {since} to {until}"


# The reports ------------------------------------------------------------------------------


def _summary(pdf: Document, s: SalesSummary, cur: str) -> None:
    sold = s.units_sold
    _hbars(
        pdf,
        "Units sold and returned",
        [
            ("sold (net)", Decimal(sold), f"{sold:,}"),
            ("returned", Decimal(s.returned_units), f"{s.returned_units:,}"),
        ],
    )
    figures = [
        ("Revenue", money(s.revenue, cur)),
        ("Orders", f"{s.order_count:,}"),
        ("Purchase lines", f"{s.purchase_count:,}"),
        ("Units sold", f"{s.units_sold:,}"),
        ("Units returned", f"{s.returned_units:,}"),
        ("Buyers", f"{s.buyer_count:,}"),
        ("Average order value", money(s.average_order_value, cur)),
        ("Cancelled lines", f"{s.cancelled_count:,}"),
        ("Units restocked", f"{s.restocked_units:,}"),
        ("Stock on hand (units, now)", f"{s.stock_units:,}"),
        ("Stock value (now)", money(s.stock_value, cur)),
    ]
    pdf.grid(["Figure", "Value"], [list(f) for f in figures], [90.0, 60.0], right={1})


def _top_customers(pdf: Document, rows: list[CustomerRanking], cur: str) -> None:
    if not rows:
        _nothing(pdf)
        return
    _hbars(pdf, "Revenue by customer", [(r.name, r.revenue, money(r.revenue, cur)) for r in rows])
    header = ["#", "Customer", "Email", "Orders", "Units", "Revenue"]
    widths = [10.0, 50.0, 52.0, 18.0, 18.0, 32.0]
    cells = [
        [
            str(r.rank),
            r.name,
            r.email,
            f"{r.order_count:,}",
            f"{r.units:,}",
            money(r.revenue, cur),
        ]
        for r in rows
    ]
    pdf.grid(header, cells, _stretch(pdf, widths, 2), right={0, 3, 4, 5})


def _products(pdf: Document, rows: list[ProductPerformance], cur: str, limit: int | None) -> None:
    if not rows:
        _nothing(pdf)
        return
    # The report's own order: units sold, then revenue (rank 1 the best seller).
    best = rows[:CHART_ROWS]
    _hbars(pdf, "Best sellers (units sold)", [_units_bar(p, cur) for p in best])
    least = rows[::-1][:CHART_ROWS]
    _hbars(
        pdf,
        "Least sellers (units sold, fewest first)",
        [_units_bar(p, cur) for p in least],
        color=LEAST,
    )
    shown = rows if limit is None else rows[:limit]
    header = ["#", "Product", "SKU", "Units", "Lines", "Revenue", "Stock"]
    widths = [10.0, 58.0, 28.0, 18.0, 16.0, 32.0, 18.0]
    cells = [
        [
            str(p.rank),
            p.name + ("" if p.active else " (inactive)"),
            p.sku or "",
            f"{p.units_sold:,}",
            f"{p.purchase_count:,}",
            money(p.revenue, cur),
            f"{p.stock:,}",
        ]
        for p in shown
    ]
    pdf.room_for(20)
    if limit is not None and limit < len(rows):
        pdf.line_of_text(f"The first {limit:,} of {len(rows):,} products", size=SMALL)
    pdf.grid(header, cells, _stretch(pdf, widths, 1), right={0, 3, 4, 5, 6})


def _units_bar(p: ProductPerformance, cur: str) -> tuple[str, Decimal, str]:
    return (p.name, Decimal(p.units_sold), f"{p.units_sold:,} · {money(p.revenue, cur)}")


def _over_time(pdf: Document, rows: list[PeriodSales], cur: str, bucket: str, zone: str) -> None:
    if not rows:
        _nothing(pdf)
        return
    labels = [_period_label(r.period_start, bucket, zone) for r in rows]
    _vbars(pdf, "Revenue per " + bucket, labels, [r.revenue for r in rows], cur)
    header = [bucket.capitalize() + " starting", "Revenue", "Units", "Lines"]
    cells = [
        [label, money(r.revenue, cur), f"{r.units_sold:,}", f"{r.purchase_count:,}"]
        for label, r in zip(labels, rows, strict=True)
    ]
    pdf.grid(header, cells, [50.0, 40.0, 25.0, 25.0], right={1, 2, 3})


def _period_label(moment: datetime, bucket: str, zone: str) -> str:
    """The first day of a period (its month for months). A period starts at local midnight
    in the shop's zone; a start that is not (buckets cut in UTC) is read as it is given."""
    here = moment.astimezone(ZoneInfo(zone))
    midnight = (here.hour, here.minute, here.second, here.microsecond) == (0, 0, 0, 0)
    day = (here if midnight else moment).date()
    return f"{day:%Y-%m}" if bucket == "month" else day.isoformat()


def _nothing(pdf: Document) -> None:
    pdf.line_of_text("(nothing in this period)")


def _stretch(pdf: Document, widths: list[float], column: int) -> list[float]:
    """``widths`` with ``column`` widened (or narrowed) so the table spans the page."""
    out = list(widths)
    out[column] += pdf.width - sum(widths)
    return out


# Charts -----------------------------------------------------------------------------------


def _hbars(
    pdf: Document,
    title: str,
    bars: Sequence[tuple[str, Decimal, str]],
    *,
    color: tuple[int, int, int] = BAR,
) -> None:
    """Horizontal bars, one per ``(label, value, value as text)``, longest for the largest."""
    row, label_w, value_w = 5.5, 55.0, 40.0
    area = pdf.width - label_w - value_w
    pdf.room_for(8 + row * min(len(bars), 3))
    pdf.line_of_text(title, bold=True)
    pdf.ln(1)
    top = max((max(value, Decimal(0)) for _, value, _ in bars), default=Decimal(0))
    pdf.set_font(FAMILY, size=SMALL)
    for label, value, text in bars:
        pdf.room_for(row)
        y = pdf.get_y()
        pdf.cell(label_w, row, fit(pdf, label, label_w), align="R")
        length = float(area * float(max(value, Decimal(0)) / top)) if top > 0 else 0.0
        if length > 0:
            pdf.set_fill_color(*color)
            pdf.rect(pdf.l_margin + label_w, y + 1, max(length, 0.3), row - 2, style="F")
        pdf.set_xy(pdf.l_margin + label_w + length + 1, y)
        pdf.cell(value_w, row, text)
        pdf.set_xy(pdf.l_margin, y + row)
    pdf.set_font(FAMILY, size=BODY)
    pdf.ln(4)


def _vbars(
    pdf: Document, title: str, labels: Sequence[str], values: Sequence[Decimal], cur: str
) -> None:
    """Vertical bars over time on a scale of 0, half and the highest amount; below them the
    first period and evenly spaced ones after it, as many as fit."""
    height, axis_w = 60.0, 30.0
    pdf.room_for(height + 22)
    pdf.line_of_text(title, bold=True)
    pdf.ln(2)
    top = max((max(v, Decimal(0)) for v in values), default=Decimal(0))
    x0 = pdf.l_margin + axis_w
    area = pdf.width - axis_w
    y0 = pdf.get_y() + height  # the base line
    slot = area / len(values)
    pdf.set_font(FAMILY, size=SMALL)
    pdf.set_draw_color(150)
    for fraction in (0.0, 0.5, 1.0):  # the scale: 0, half and the highest amount
        y = y0 - height * fraction
        pdf.line(x0 - 1, y, x0 + area, y)
        pdf.set_xy(pdf.l_margin, y - 2.5)
        pdf.cell(axis_w - 2, 5, money(top * Decimal(str(fraction)), cur), align="R")
    pdf.set_draw_color(0)
    pdf.set_fill_color(*BAR)
    for i, value in enumerate(values):
        h = float(height * float(max(value, Decimal(0)) / top)) if top > 0 else 0.0
        if h > 0:
            pdf.rect(x0 + i * slot + slot * 0.1, y0 - h, max(slot * 0.8, 0.2), h, style="F")
    label_w = max(pdf.get_string_width(label) for label in labels) + 3
    step = max(1, math.ceil(label_w / slot))  # every step-th period has room for its label
    for i in range(0, len(labels), step):
        centre = x0 + (i + 0.5) * slot
        left = min(max(centre - label_w / 2, x0 - 2), x0 + area - label_w)
        pdf.set_xy(left, y0 + 1)
        pdf.cell(label_w, 5, labels[i], align="C")
    pdf.set_xy(pdf.l_margin, y0 + 8)
    pdf.set_font(FAMILY, size=BODY)
    pdf.ln(4)
