"""CSV import and export from the customers, products and purchases tables.

The formats, checks and progress are the command line's: the import runs
:func:`crpm_core.transfer.import_csv` as the logged-in user (all or nothing; the first bad row
raises a ``RowError`` with its line and column, shown in the dialog, and nothing is stored),
off the event loop, while a progress bar follows its :class:`~crpm_core.transfer.Progress`
reports. The export is a download (:mod:`crpm_ui.downloads`) written by
:func:`crpm_core.transfer.export_csv`, so an exported file imports again.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import attrs
from nicegui import events, ui
from nicegui.elements.upload_files import FileUpload

from crpm_core import errors, transfer
from crpm_ui.context import PageContext
from crpm_ui.downloads import export_url
from crpm_ui.feedback import db, guarded, message_of, success
from crpm_ui.widgets import run_dialog

__all__ = ["MAX_UPLOAD_BYTES", "import_dialog", "transfer_buttons"]

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
"""The largest CSV file the app takes (the command line takes any size)."""

NOUNS = {"customers": "customers", "products": "products", "purchases": "purchases"}
HEADERS = {
    kind: ", ".join(transfer.COLUMNS[kind])
    + "".join(f" (optional: {c})" for c in transfer.OPTIONAL_COLUMNS.get(kind, ()))
    for kind in transfer.KINDS
}


@attrs.define
class _Tracker:
    """What the import running in a worker thread last reported (read by a timer)."""

    phase: str = "uploading"
    rows: int = 0
    fraction: float | None = None

    def __call__(self, progress: transfer.Progress) -> None:
        self.phase, self.rows, self.fraction = progress.phase, progress.rows, progress.fraction


def where(exc: errors.CRPMError) -> str:
    """A refused file as the dialog says it: ``Line 3, column email: must contain exactly
    one @``; other errors as the rest of the app says them."""
    if isinstance(exc, transfer.RowError):
        place = f"Line {exc.line:,}" + (f", column {exc.column}" if exc.column else "")
        return f"{place}: {exc.message}"
    return message_of(exc)


def transfer_buttons(
    ctx: PageContext, kind: transfer.Kind, on_imported: Callable[[], Awaitable[None]]
) -> None:
    """The "Import CSV" and "Export CSV" buttons of a table, for the roles that may."""
    if ctx.may("transfer.import"):
        ui.button(
            "Import CSV",
            icon="upload_file",
            on_click=guarded(lambda: _import_then(ctx, kind, on_imported)),
        ).props("outline").mark(f"import-{kind}")
    if ctx.may("transfer.export"):
        ui.button(
            "Export CSV",
            icon="download",
            on_click=lambda: ui.navigate.to(export_url(kind)),
        ).props("outline").mark(f"export-{kind}")


async def _import_then(
    ctx: PageContext, kind: transfer.Kind, on_imported: Callable[[], Awaitable[None]]
) -> None:
    result = await import_dialog(ctx, kind)
    if result is not None:
        await on_imported()


async def import_dialog(ctx: PageContext, kind: transfer.Kind) -> transfer.ImportResult | None:
    """Ask for a file of ``kind`` and import it; the result, or ``None`` (cancelled or
    refused: then nothing was stored)."""
    noun = NOUNS[kind]
    tracker = _Tracker()
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg"):
        dialog.props(f'aria-label="Import {noun}"')
        ui.label(f"Import {noun} from CSV").classes("text-h6").props(
            'role="heading" aria-level="2"'
        )
        ui.label(f"Columns: {HEADERS[kind]}. UTF-8; the first line names the columns.").classes(
            "crpm-muted text-body2"
        )
        ui.label(
            "The whole file is checked first: if one line is wrong nothing is stored."
        ).classes("text-body2")
        move = None
        if kind == "purchases":
            move = ui.checkbox("Also take the units from stock (as sales)")
            move.mark("import-move-stock")
        upload = (
            ui.upload(
                label="Choose a CSV file",
                auto_upload=True,
                max_file_size=MAX_UPLOAD_BYTES,
                max_files=1,
            )
            .props('accept=".csv,text/csv" flat bordered color=grey-3 text-color=black')
            .classes("w-full")
            .mark("import-upload")
        )
        status = ui.label("").props('role="status" aria-live="polite"').mark("import-status")
        bar = ui.linear_progress(value=0, show_value=False).props('aria-label="Import progress"')
        bar.visible = False
        problem = ui.label("").classes("text-negative").props('role="alert"').mark("import-error")
        problem.visible = False
        with ui.row().classes("w-full justify-end gap-2"):
            close = ui.button("Close", on_click=lambda: dialog.submit(None)).props("flat")
            close.mark("import-close")

        def show_progress() -> None:
            if not bar.visible:
                return
            verb = "Checking" if tracker.phase == "checking" else "Writing"
            if tracker.phase == "uploading":
                verb = "Reading the file"
            bar.value = tracker.fraction if tracker.fraction is not None else 0
            bar.props(remove="indeterminate") if tracker.fraction is not None else bar.props(
                "indeterminate"
            )
            status.text = f"{verb}… {tracker.rows:,} rows"

        timer = ui.timer(0.25, show_progress)

        async def received(e: events.UploadEventArguments) -> None:
            problem.visible = False
            bar.visible = True
            status.text = "Reading the file…"
            upload.disable()
            close.disable()
            path = await _spool(e.file)
            try:
                result = await db(
                    transfer.import_csv,
                    ctx.crm,
                    kind,
                    path,
                    move_stock=bool(move and move.value),
                    progress=tracker,
                )
            except errors.CRPMError as exc:
                bar.visible = False
                status.text = f"{e.file.name} was not imported; nothing was stored."
                problem.text = where(exc)
                problem.visible = True
                upload.reset()
                return
            finally:
                with contextlib.suppress(OSError):
                    path.unlink()
                upload.enable()
                close.enable()
            bar.visible = False
            timer.cancel()
            success(f"Imported {result.rows:,} {noun} from {e.file.name}")
            dialog.submit(result)

        upload.on_upload(guarded(received))
        upload.on_rejected(
            lambda: ui.notify(
                f"Choose one CSV file of at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
                type="negative",
            )
        )
    result = await run_dialog(dialog)
    return result if isinstance(result, transfer.ImportResult) else None


async def _spool(file: FileUpload) -> Path:
    """Write the uploaded file to a private temporary file: the importer reads it from disk,
    never all in memory."""
    handle, name = tempfile.mkstemp(prefix="crpm-import-", suffix=".csv")
    os.close(handle)
    path = Path(name)
    await file.save(path)
    return path
