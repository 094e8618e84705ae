"""Insights: whom to call (customers in RFM segments) and what to buy (the reorder list).

The segments come from one ``crm.reports.rfm()`` per visit (the database scores every
customer); the page keeps that list on the server and sends the browser one page of one
segment at a time. The reorder list is ``crm.reports.reorder_suggestions()``, most urgent
first, paged the same way; a manager changes a product's reorder point from its row. Both
download as CSV over HTTP (:mod:`crpm_ui.downloads`), computed afresh for the logged-in user.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from nicegui import events, ui

from crpm_core import CRPM, CustomerSegment, Page, Product, ReorderSuggestion, errors
from crpm_core.domain import intelligence
from crpm_ui import downloads, theme
from crpm_ui.context import PageContext
from crpm_ui.empty import calm_no_data
from crpm_ui.feedback import db, field_error, guarded, report, success
from crpm_ui.formatting import money
from crpm_ui.registry import Module
from crpm_ui.widgets import Query, ServerTable, form_buttons, form_dialog, form_result, whole

__all__ = ["HINTS", "REORDER_WINDOWS", "module", "segment_options"]

T = TypeVar("T")

HINTS: dict[str, str] = {
    "Champions": "bought lately, often and the most — thank them, ask for a review",
    "Can't Lose Them": "were among the best, not seen for long — win them back now",
    "Loyal Customers": "buy often and spend well — reward their loyalty",
    "New Customers": "first bought just now — welcome them",
    "Promising": "bought lately, once and a little — invite them back",
    "Needs Attention": "middling on every count — a timely offer helps",
    "Potential Loyalist": "bought lately, not yet much — suggest more",
    "At Risk": "bought often, not lately — reach out",
    "About To Sleep": "bought a little, a while ago — remind them",
    "Lost": "bought once, little, long ago — lowest priority",
    "Hibernating": "bought seldom, long ago — a seasonal offer may wake them",
    "Others": "fit none of the patterns above",
}
"""A short, plain-language hint per segment of the contract's table."""

REORDER_WINDOWS: dict[int, str] = {7: "7 days", 30: "30 days", 90: "90 days"}
"""The sales windows the reorder list measures its pace over."""

SEGMENT_COLUMNS: list[dict[str, Any]] = [
    {"name": "segment", "label": "Segment", "field": "segment", "align": "left"},
    {"name": "customers", "label": "Customers", "field": "customers", "align": "right"},
    {"name": "revenue", "label": "Revenue", "field": "revenue", "align": "right"},
    {"name": "hint", "label": "What it means", "field": "hint", "align": "left"},
]
CUSTOMER_COLUMNS: list[dict[str, Any]] = [
    {"name": "name", "label": "Customer", "field": "name", "align": "left", "sortable": True},
    {
        "name": "recency_days",
        "label": "Days since last order",
        "field": "recency_days",
        "align": "right",
        "sortable": True,
    },
    {
        "name": "frequency",
        "label": "Orders",
        "field": "frequency",
        "align": "right",
        "sortable": True,
    },
    {"name": "monetary", "label": "Spent", "field": "monetary", "align": "right", "sortable": True},
    {"name": "scores", "label": "R F M", "field": "scores", "align": "center"},
]
REORDER_COLUMNS: list[dict[str, Any]] = [
    {"name": "name", "label": "Product", "field": "name", "align": "left"},
    {"name": "stock", "label": "Stock", "field": "stock", "align": "right"},
    {"name": "velocity", "label": "Sold per day", "field": "velocity", "align": "right"},
    {"name": "cover", "label": "Days of cover", "field": "cover", "align": "right"},
    {"name": "point", "label": "Reorder point", "field": "point", "align": "right"},
    {"name": "suggested", "label": "Suggested order", "field": "suggested", "align": "right"},
]
_SORT_KEYS: dict[str, Callable[[CustomerSegment], Any]] = {
    "name": lambda c: (c.name.casefold(), c.customer_id),
    "recency_days": lambda c: (c.recency_days, c.customer_id),
    "frequency": lambda c: (c.frequency, c.customer_id),
    "monetary": lambda c: (c.monetary, c.customer_id),
}


def segment_options(rows: Sequence[tuple[str, int, Decimal]]) -> dict[str, Any]:
    """A horizontal bar chart of each segment's customers and revenue, in the table's
    order; ``rows`` are ``(segment, customers, revenue)``."""
    names = [name for name, _, _ in rows]
    options: dict[str, Any] = {
        "grid": {"left": 8, "right": 24, "top": 84, "bottom": 32, "containLabel": True},
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["Customers", "Revenue"], "top": 0},
        "xAxis": [
            {
                "type": "value",
                "name": "Customers",
                "position": "bottom",
                "nameLocation": "middle",
                "nameGap": 28,
            },
            {
                "type": "value",
                "name": "Revenue",
                "position": "top",
                "nameLocation": "middle",
                "nameGap": 28,
                "splitLine": {"show": False},
                # a phone has room for a few amounts: the ones that would overlap are left out
                "axisLabel": {"hideOverlap": True},
                "splitNumber": 3,
            },
        ],
        "yAxis": {
            "type": "category",
            "inverse": True,
            "data": names,
            "axisLabel": {"width": 120, "overflow": "truncate"},
        },
        "series": [
            {"type": "bar", "name": "Customers", "data": [n for _, n, _ in rows]},
            {
                "type": "bar",
                "name": "Revenue",
                "xAxisIndex": 1,
                "data": [float(r) for _, _, r in rows],
            },
        ],
    }
    if not any(n for _, n, _ in rows):
        options["title"] = {
            "text": "No customers with sales yet",
            "left": "center",
            "top": "middle",
            "textStyle": {"fontSize": 14, "fontWeight": "normal"},
        }
    return options


def summarise(customers: Sequence[CustomerSegment]) -> list[tuple[str, int, Decimal]]:
    """``(segment, customers, revenue)`` for every segment of the table, in its order, from
    one :meth:`crm.reports.rfm` result (what ``crm.reports.rfm_segments`` gives, without
    scoring every customer a second time)."""
    counts = dict.fromkeys(intelligence.SEGMENT_NAMES, 0)
    revenue = dict.fromkeys(intelligence.SEGMENT_NAMES, Decimal("0.00"))
    for c in customers:
        counts[c.segment] += 1
        revenue[c.segment] += c.monetary
    return [(name, counts[name], revenue[name]) for name in intelligence.SEGMENT_NAMES]


def decimal_text(value: Fraction, places: int) -> str:
    """An exact fraction rounded half-even to ``places`` decimals, for people."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{exact.quantize(Decimal(1).scaleb(-places)):,}"


def _page_of(items: Sequence[T], q: Query) -> Page[T]:
    return Page(
        items=list(items[q.offset : q.offset + q.limit]),
        total=len(items),
        offset=q.offset,
        limit=q.limit,
    )


class SegmentsPanel:
    """The segments chart and table, and the customers of the chosen segment."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.customers: list[CustomerSegment] = []
        self.segment = intelligence.SEGMENT_NAMES[0]

        with ui.card().classes("w-full min-w-0").props("flat bordered"):
            _heading("Customers by segment")
            ui.label(
                "Every customer who bought something is scored 1 (worst) to 5 (best) on how "
                "lately (R), how often (F) and how much (M) they bought, against the other "
                "customers, and put in a segment. The table under the chart gives the same "
                "figures."
            ).classes("crpm-muted text-body2")
            self.chart = theme.chart(
                ctx,
                segment_options(summarise([])),
                label="Customers and revenue per segment (the same figures are in the table below)",
            ).mark("chart-segments")
            self.chart.style("height: 420px")  # twelve segments, two bars each
            self.table = (
                ui.table(columns=SEGMENT_COLUMNS, rows=[], row_key="segment")
                .classes("crpm-table")
                .props(
                    'flat dense hide-pagination :pagination="{rowsPerPage: 0}" '
                    'aria-label="Customers and revenue per segment" '
                    'no-data-label="No customers with sales yet"'
                )
                .mark("segments-table")
            )
            calm_no_data(self.table)

        with ui.card().classes("w-full min-w-0").props("flat bordered"):
            with ui.row().classes("w-full items-center justify-between gap-2"):
                _heading("Customers of a segment")
                self.download = (
                    ui.button("CSV", icon="download", on_click=self._download)
                    .props('outline dense aria-label="Download the segment\'s customers as CSV"')
                    .mark("csv-segment")
                )
            self.select = (
                ui.select(
                    {name: name for name in intelligence.SEGMENT_NAMES},
                    value=self.segment,
                    label="Segment",
                    on_change=self._on_segment,
                )
                .props("outlined dense")
                .classes("w-72 max-w-full")
                .mark("segment-select")
            )
            self.hint = ui.label("").classes("text-body1").mark("segment-hint")
            self.members: ServerTable[CustomerSegment] = ServerTable(
                columns=CUSTOMER_COLUMNS,
                fetch=self._fetch,
                to_row=_customer_row,
                marker="segment-customers",
                label="Customers of the segment",
                sort_by="monetary",
                descending=True,
                row_key="id",
            )
            self.members.table.props("dense no-data-label='No customers in this segment'")
            calm_no_data(self.members.table)

    async def load(self) -> None:
        self.customers = await db(self.ctx.crm.reports.rfm)
        summary = summarise(self.customers)
        theme.set_chart_data(self.ctx, self.chart, segment_options(summary))
        self.table.rows = [
            {
                "segment": name,
                "customers": f"{count:,}",
                "revenue": money(revenue),
                "hint": f"{name}: {HINTS[name]}",
            }
            for name, count, revenue in summary
        ]
        self.select.options = {name: f"{name} ({count:,})" for name, count, _ in summary}
        busy = [name for name, count, _ in summary if count]
        if busy and self.segment not in busy:
            self.segment = busy[0]
        self.select.value = self.segment
        self.select.update()
        await self._show()

    @guarded
    async def _on_segment(self, e: events.ValueChangeEventArguments[Any]) -> None:
        if e.value in HINTS and e.value != self.segment:
            self.segment = str(e.value)
            await self._show()

    async def _show(self) -> None:
        self.hint.text = f"{self.segment}: {HINTS[self.segment]}"
        await self.members.load(page=1)

    def _fetch(self, q: Query) -> Page[CustomerSegment]:
        chosen = [c for c in self.customers if c.segment == self.segment]
        key = _SORT_KEYS.get(q.order_by or "", _SORT_KEYS["monetary"])
        chosen.sort(key=key, reverse=q.descending)
        return _page_of(chosen, q)

    @guarded
    async def _download(self) -> None:
        ui.download.from_url(
            downloads.customer_segments_url(self.segment),
            downloads.customer_segments_name(self.segment),
            "text/csv",
        )


def _customer_row(c: CustomerSegment) -> dict[str, Any]:
    return {
        "id": c.customer_id,
        "name": c.name,
        "recency_days": f"{c.recency_days:,}",
        "frequency": f"{c.frequency:,}",
        "monetary": money(c.monetary),
        "scores": f"{c.r} {c.f} {c.m}",
    }


class ReorderPanel:
    """The reorder list, most urgent first, with each product's reorder point."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.days = 30
        self.rows: list[ReorderSuggestion] = []
        self.editable = ctx.may("products.update")

        with ui.card().classes("w-full min-w-0").props("flat bordered"):
            with ui.row().classes("w-full items-center justify-between gap-2"):
                _heading("What to reorder")
                ui.button("CSV", icon="download", on_click=self._download).props(
                    'outline dense aria-label="Download the reorder list as CSV"'
                ).mark("csv-reorder")
            with ui.row().classes("items-center gap-3"):
                ui.label("Sales pace over the last").classes("text-body2")
                ui.toggle(REORDER_WINDOWS, value=self.days, on_change=self._on_days).props(
                    'aria-label="Sales pace over the last"'
                ).mark("reorder-days")
            ui.label(
                "Days of cover: how long the stock lasts at the pace of that window. "
                "Suggested order: enough for as many days again, and to stay above the "
                "reorder point (the product's own, or the shop's low-stock default). "
                "Products that sold nothing come last."
            ).classes("crpm-muted text-body2")
            self.summary = ui.label("").classes("text-body1").mark("reorder-summary")
            self.list: ServerTable[ReorderSuggestion] = ServerTable(
                columns=REORDER_COLUMNS,
                fetch=self._fetch,
                to_row=_reorder_row,
                marker="reorder-table",
                label="What to reorder",
                rows_per_page=25,
            )
            self.list.table.props("dense no-data-label='No active products'")
            calm_no_data(self.list.table)
            if self.editable:
                self.list.table.add_slot(
                    "body-cell-point",
                    '<q-td key="point" :props="props">'
                    '<q-btn flat dense no-caps color="primary" icon-right="edit"'
                    ' :label="props.row.point"'
                    " :aria-label=\"'Change the reorder point of ' + props.row.name\""
                    " @click=\"() => $parent.$emit('edit_point', props.row.id)\" />"
                    "</q-td>",
                )
                self.list.table.on("edit_point", self._on_edit)

    async def load(self) -> None:
        self.rows = await db(self.ctx.crm.reports.reorder_suggestions, days=self.days)
        low = sum(1 for r in self.rows if r.stock <= r.reorder_point)
        self.summary.text = (
            f"{low:,} of {len(self.rows):,} active products at or below their reorder point"
        )
        await self.list.load()

    @guarded
    async def _on_days(self, e: events.ValueChangeEventArguments[Any]) -> None:
        if e.value in REORDER_WINDOWS and e.value != self.days:
            self.days = int(e.value)
            await self.load()

    def _fetch(self, q: Query) -> Page[ReorderSuggestion]:
        return _page_of(self.rows, q)

    @guarded
    async def _on_edit(self, e: events.GenericEventArguments) -> None:
        product_id = e.args if isinstance(e.args, int) else None
        if product_id is None:
            return
        crm: CRPM = self.ctx.crm
        product = await db(crm.products.get, product_id)
        default = (await db(crm.settings.get)).low_stock_default
        saved = await edit_reorder_point(crm, product, default)
        if saved is not None:
            point = saved.reorder_point
            success(
                f"{saved.name}: reorder point "
                + (f"{point:,}" if point is not None else f"the shop's default ({default:,})")
            )
            await self.load()

    @guarded
    async def _download(self) -> None:
        ui.download.from_url(
            downloads.reorder_url(self.days), downloads.reorder_name(self.days), "text/csv"
        )


def _reorder_row(r: ReorderSuggestion) -> dict[str, Any]:
    low = r.stock <= r.reorder_point
    return {
        "id": r.product_id,
        "name": r.name,
        "stock": f"{r.stock:,}" + (" (low)" if low else ""),
        "velocity": decimal_text(r.daily_velocity, 2),
        "cover": "no sales" if r.days_of_cover is None else decimal_text(r.days_of_cover, 1),
        "point": f"{r.reorder_point:,}",
        "suggested": f"{r.suggested_quantity:,}",
    }


async def edit_reorder_point(crm: CRPM, product: Product, default: int) -> Product | None:
    """A dialog for ``product``'s reorder point; empty means the shop's default."""
    with form_dialog(f"Reorder point of {product.name}") as dialog:
        field = (
            ui.number(
                "Reorder point",
                value=product.reorder_point,
                step=1,  # no min or precision: -3 or 1.5 is refused, never quietly changed
                placeholder=f"Shop default: {default:,}",
            )
            .classes("w-full")
            .props("outlined")
            .mark("reorder-point")
        )
        field.on_value_change(lambda: setattr(field, "error", None))
        ui.label(
            f"Low on stock at or below this many units. Leave it empty for the shop's "
            f"default ({default:,})."
        ).classes("crpm-muted text-body2")

        async def save() -> None:
            raw = field.value
            value = None if raw is None or raw == "" else whole(raw)
            if raw not in (None, "") and value is None:
                field.error = "Use a whole number of units"
                return
            try:
                saved = await db(crm.products.update, product.id, reorder_point=value)
            except errors.ValidationError as exc:
                if not field_error(exc, {"reorder_point": field}):
                    report(exc)
                return
            dialog.submit(saved)

        field.on("keydown.enter", save)
        form_buttons(dialog, save, marker="reorder-point-save")
    return await form_result(dialog, Product)


def _heading(text: str) -> None:
    ui.label(text).classes("text-h6").props('role="heading" aria-level="2"')


def _wanted_tab() -> str:
    """``segments`` or ``reorder``: the tab a link asked for (the dashboard links to
    ``/insights?tab=reorder``)."""
    request = ui.context.client.request
    asked = request.query_params.get("tab") if request is not None else None
    return "reorder" if asked == "reorder" else "segments"


async def build(ctx: PageContext) -> None:
    with ui.tabs().classes("w-full").props('align="left"').mark("insights-tabs") as tabs:
        segments_tab = ui.tab("segments", label="Customer segments", icon="groups")
        reorder_tab = ui.tab("reorder", label="Reorder", icon="local_shipping")
    wanted = _wanted_tab()
    with (
        ui.tab_panels(tabs, value=wanted)
        .classes("w-full")
        .props("keep-alive")
        .mark("insights-panels")
    ):
        with ui.tab_panel(segments_tab).classes("p-0 gap-4"):
            segments = SegmentsPanel(ctx)
        with ui.tab_panel(reorder_tab).classes("p-0 gap-4"):
            reorder = ReorderPanel(ctx)
    await reorder.load()
    await segments.load()


module = Module(
    title="Insights",
    icon="lightbulb",
    route="/insights",
    build=build,
    order=45,
    permission="reports.read",
)
