"""What the pages listing one kind of record (customers, products) have in common.

A :class:`RecordListPage` draws the toolbar (search, status filter, add button, CSV import and
export) over a :class:`~crpm_ui.widgets.ServerTable` whose names are links to each record's
own page (``/customers/{id}``), where its details, history and actions live. A subclass names
its record (``noun``, ``plural``), gives the texts that differ, and keeps only what is its
own: the columns and rows and the add form.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from nicegui import ui

from crpm_core import CRPM, Page, transfer
from crpm_ui.context import PageContext
from crpm_ui.feedback import guarded, success
from crpm_ui.transfer_ui import transfer_buttons
from crpm_ui.widgets import Query, ServerTable, link_cell_slot

__all__ = ["ACTIVE", "Record", "RecordListPage", "RecordService"]


class Record(Protocol):
    """A listed record: customers and products both have these."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def active(self) -> bool: ...


R = TypeVar("R", bound=Record)


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
            transfer_buttons(ctx, cast(transfer.Kind, self.kind), lambda: self.table.load())
        self.table: ServerTable[R] = ServerTable(
            columns=self.columns,
            fetch=self._fetch,
            to_row=self.to_row,
            marker=f"{self.plural.lower()}-table",
            label=self.plural,
            sort_by="name",
        )
        self.table.table.add_slot(
            "body-cell-name", link_cell_slot("name", href=f"/{self.kind}/{{id}}")
        )

    @property
    def kind(self) -> str:
        """The records' route and CSV kind: ``customers``, ``products``."""
        return self.plural.lower()

    @classmethod
    async def build(cls, ctx: PageContext) -> None:
        """The page module's ``build``: the page with its first page of records."""
        page = cls(ctx)
        await page.table.load()

    def allowed(self, action: str) -> bool:
        """May the user do ``action`` (``add``, ``edit``, ``delete``, ...) on these records?
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
