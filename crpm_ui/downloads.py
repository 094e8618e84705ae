"""Downloads the browser fetches over HTTP (behind the login gate, like every route): the
stock updates of a date range as CSV, written by crpm_core's export as the logged-in user
(a role that may not export gets 403)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from nicegui import app, run
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from crpm_core import CRPM, errors, transfer
from crpm_ui import auth
from crpm_ui.feedback import DATABASE_DOWN, denied

__all__ = ["MAX_EXPORT_ROWS", "MAX_RANGE_DAYS", "STOCK_UPDATES", "register", "stock_updates_url"]

STOCK_UPDATES = "/downloads/stock-updates.csv"
MAX_EXPORT_ROWS = 200_000
"""Above this many stock updates the download is refused (the CLI streams any size)."""
MAX_RANGE_DAYS = 3_660
"""The longest date range a download may ask for (about ten years)."""


def stock_updates_url(first: date, last: date) -> str:
    return f"{STOCK_UPDATES}?{urlencode({'from': first.isoformat(), 'to': last.isoformat()})}"


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
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)

        def export() -> bytes | None:
            acting = crm.as_user(username)
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
        return Response(
            data,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )


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
