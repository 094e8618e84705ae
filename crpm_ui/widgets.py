"""Building blocks the pages share: tiles, a confirm dialog, a server-side paged table."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

import attrs
from nicegui import events, ui

from crpm_core import Page, errors
from crpm_ui.feedback import db, field_error, report

__all__ = [
    "PHONE_CARDS",
    "Query",
    "ServerTable",
    "confirm",
    "form_buttons",
    "form_dialog",
    "form_fields",
    "form_result",
    "link_cell_slot",
    "run_dialog",
    "save_or_mark",
    "tile",
    "whole",
    "whole_text",
]

T = TypeVar("T")

PHONE_CARDS = ":grid=\"window.matchMedia('(max-width: 599.98px)').matches\""
"""Props of a table that, opened on a phone, shows each row as a card with every column
(a history's Total too) instead of a table wider than the screen."""


def tile(label: str, value: str, icon: str, *, marker: str) -> ui.label:
    """A headline number; returns the label holding the value, to update it later."""
    with ui.card().classes("crpm-tile").props("flat bordered"):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon(icon, size="sm").props('aria-hidden="true"')
            ui.label(label).classes("crpm-muted text-body2")
        shown = ui.label(value).classes("text-h5 font-medium").mark(marker)
        shown.props["data-tile"] = marker  # for browser tests and screen scrapers
    return shown


async def run_dialog(dialog: ui.dialog) -> Any:
    """Open ``dialog``, wait for its answer, then remove it. ``None`` if it was dismissed
    or the page went away meanwhile (a closed tab)."""
    result = await dialog
    if dialog.is_deleted or dialog.client.is_deleted:
        return None
    dialog.delete()
    return result


async def confirm(question: str, *, ok: str, marker: str = "confirm") -> bool:
    """Ask before doing something that cannot be undone; ``True`` if the user agreed."""
    with ui.dialog() as dialog, ui.card().classes("max-w-md"):
        dialog.props('aria-label="Please confirm"')
        ui.label(question).classes("text-body1")
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat").mark(
                f"{marker}-cancel"
            )
            ui.button(ok, on_click=lambda: dialog.submit(True), color="negative").mark(
                f"{marker}-ok"
            )
    agreed = await run_dialog(dialog)
    return bool(agreed)


@contextmanager
def form_dialog(heading: str) -> Iterator[ui.dialog]:
    """A form's dialog, titled ``heading``; the fields go in the ``with`` block."""
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        dialog.props["aria-label"] = heading
        ui.label(heading).classes("text-h6").props('role="heading" aria-level="2"')
        yield dialog


async def form_result(dialog: ui.dialog, kind: type[T]) -> T | None:
    """Open a form's dialog and wait: the ``kind`` it saved, or ``None`` if cancelled."""
    result = await run_dialog(dialog)
    return result if isinstance(result, kind) else None


def form_fields(
    fields: Mapping[str, Any], *, submit: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Give a form's fields their look; typing in a field clears its error message. With
    ``submit``, Enter in a text field submits the form (as the save button does)."""
    for field in fields.values():
        field.classes("w-full").props("outlined")
        field.on_value_change(lambda e: setattr(e.sender, "error", None))
        if submit is not None and isinstance(field, ui.input):
            field.on("keydown.enter", submit)


def form_buttons(
    dialog: ui.dialog,
    save: Callable[[], Awaitable[None]],
    *,
    marker: str,
    label: str = "Save",
    icon: str = "save",
) -> None:
    """A form's Cancel (answers ``None``) and save buttons."""
    with ui.row().classes("w-full justify-end gap-2"):
        ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat")
        ui.button(label, icon=icon, on_click=save).mark(marker)


async def save_or_mark(
    dialog: ui.dialog,
    fields: Mapping[str, Any],
    save: Callable[[], T],
    *,
    catch: tuple[type[errors.CRPMError], ...] = (errors.ValidationError, errors.Conflict),
) -> None:
    """Run ``save`` (a crpm_core call) and answer ``dialog`` with what it returns; an error
    of ``catch`` is shown under the field it names, or else notified, and the dialog stays."""
    try:
        saved = await db(save)
    except catch as exc:
        if not field_error(exc, fields):
            report(exc)
        return
    dialog.submit(saved)


@attrs.frozen
class Query:
    """What one page of a listing asks the database for."""

    offset: int
    limit: int
    search: str | None
    order_by: str | None
    descending: bool


class ServerTable(Generic[T]):
    """A Quasar table paged, searched and sorted on the server: only one page of rows is
    ever loaded, through ``fetch`` (run off the event loop)."""

    def __init__(
        self,
        *,
        columns: list[dict[str, Any]],
        fetch: Callable[[Query], Page[T]],
        to_row: Callable[[T], dict[str, Any]],
        marker: str,
        label: str,
        rows_per_page: int = 10,
        sort_by: str | None = None,
        descending: bool = False,
        row_key: str = "id",
    ) -> None:
        self._fetch = fetch
        self._to_row = to_row
        self.search: str | None = None
        self.items: Sequence[T] = ()
        self._generation = 0
        pagination = {
            "page": 1,
            "rowsPerPage": rows_per_page,
            "sortBy": sort_by,
            "descending": descending,
            "rowsNumber": 0,
        }
        self.table = ui.table(
            columns=columns, rows=[], row_key=row_key, pagination=pagination
        ).classes("crpm-table")
        self.table.props("flat bordered :rows-per-page-options=[5,10,25,50] no-data-label=Nothing")
        self.table.props["aria-label"] = label
        self.table.mark(marker)
        self.table.on("request", self._on_request)

    async def _on_request(self, e: events.GenericEventArguments) -> None:
        wanted = e.args.get("pagination", {}) if isinstance(e.args, dict) else {}
        await self.load(
            page=int(wanted.get("page") or 1),
            rows_per_page=int(wanted.get("rowsPerPage") or 10),
            sort_by=wanted.get("sortBy"),
            descending=bool(wanted.get("descending")),
        )

    @property
    def pagination(self) -> dict[str, Any]:
        return dict(self.table.pagination)

    async def load(
        self,
        *,
        page: int | None = None,
        rows_per_page: int | None = None,
        sort_by: str | object | None = ...,
        descending: bool | None = None,
    ) -> None:
        """Fetch one page (by default the current one again) and show it."""
        current = self.pagination
        page = max(1, page if page is not None else int(current.get("page") or 1))
        per_page = rows_per_page if rows_per_page is not None else int(current["rowsPerPage"])
        per_page = min(max(per_page, 1), 1000) if per_page else 1000
        order = current.get("sortBy") if sort_by is ... else sort_by
        desc = bool(current.get("descending")) if descending is None else descending
        self._generation += 1
        generation = self._generation
        try:
            result = await self._load_page(page, per_page, order, desc)
            if not result.items and result.total and page > 1:  # the page emptied (a delete)
                page = (result.total - 1) // per_page + 1
                result = await self._load_page(page, per_page, order, desc)
        except Exception as exc:
            report(exc)
            return
        if generation != self._generation or self.table.is_deleted:
            return  # a newer request has been made meanwhile
        self.items = result.items
        self.table.rows = [self._to_row(item) for item in result.items]
        self.table.pagination = {
            "page": page,
            "rowsPerPage": per_page,
            "sortBy": order,
            "descending": desc,
            "rowsNumber": result.total,
        }

    async def _load_page(self, page: int, per_page: int, order: object, desc: bool) -> Page[T]:
        query = Query(
            offset=(page - 1) * per_page,
            limit=per_page,
            search=self.search or None,
            order_by=order if isinstance(order, str) else None,
            descending=desc,
        )
        return await db(self._fetch, query)

    async def set_search(self, text: str | None) -> None:
        self.search = (text or "").strip() or None
        await self.load(page=1)

    @property
    def total(self) -> int:
        return int(self.table.pagination.get("rowsNumber") or 0)


def name_button_slot(column: str, event: str, *, label_field: str, prefix: str) -> str:
    """A cell that shows ``label_field`` as a button emitting ``event`` with the row's id."""
    return (
        f'<q-td key="{column}" :props="props">'
        f'<q-btn flat no-caps dense align="left" color="primary" class="text-left"'
        f' :label="props.row.{label_field}"'
        f" :aria-label=\"'{prefix} ' + props.row.{label_field}\""
        f" @click=\"() => $parent.$emit('{event}', props.row.id)\" />"
        "</q-td>"
    )


def link_cell_slot(
    column: str, *, href: str, label_field: str = "name", id_field: str = "id"
) -> str:
    """A cell that shows ``label_field`` as a link to the row's own page: ``href`` is a route
    with ``{id}`` (``/customers/{id}``), filled from the row's ``id_field``. A real link: Tab
    reaches it, Enter follows it, and the browser can open it in a new tab."""
    target = "'" + href.replace("{id}", f"' + props.row.{id_field} + '") + "'"
    return (
        f'<q-td key="{column}" :props="props">'
        f'<a class="nicegui-link crpm-row-link" :href="{target}">'
        f"{{{{ props.row.{label_field} }}}}</a>"
        "</q-td>"
    )


def whole_text(value: object) -> int | None:
    """A typed whole number (``"12"``, ``" -3 "``) as an ``int``, or ``None`` if the text is
    not one (``"1.5"``, ``"abc"``, empty). Number fields that clamp or round what was typed
    (Quasar's ``min``/``precision``) hide the user's mistake; forms read text instead and let
    crpm_core refuse a value out of range, naming the field."""
    text = str(value if value is not None else "").strip().replace("\u2212", "-")
    return int(text) if _WHOLE.fullmatch(text) else None


_WHOLE = re.compile(r"[+-]?[0-9]{1,18}")


def whole(value: object) -> int | None:
    """A number field's value as crpm_core wants it (an ``int``), or ``None`` if it is not
    a whole number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value)
