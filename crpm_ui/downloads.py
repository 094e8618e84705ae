"""Downloads the browser fetches over HTTP (behind the login gate, like every route): the
stock updates of a date range as CSV, written by crpm_core's export as the logged-in user
(a role that may not export gets 403)."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from urllib.parse import urlencode

import attrs
from nicegui import app, run
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from crpm_core import CRPM, CustomerSegment, ReorderSuggestion, errors, transfer
from crpm_core.domain import intelligence
from crpm_core.tabular import csv_bytes
from crpm_ui import auth
from crpm_ui.feedback import DATABASE_DOWN, denied
from crpm_ui.sales import ShopClock

__all__ = [
    "EXPORTS",
    "MAX_EXPORT_ROWS",
    "MAX_RANGE_DAYS",
    "STOCK_UPDATES",
    "export_url",
    "register",
    "stock_updates_url",
]

STOCK_UPDATES = "/downloads/stock-updates.csv"
MAX_EXPORT_ROWS = 200_000
"""Above this many stock updates the download is refused (the CLI streams any size)."""
MAX_RANGE_DAYS = 3_660
"""The longest date range a download may ask for (about ten years)."""


def stock_updates_url(first: date, last: date) -> str:
    return f"{STOCK_UPDATES}?{urlencode({'from': first.isoformat(), 'to': last.isoformat()})}"


EXPORTS = "/downloads/export/{kind}.csv"
"""The CSV export of a table (customers, products, purchases): the format ``crpm export``
writes and ``crpm import`` (and the app's import) reads."""


def export_url(kind: str) -> str:
    return EXPORTS.format(kind=kind)


def _day(value: str | None) -> date:
    day = date.fromisoformat(str(value or "").strip())
    if not date(2, 1, 1) <= day <= date(9999, 12, 29):
        raise ValueError(value)
    return day


def _problem(status: int, text: str) -> Response:
    return PlainTextResponse(text, status_code=status)


def register(crm: CRPM) -> None:
    """Add the download routes for ``crm``."""

    @app.get(STOCK_UPDATES, include_in_schema=False)
    async def stock_updates(request: Request) -> Response:
        username = auth.current_user()
        if username is None:  # the gate answers first; this is the second lock
            return _problem(401, "Log in first.")
        try:
            first = _day(request.query_params.get("from"))
            last = _day(request.query_params.get("to"))
        except ValueError:
            return _problem(400, "Give the dates as from=YYYY-MM-DD&to=YYYY-MM-DD.")
        if last < first or (last - first).days > MAX_RANGE_DAYS:
            return _problem(400, f"Choose a range of at most {MAX_RANGE_DAYS} days.")

        def export() -> bytes | None:
            acting = crm.as_user(username)
            # whole days of the shop's time zone, as the Analytics page shows them
            start, end = ShopClock(acting.settings.get().timezone).days(first, last)
            count = acting.reports.stock_movements(start=start, end=end, limit=1).total
            if count > MAX_EXPORT_ROWS:
                return None
            out = io.StringIO()
            transfer.export_movements(acting, out, start=start, end=end)
            return out.getvalue().encode("utf-8-sig")  # the mark tells spreadsheets: UTF-8

        try:
            data = await run.io_bound(export)
        except errors.PermissionDenied as exc:
            return _problem(403, denied(exc.action) + ".")
        except errors.StorageError:
            return _problem(503, DATABASE_DOWN)
        if data is None:
            return _problem(
                413, "Too many stock updates for a download: crpm export movements FILE.csv"
            )
        name = f"crpm-stock-updates-{first.isoformat()}-to-{last.isoformat()}.csv"
        return _csv_response(data, name)

    @app.get(EXPORTS, include_in_schema=False)
    async def export(kind: str) -> Response:
        username = auth.current_user()
        if username is None:
            return _problem(401, "Log in first.")
        if kind not in transfer.KINDS:
            return _problem(404, "Exports are of customers, products or purchases.")

        def write() -> str:
            handle, name = tempfile.mkstemp(prefix="crpm-export-", suffix=".csv")
            try:
                # The mark tells spreadsheets: UTF-8 (the importer accepts it).
                with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as out:
                    transfer.export_csv(crm.as_user(username), kind, out)
            except BaseException:
                _remove(name)
                raise
            return name

        try:
            path = await run.io_bound(write)
        except errors.PermissionDenied as exc:
            return _problem(403, denied(exc.action) + ".")
        except errors.StorageError:
            return _problem(503, DATABASE_DOWN)
        if path is None:  # the app is shutting down
            return _problem(503, DATABASE_DOWN)
        day = datetime.now(UTC).date().isoformat()
        return FileResponse(
            path,
            media_type="text/csv; charset=utf-8",
            filename=f"crpm-{kind}-{day}.csv",
            headers={"Cache-Control": "no-store"},
            background=BackgroundTask(_remove, path),
        )

    register_insights(crm)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# Insights: the customers of a segment and the reorder list, computed afresh for the user ----

CUSTOMER_SEGMENTS = "/downloads/customer-segments.csv"
REORDER = "/downloads/reorder.csv"
MAX_REORDER_DAYS = 3650


def customer_segments_url(segment: str | None = None) -> str:
    """The RFM scores of every customer, or of one segment's, as CSV."""
    return CUSTOMER_SEGMENTS + (f"?{urlencode({'segment': segment})}" if segment else "")


def customer_segments_name(segment: str | None = None) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in (segment or "all").lower())
    return f"crpm-customers-{slug.replace('--', '-')}.csv"


def reorder_url(days: int = 30) -> str:
    return f"{REORDER}?{urlencode({'days': days})}"


def reorder_name(days: int = 30) -> str:
    return f"crpm-reorder-{days}-days.csv"


def _csv_response(data: bytes, name: str) -> Response:
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _fraction_text(value: Fraction | None) -> Decimal | None:
    """An exact fraction as a decimal of 4 places (as ``crpm report reorder --format csv``)."""
    if value is None:
        return None
    return (Decimal(value.numerator) / value.denominator).quantize(Decimal("0.0001"))


def register_insights(crm: CRPM) -> None:
    """Add the Insights downloads for ``crm``: ``customer-segments.csv[?segment=NAME]`` and
    ``reorder.csv?days=N``, with the columns of ``crpm report rfm|reorder --format csv``."""

    @app.get(CUSTOMER_SEGMENTS, include_in_schema=False)
    async def customer_segments(request: Request) -> Response:
        username = auth.current_user()
        if username is None:
            return _problem(401, "Log in first.")
        segment = request.query_params.get("segment") or None
        if segment is not None and segment not in intelligence.SEGMENT_NAMES:
            return _problem(
                400, "Unknown segment: choose one of " + ", ".join(intelligence.SEGMENT_NAMES) + "."
            )

        def export() -> bytes:
            rows = crm.as_user(username).reports.rfm()
            return csv_bytes(
                [f.name for f in attrs.fields(CustomerSegment)],
                (
                    attrs.astuple(row, recurse=False)
                    for row in rows
                    if segment is None or row.segment == segment
                ),
            )

        try:
            data = await run.io_bound(export)
        except errors.PermissionDenied as exc:
            return _problem(403, denied(exc.action) + ".")
        except errors.StorageError:
            return _problem(503, DATABASE_DOWN)
        if data is None:  # the app is shutting down
            return _problem(503, DATABASE_DOWN)
        return _csv_response(data, customer_segments_name(segment))

    @app.get(REORDER, include_in_schema=False)
    async def reorder(request: Request) -> Response:
        username = auth.current_user()
        if username is None:
            return _problem(401, "Log in first.")
        raw = request.query_params.get("days") or "30"
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_REORDER_DAYS:
            return _problem(400, f"Give days as a whole number from 1 to {MAX_REORDER_DAYS}.")
        days = int(raw)

        def export() -> bytes:
            rows = crm.as_user(username).reports.reorder_suggestions(days=days)
            return csv_bytes(
                [f.name for f in attrs.fields(ReorderSuggestion)],
                (
                    [
                        r.product_id,
                        r.name,
                        r.stock,
                        _fraction_text(r.daily_velocity),
                        _fraction_text(r.days_of_cover),
                        r.reorder_point,
                        r.suggested_quantity,
                    ]
                    for r in rows
                ),
            )

        try:
            data = await run.io_bound(export)
        except errors.PermissionDenied as exc:
            return _problem(403, denied(exc.action) + ".")
        except errors.StorageError:
            return _problem(503, DATABASE_DOWN)
        if data is None:
            return _problem(503, DATABASE_DOWN)
        return _csv_response(data, reorder_name(days))


RECEIPT = "/downloads/receipts/{order_id}.pdf"
"""An order's receipt (``crm.orders.receipt_pdf``); ``?inline=1`` shows it in the browser,
to print it."""


def register_receipts(crm: CRPM) -> None:
    """Add the receipts' route for ``crm`` (see :data:`RECEIPT`)."""

    @app.get(RECEIPT, include_in_schema=False)
    async def receipt(request: Request) -> Response:
        username = auth.current_user()
        if username is None:  # the gate answers first; this is the second lock
            return _problem(401, "Log in first.")
        text = str(request.path_params.get("order_id", ""))
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            return _problem(404, "There is no such order.")
        order_id = int(text)

        def render() -> bytes:
            return crm.as_user(username).orders.receipt_pdf(order_id)

        try:
            data = await run.io_bound(render)
        except errors.PermissionDenied as exc:
            return _problem(403, denied(exc.action) + ".")
        except errors.NotFound:
            return _problem(404, "There is no such order.")
        except errors.StorageError:
            return _problem(503, DATABASE_DOWN)
        if data is None:  # the app is shutting down
            return _problem(503, DATABASE_DOWN)
        inline = request.query_params.get("inline") == "1"
        disposition = "inline" if inline else "attachment"
        return Response(
            data,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'{disposition}; filename="receipt-{order_id}.pdf"',
                "Cache-Control": "no-store",
            },
        )
