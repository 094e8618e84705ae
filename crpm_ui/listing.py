"""What the pages listing one kind of record (customers, products) have in common.

A :class:`RecordListPage` draws the toolbar (search, status filter, add button) over a
:class:`~crpm_ui.widgets.ServerTable` whose names open the record's detail dialog, and runs
the actions every record has: edit, deactivate, reactivate and delete (behind a confirm,
refused with a plain message while the record is still in use). A subclass names its record
(``noun``, ``plural``), gives the texts that differ, and keeps only what is its own: the
columns and rows, the add/edit form, the detail's content and any further actions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from nicegui import ui

from crpm_core import CRPM, Page, errors
from crpm_ui.context import PageContext
from crpm_ui.feedback import db, guarded, success
from crpm_ui.widgets import (
    Query,
    ServerTable,
    confirm,
    name_button_slot,
    run_dialog,
    save_or_mark,
)

__all__ = ["ACTIVE", "EditableService", "Record", "RecordListPage", "RecordService", "save_record"]


class Record(Protocol):
    """A listed record: customers and products both have these."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def active(self) -> bool: ...


R = TypeVar("R", bound=Record)
R_co = TypeVar("R_co", bound=Record, covariant=True)


class RecordService(Protocol[R]):
    """The part of a crpm_core service (``crm.customers``, ``crm.products``) a listing uses."""

    def get(self, record_id: int, /) -> R: ...
    def list(
        self,
        *,
        search: str | None = ...,
        active: bool | None = ...,
        offset: int = ...,
        limit: int = ...,
        order_by: str = ...,
        descending: bool = ...,
    ) -> Page[R]: ...
    def deactivate(self, record_id: int, /) -> R: ...
    def reactivate(self, record_id: int, /) -> R: ...
    def delete(self, record_id: int, /) -> None: ...


ACTIVE: dict[str, bool | None] = {"all": None, "active": True, "inactive": False}
"""The ``active`` filter of the common statuses of the "Show" select."""


class EditableService(Protocol[R_co]):
    """A crpm_core service that adds and updates records (its keywords are the form's)."""

    def add(self, *args: Any, **kwargs: Any) -> R_co: ...
    def update(self, *args: Any, **kwargs: Any) -> R_co: ...


async def save_record(
    dialog: ui.dialog,
    fields: Mapping[str, Any],
    service: EditableService[Record],
    existing: Record | None,
    values: Mapping[str, Any],
) -> None:
    """The save of an add/edit form: ``service.add(**values)``, or when editing
    ``service.update(existing.id, **values)``; see :func:`~crpm_ui.widgets.save_or_mark`."""
    if existing is None:
        await save_or_mark(dialog, fields, lambda: service.add(**values))
    else:
        await save_or_mark(dialog, fields, lambda: service.update(existing.id, **values))


Action = tuple[str, str, str]
"""A button of the detail dialog: label, icon, and the action it answers."""

ACTION_PERMISSIONS = {"edit": "update", "correct": "set_stock"}
"""The crpm_core operation of an action whose name differs (``products.set_stock``)."""


class RecordListPage(Generic[R]):
    """A listing page of one kind of record; see the module's docstring."""

    noun: ClassVar[str]
    """The record in lower case ("customer"): in texts and markers (``add-customer``)."""
    plural: ClassVar[str]
    """The table's label ("Customers"); in lower case its marker (``customers-table``)."""
    search_label: ClassVar[str]
    add_icon: ClassVar[str]
    statuses: ClassVar[dict[str, str]]
    """The choices of the "Show" select; ``"all"`` first."""
    columns: ClassVar[list[dict[str, Any]]]
    detail_actions: ClassVar[Sequence[Action]] = (("Edit", "edit", "edit"),)
    """The buttons of the detail dialog before Deactivate/Reactivate, Delete and Close."""
    deactivated: ClassVar[str] = "{name} is now inactive"
    in_use: ClassVar[str]
    """Why a record cannot be deleted (``{name}`` is filled in)."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.crm: CRPM = ctx.crm
        self.status = "all"
        with ui.row().classes("w-full items-center gap-2"):
            search = ui.input(self.search_label).props(
                "outlined dense clearable debounce=300 type=search"
            )
            search.classes("grow min-w-0").mark(f"{self.noun}-search")
            search.on_value_change(guarded(lambda e: self.table.set_search(e.value)))
            ui.select(self.statuses, value="all", label="Show", on_change=self._on_status).props(
                "outlined dense"
            ).classes("min-w-[10rem]").mark(f"{self.noun}-status")
            if self.allowed("add"):
                ui.button(f"Add {self.noun}", icon=self.add_icon, on_click=self.add).mark(
                    f"add-{self.noun}"
                )
        self.table: ServerTable[R] = ServerTable(
            columns=self.columns,
            fetch=self._fetch,
            to_row=self.to_row,
            marker=f"{self.plural.lower()}-table",
            label=self.plural,
            sort_by="name",
        )
        self.table.table.add_slot(
            "body-cell-name", name_button_slot("name", "open", label_field="name", prefix="Open")
        )
        self.table.table.on("open", guarded(lambda e: self.open(int(e.args))))

    @classmethod
    async def build(cls, ctx: PageContext) -> None:
        """The page module's ``build``: the page with its first page of records."""
        page = cls(ctx)
        await page.table.load()

    def allowed(self, action: str) -> bool:
        """May the user do ``action`` (of the detail dialog, or ``add``) on these records?
        Only what they may is offered; crpm_core refuses the rest anyway."""
        operation = ACTION_PERMISSIONS.get(action, action)
        return self.ctx.may(f"{self.plural.lower()}.{operation}")

    # -- what a subclass gives ---------------------------------------------------------------

    @property
    def service(self) -> RecordService[R]:
        """The crpm_core service of the records."""
        raise NotImplementedError

    def to_row(self, record: R) -> dict[str, Any]:
        """The table row of ``record``."""
        raise NotImplementedError

    async def form(self, existing: R | None = None) -> R | None:
        """The add or edit dialog; the saved record, or ``None`` if cancelled."""
        raise NotImplementedError

    async def open(self, record_id: int) -> None:
        """The record's detail: build it in :meth:`detail_dialog`, then :meth:`run_detail`."""
        raise NotImplementedError

    def filters(self) -> dict[str, Any]:
        """The listing's filters for the chosen status (keywords of ``service.list``)."""
        return {"active": ACTIVE[self.status]}

    def added(self, saved: R) -> str:
        """The notification after an add."""
        return f"Added {self.noun} {saved.name}"

    # -- the listing -------------------------------------------------------------------------

    def _fetch(self, q: Query) -> Page[R]:
        return self.service.list(
            search=q.search,
            offset=q.offset,
            limit=q.limit,
            order_by=q.order_by or "name",
            descending=q.descending,
            **self.filters(),
        )

    @guarded
    async def _on_status(self, e: Any) -> None:
        self.status = str(e.value)
        await self.table.load(page=1)

    @guarded
    async def add(self) -> None:
        saved = await self.form()
        if saved is not None:
            success(self.added(saved))
            await self.table.load()

    # -- the detail --------------------------------------------------------------------------

    @contextmanager
    def detail_dialog(self, record: R) -> Iterator[ui.dialog]:
        """The detail dialog of ``record``: its heading, then the content written in the
        ``with`` block, then the action buttons; each button submits its action."""
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-3xl"):
            dialog.props["aria-label"] = f"{self.noun.capitalize()} {record.name}"
            ui.label(record.name).classes("text-h6").props('role="heading" aria-level="2"').mark(
                "detail-name"
            )
            yield dialog
            with ui.row().classes("w-full justify-end gap-2 flex-wrap"):
                for label, icon, action in self.detail_actions:
                    if not self.allowed(action):
                        continue
                    ui.button(label, icon=icon, on_click=lambda a=action: dialog.submit(a)).mark(
                        f"{self.noun}-{action}"
                    )
                if record.active and self.allowed("deactivate"):
                    ui.button(
                        "Deactivate", icon="block", on_click=lambda: dialog.submit("deactivate")
                    ).props("outline").mark(f"{self.noun}-deactivate")
                elif not record.active and self.allowed("reactivate"):
                    ui.button(
                        "Reactivate",
                        icon="check_circle",
                        on_click=lambda: dialog.submit("reactivate"),
                    ).props("outline").mark(f"{self.noun}-reactivate")
                if self.allowed("delete"):
                    ui.button(
                        "Delete",
                        icon="delete",
                        color="negative",
                        on_click=lambda: dialog.submit("delete"),
                    ).mark(f"{self.noun}-delete")
                ui.button("Close", on_click=lambda: dialog.submit(None)).props("flat")

    async def run_detail(self, dialog: ui.dialog, record: R) -> None:
        """Wait for the detail dialog's answer and carry the chosen action out."""
        action = await run_dialog(dialog)
        if action is not None:
            await self.act(record, str(action))

    async def act(self, record: R, action: str) -> None:
        """Carry out an action of the detail dialog; a subclass handles its own first."""
        if action == "edit":
            saved = await self.form(record)
            if saved is not None:
                success(f"Saved {self.noun} {saved.name}")
                await self.table.load()
        elif action == "deactivate":
            await db(self.service.deactivate, record.id)
            success(self.deactivated.format(name=record.name))
            await self.table.load()
        elif action == "reactivate":
            await db(self.service.reactivate, record.id)
            success(f"{record.name} is active again")
            await self.table.load()
        elif action == "delete":
            question = f"Delete the {self.noun} {record.name} for good?"
            if not await confirm(question, ok="Delete", marker="confirm-delete"):
                return
            try:
                await db(self.service.delete, record.id)
            except errors.Conflict:
                ui.notify(self.in_use.format(name=record.name), type="negative", multi_line=True)
                return
            success(f"Deleted {self.noun} {record.name}")
            await self.table.load()
