"""Analytics: revenue, units and purchases over a date range; charts of revenue over time,
top customers and best- and least-selling products; stock levels and stock updates; CSV."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from nicegui import ui

from crpm_core import CRPM, Page, StockMovement
from crpm_core.domain import Bucket, CustomerRanking, PeriodSales, ProductPerformance
from crpm_core.tabular import csv_bytes
from crpm_ui import downloads, theme
from crpm_ui.context import PageContext
from crpm_ui.empty import calm_no_data
from crpm_ui.feedback import db, guarded
from crpm_ui.formatting import money
from crpm_ui.registry import Module
from crpm_ui.rows import movement_row
from crpm_ui.sales import ShopClock
from crpm_ui.widgets import Query, ServerTable, tile

__all__ = ["MAX_EXPORT_ROWS", "module"]

TOP = 10
MAX_EXPORT_ROWS = 200_000
"""Above this many stock updates the browser download is refused (the CLI streams any size)."""
BUCKETS: dict[str, str] = {"day": "Day", "week": "Week", "month": "Month"}
MAX_POINTS = 400
"""The most bars the over-time chart draws: a longer range is grouped by a longer bucket
(a day per bar up to 400 days, a week per bar up to about 7 years, else a month)."""
NO_SALES = "No sales in this range"

CUSTOMER_COLUMNS: list[dict[str, Any]] = [
    {"name": "rank", "label": "#", "field": "rank", "align": "right"},
    {"name": "name", "label": "Customer", "field": "name", "align": "left"},
    {"name": "email", "label": "Email", "field": "email", "align": "left"},
    {"name": "purchases", "label": "Purchases", "field": "purchases", "align": "right"},
    {"name": "units", "label": "Units", "field": "units", "align": "right"},
    {"name": "revenue", "label": "Revenue", "field": "revenue", "align": "right"},
]
STOCK_COLUMNS: list[dict[str, Any]] = [
    {"name": "name", "label": "Product", "field": "name", "align": "left", "sortable": True},
    {"name": "sku", "label": "SKU", "field": "sku", "align": "left", "sortable": True},
    {"name": "stock", "label": "Stock", "field": "stock", "align": "right", "sortable": True},
    {"name": "units", "label": "Units sold", "field": "units", "align": "right", "sortable": True},
    {"name": "revenue", "label": "Revenue", "field": "revenue", "align": "right"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
]
MOVEMENT_COLUMNS: list[dict[str, Any]] = [
    {"name": "at", "label": "When", "field": "at", "align": "left"},
    {"name": "product", "label": "Product", "field": "product", "align": "left"},
    {"name": "kind", "label": "Kind", "field": "kind", "align": "left"},
    {"name": "change", "label": "Change", "field": "change", "align": "right"},
    {"name": "stock_after", "label": "Stock after", "field": "stock_after", "align": "right"},
    {"name": "note", "label": "Note", "field": "note", "align": "left"},
]


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last 30 days, today included."""
    last = today or datetime.now(UTC).date()
    return last - timedelta(days=29), last


def to_range(first: date, last: date, zone: str = "UTC") -> tuple[datetime, datetime]:
    """Whole days ``first``..``last`` of the shop's time zone as ``[start, end)``."""
    start, end = ShopClock(zone).days(first, last)
    assert start is not None and end is not None
    return start, end


_BUCKET_DAYS: dict[str, int] = {"day": 1, "week": 7, "month": 31}


def points(first: date, last: date, bucket: str) -> int:
    """About how many bars ``first``..``last`` (whole days) makes when grouped by ``bucket``
    (an upper bound: one more for a period cut at each end)."""
    return ((last - first).days + 1) // _BUCKET_DAYS[bucket] + 2


def fitting_bucket(first: date, last: date, bucket: str) -> str:
    """``bucket``, or the shortest longer one whose chart keeps to :data:`MAX_POINTS`."""
    order = list(BUCKETS)
    for choice in order[order.index(bucket) :]:
        if points(first, last, choice) <= MAX_POINTS:
            return choice
    return "month"


def next_start(at: datetime, bucket: str) -> datetime:
    """The start of the period after the one starting at ``at``."""
    if bucket == "day":
        return at + timedelta(days=1)
    if bucket == "week":
        return at + timedelta(days=7)
    return (at.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_label(at: datetime, bucket: str, bounds: tuple[datetime, datetime] | None = None) -> str:
    """``2026-10`` for a month, ``2026-10-26`` for a day or the Monday of a week, with
    " (partial)" when the range ``bounds`` (``[start, end)``) covers only part of it."""
    text = at.strftime("%Y-%m") if bucket == "month" else at.strftime("%Y-%m-%d")
    if bounds is not None and bucket != "day":
        start, end = bounds
        if at < start or next_start(at, bucket) > end:
            text += " (partial)"
    return text


def no_data(options: dict[str, Any], message: str = NO_SALES) -> dict[str, Any]:
    """``options`` with ``message`` written across the empty chart."""
    return {
        **options,
        "title": {
            "text": message,
            "left": "center",
            "top": "middle",
            "textStyle": {"fontSize": 14, "fontWeight": "normal"},
        },
    }


def over_time_options(
    series: list[PeriodSales], bucket: str, bounds: tuple[datetime, datetime] | None = None
) -> dict[str, Any]:
    options = {
        "grid": {"left": 8, "right": 8, "top": 56, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["Revenue", "Units"], "top": 0},
        "xAxis": {
            "type": "category",
            "data": [period_label(p.period_start, bucket, bounds) for p in series],
        },
        "yAxis": [{"type": "value", "name": "Revenue"}, {"type": "value", "name": "Units"}],
        "series": [
            {"type": "bar", "name": "Revenue", "data": [float(p.revenue) for p in series]},
            {
                "type": "line",
                "name": "Units",
                "yAxisIndex": 1,
                "data": [p.units_sold for p in series],
            },
        ],
    }
    if not any(p.units_sold or p.revenue for p in series):
        return no_data(options)
    return options


def ranking_options(names: Sequence[str], values: Sequence[float], axis: str) -> dict[str, Any]:
    """A horizontal bar chart, the first name on top; with no names, it says there were no
    sales."""
    options = {
        "grid": {"left": 8, "right": 24, "top": 24, "bottom": 24, "containLabel": True},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "value"},
        "yAxis": {
            "type": "category",
            "inverse": True,
            "data": names,
            "axisLabel": {"width": 120, "overflow": "truncate"},
        },
        "series": [{"type": "bar", "name": axis, "data": values}],
    }
    return options if names else no_data(options)


def best_and_least(
    performance: Sequence[ProductPerformance],
) -> tuple[list[ProductPerformance], list[ProductPerformance]]:
    """The best-selling products (those that sold, most units first) and the least-selling
    (fewest first, those that sold nothing included), :data:`TOP` of each; both empty when
    nothing sold in the range, so no product is ranked at 0 units among no sales."""
    if not any(p.units_sold for p in performance):
        return [], []
    best = [p for p in performance if p.units_sold > 0][:TOP]
    least = list(reversed(performance[-TOP:]))
    return best, least


def _customer_row(r: CustomerRanking) -> dict[str, Any]:
    return {
        "id": r.customer_id,
        "rank": r.rank,
        "name": r.name,
        "email": r.email,
        "purchases": r.purchase_count,
        "units": r.units,
        "revenue": money(r.revenue),
    }


def _stock_row(p: ProductPerformance, low_ids: set[int]) -> dict[str, Any]:
    low = p.product_id in low_ids
    return {
        "id": p.product_id,
        "name": p.name,
        "sku": p.sku or "",
        "stock": p.stock,
        "units": p.units_sold,
        "revenue": money(p.revenue),
        "status": ("Low stock" if low else "Active") if p.active else "Inactive",
    }


class AnalyticsPage:
    def __init__(self, ctx: PageContext, zone: str = "UTC") -> None:
        self.ctx = ctx
        self.crm: CRPM = ctx.crm
        self.clock = ShopClock(zone)
        first, last = default_range(self.clock.today())
        self.first, self.last = first, last
        self.bucket: Bucket = "day"
        self._chart_asked = 0
        self._data_asked = 0
        self.customers: list[CustomerRanking] = []
        self.performance: list[ProductPerformance] = []
        self.product_names: dict[int, str] = {}

        with ui.row().classes("w-full items-start gap-3"):
            self.from_input = ui.input("From", value=first.isoformat()).mark("range-from")
            self.to_input = ui.input("To (inclusive)", value=last.isoformat()).mark("range-to")
            for field in (self.from_input, self.to_input):
                field.props("outlined dense type=date stack-label debounce=400").classes("w-44")
                field.without_auto_validation().on_value_change(self._on_range)
            self.bucket_toggle = (
                ui.toggle(BUCKETS, value="day", on_change=self._on_bucket)
                .props('aria-label="Group by"')
                .mark("bucket")
            )
        self.range_hint = ui.label("").classes("crpm-muted text-body2").mark("range-hint")
        self._show_hint()

        with ui.row().classes("w-full gap-3"):
            self.revenue = tile("Revenue", "0.00", "payments", marker="a-revenue")
            self.units = tile("Units sold", "0", "shopping_bag", marker="a-units")
            self.purchases = tile("Purchases", "0", "receipt_long", marker="a-purchases")
            self.average = tile("Average order", "0.00", "functions", marker="a-average")

        with ui.card().classes("w-full min-w-0").props("flat bordered"):
            self._heading(f"Revenue over time ({self.clock.zone})")
            self.over_time = theme.chart(
                ctx, over_time_options([], "day"), label="Revenue and units over time"
            ).mark("chart-over-time")
        with ui.element("div").classes("grid gap-4 w-full grid-cols-1 lg:grid-cols-3"):
            specs = (
                ("Top customers by revenue", "chart-top-customers"),
                ("Best-selling products (units)", "chart-best"),
                ("Least-selling products (units)", "chart-least"),
            )
            charts = []
            for heading, marker in specs:
                with ui.card().classes("w-full min-w-0").props("flat bordered"):
                    self._heading(heading)
                    charts.append(
                        theme.chart(ctx, ranking_options([], [], "Units"), label=heading).mark(
                            marker
                        )
                    )
            self.top_chart, self.best_chart, self.least_chart = charts

        with ui.card().classes("w-full min-w-0").props("flat bordered"):
            self._table_heading("Top customers", self.download_customers, "csv-customers")
            self.customer_table = (
                ui.table(columns=CUSTOMER_COLUMNS, rows=[], pagination=10)
                .classes("crpm-table")
                .mark("top-customers-table")
            )
            self.customer_table.props(
                f'flat dense aria-label="Top customers" no-data-label="{NO_SALES}"'
            )
            calm_no_data(self.customer_table, "info")
        with ui.card().classes("w-full min-w-0").props("flat bordered"):
            self._table_heading("Stock levels", self.download_stock, "csv-stock")
            self.stock_table = (
                ui.table(
                    columns=STOCK_COLUMNS,
                    rows=[],
                    pagination={"rowsPerPage": 10, "sortBy": "stock", "descending": False},
                )
                .classes("crpm-table")
                .mark("stock-table")
            )
            self.stock_table.props(
                'flat dense aria-label="Stock levels" no-data-label="No products yet"'
            )
            calm_no_data(self.stock_table, "info")
        with ui.card().classes("w-full min-w-0").props("flat bordered"):
            self._table_heading("Stock updates", self.download_movements, "csv-movements")
            self.movement_table: ServerTable[StockMovement] = ServerTable(
                columns=[
                    {**c, "label": f"When ({self.clock.zone})"} if c["name"] == "at" else c
                    for c in MOVEMENT_COLUMNS
                ],
                fetch=self._fetch_movements,
                to_row=self._movement_row,
                marker="movements-table",
                label="Stock updates",
            )
            self.movement_table.table.props("dense")

    @staticmethod
    def _heading(text: str) -> None:
        ui.label(text).classes("text-h6").props('role="heading" aria-level="2"')

    def _table_heading(self, text: str, download: Any, marker: str) -> None:
        with ui.row().classes("w-full items-center justify-between gap-2"):
            self._heading(text)
            ui.button("CSV", icon="download", on_click=download).props(
                f'outline dense aria-label="Download {text.lower()} as CSV"'
            ).mark(marker)

    def _show_hint(self) -> None:
        """Say what From and To mean, and the same range on the command line, whose
        ``--end`` is exclusive (the day after To)."""
        start, end = self.range()
        shown = (
            (self.first.isoformat(), (self.last + timedelta(days=1)).isoformat())
            if self.clock.zone == "UTC"
            else (start.isoformat(timespec="minutes"), end.isoformat(timespec="minutes"))
        )
        self.range_hint.text = (
            f"From and To are whole days in the shop's time zone ({self.clock.zone}), both "
            "included. On the command line, whose --end is the start of the day after: "
            f"--start {shown[0]} --end {shown[1]}"
        )

    # -- data --------------------------------------------------------------------------------

    def range(self) -> tuple[datetime, datetime]:
        return to_range(self.first, self.last, self.clock.zone)

    def _fit_bucket(self) -> None:
        """Group a long range by a longer bucket, so no request draws (or builds) more than
        :data:`MAX_POINTS` bars, and tell the user."""
        fitted = fitting_bucket(self.first, self.last, self.bucket)
        if fitted != self.bucket:
            wanted = self.bucket
            self.bucket = cast(Bucket, fitted)
            self.bucket_toggle.set_value(fitted)  # its handler sees the bucket unchanged
            ui.notify(
                f"Grouped by {fitted}: a {wanted} per bar would make "
                f"{points(self.first, self.last, wanted):,} bars",
                type="info",
            )

    @guarded
    async def _on_range(self) -> None:
        fields = ((self.from_input, "first"), (self.to_input, "last"))
        parsed: dict[str, date] = {}
        for field, key in fields:
            field.error = None
            try:
                parsed[key] = date.fromisoformat(str(field.value or "").strip())
            except ValueError:
                field.error = "Use a date like 2025-01-31"
                return
        if parsed["last"] < parsed["first"]:
            self.to_input.error = "Must not be before the start"
            return
        if not date(2, 1, 1) <= parsed["first"] <= parsed["last"] <= date(9999, 12, 29):
            self.from_input.error = "Choose a date between the years 2 and 9999"
            return
        if (parsed["last"] - parsed["first"]).days > downloads.MAX_RANGE_DAYS:
            self.to_input.error = f"Choose at most {downloads.MAX_RANGE_DAYS:,} days"
            return
        self.first, self.last = parsed["first"], parsed["last"]
        self._show_hint()
        self._fit_bucket()
        await self.refresh()

    @guarded
    async def _on_bucket(self, e: Any) -> None:
        if e.value in BUCKETS and e.value != self.bucket:
            self.bucket = e.value
            self._fit_bucket()
            await self.refresh(only_over_time=True)

    async def refresh(self, *, only_over_time: bool = False) -> None:
        start, end = self.range()
        bucket = self.bucket
        crm = self.crm
        # Answers may come back out of order (a new range or bucket while one loads): each
        # part of the page shows only the answer to the latest question asked of it.
        self._chart_asked += 1
        chart_asked = self._chart_asked
        if only_over_time:
            series = await db(crm.reports.sales_over_time, bucket=bucket, start=start, end=end)
            if chart_asked == self._chart_asked:
                theme.set_chart_data(
                    self.ctx, self.over_time, over_time_options(series, bucket, (start, end))
                )
            return
        self._data_asked += 1
        data_asked = self._data_asked
        summary, series, customers, performance, low = await asyncio.gather(
            db(crm.reports.sales_summary, start=start, end=end),
            db(crm.reports.sales_over_time, bucket=bucket, start=start, end=end),
            db(crm.reports.top_customers, limit=TOP, start=start, end=end),
            db(crm.reports.product_performance, start=start, end=end),
            db(crm.products.low_stock),
        )
        if chart_asked == self._chart_asked:
            theme.set_chart_data(
                self.ctx, self.over_time, over_time_options(series, bucket, (start, end))
            )
        if data_asked != self._data_asked:
            return
        low_ids = {p.id for p in low}
        self.customers, self.performance = customers, performance
        self.product_names = {p.product_id: p.name for p in performance}
        self.revenue.text = money(summary.revenue)
        self.units.text = f"{summary.units_sold:,}"
        self.purchases.text = f"{summary.purchase_count:,}"
        self.average.text = money(summary.average_order_value)
        theme.set_chart_data(
            self.ctx,
            self.top_chart,
            ranking_options(
                [c.name for c in customers], [float(c.revenue) for c in customers], "Revenue"
            ),
        )
        best, least = best_and_least(performance)
        theme.set_chart_data(
            self.ctx,
            self.best_chart,
            ranking_options([p.name for p in best], [p.units_sold for p in best], "Units"),
        )
        theme.set_chart_data(
            self.ctx,
            self.least_chart,
            ranking_options([p.name for p in least], [p.units_sold for p in least], "Units"),
        )
        self.customer_table.rows = [_customer_row(c) for c in customers]
        self.stock_table.rows = [_stock_row(p, low_ids) for p in performance]
        await self.movement_table.load(page=1)

    def _fetch_movements(self, q: Query) -> Page[StockMovement]:
        start, end = self.range()
        return self.crm.reports.stock_movements(
            start=start, end=end, offset=q.offset, limit=q.limit
        )

    def _movement_row(self, m: StockMovement) -> dict[str, Any]:
        row = movement_row(m, self.clock.zone)
        row["product"] = self.product_names.get(m.product_id, f"#{m.product_id}")
        return row

    # -- CSV ---------------------------------------------------------------------------------

    def _file_name(self, what: str) -> str:
        return f"crpm-{what}-{self.first.isoformat()}-to-{self.last.isoformat()}.csv"

    @guarded
    async def download_customers(self) -> None:
        data = csv_bytes(
            ["rank", "name", "email", "purchases", "units", "revenue"],
            (
                [c.rank, c.name, c.email, c.purchase_count, c.units, c.revenue]
                for c in self.customers
            ),
        )
        ui.download.content(data, self._file_name("top-customers"), "text/csv")

    @guarded
    async def download_stock(self) -> None:
        data = csv_bytes(
            ["sku", "name", "stock", "units_sold", "revenue", "active"],
            (
                [p.sku, p.name, p.stock, p.units_sold, p.revenue, p.active]
                for p in sorted(self.performance, key=lambda p: (p.stock, p.name))
            ),
        )
        ui.download.content(data, self._file_name("stock-levels"), "text/csv")

    @guarded
    async def download_movements(self) -> None:
        """The stock updates of the range: a download over HTTP (behind the login), written
        by crpm_core's export as the logged-in user (see :mod:`crpm_ui.downloads`)."""
        start, end = self.range()
        total = (await db(self.crm.reports.stock_movements, start=start, end=end, limit=1)).total
        if total > MAX_EXPORT_ROWS:
            ui.notify(
                f"{total:,} stock updates are too many for a browser download; choose a "
                "shorter range, or use the command line: crpm export movements FILE.csv",
                type="warning",
                multi_line=True,
            )
            return
        ui.download.from_url(
            downloads.stock_updates_url(self.first, self.last),
            self._file_name("stock-updates"),
            "text/csv",
        )


async def build(ctx: PageContext) -> None:
    shop = await db(ctx.crm.settings.get)
    page = AnalyticsPage(ctx, shop.timezone)
    await page.refresh()


module = Module(
    title="Analytics",
    icon="insights",
    route="/analytics",
    build=build,
    order=40,
    permission="reports.read",
)
