"""Audit (owners and managers): who changed what, and when; filtered by who (the staff),
what (the kind of record and the action) and when (a date range), paged on the server."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from nicegui import ui

from crpm_core import AuditEntry, Page
from crpm_core.domain import staff
from crpm_ui.context import PageContext
from crpm_ui.feedback import db, guarded
from crpm_ui.formatting import when
from crpm_ui.registry import Module
from crpm_ui.sales import ShopClock
from crpm_ui.widgets import Query, ServerTable

__all__ = ["module"]

ANYONE = "*"
WHO_LIMIT = 1000
"""How many staff accounts the "Who" filter lists (the core's largest page)."""
CHANGES_SHOWN = 400
"""Characters of an entry's changes shown in the table."""
ENTITIES = {ANYONE: "Any record", **{e: e.capitalize() for e in staff.ENTITIES}}
ACTIONS = [
    "add",
    "update",
    "delete",
    "deactivate",
    "reactivate",
    "restock",
    "set_stock",
    "place",
    "record",
    "cancel",
    "return_items",
    "import",
    "restore",
    "set_role",
    "set_password",
    "issue_token",
    "revoke_token",
]
DATE_PROPS = 'outlined dense clearable debounce=500 inputmode=numeric placeholder="2025-01-31"'
COLUMNS: list[dict[str, Any]] = [
    {"name": "at", "label": "When", "field": "at", "align": "left"},
    {"name": "actor", "label": "Who", "field": "actor", "align": "left"},
    {"name": "action", "label": "Action", "field": "action", "align": "left"},
    {"name": "what", "label": "What", "field": "what", "align": "left"},
    {"name": "changes", "label": "Changes", "field": "changes", "align": "left"},
]


def _value(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def changes_text(changes: dict[str, list[object]]) -> str:
    """Each changed field: ``field: before → after``; a field an add set, just
    ``field: value``. Cut to :data:`CHANGES_SHOWN` characters."""
    parts = []
    for field, pair in changes.items():
        before, after = [*pair, None, None][:2]
        if before is None and after is None:
            continue
        if before is None:
            parts.append(f"{field}: {_value(after)}")
        else:
            parts.append(f"{field}: {_value(before)} → {_value(after)}")
    text = "; ".join(parts)
    return text if len(text) <= CHANGES_SHOWN else text[: CHANGES_SHOWN - 1] + "…"


def _row(e: AuditEntry, zone: str | None = None) -> dict[str, Any]:
    what = e.entity.capitalize() + (f" #{e.entity_id}" if e.entity_id is not None else "")
    return {
        "id": e.id,
        "at": when(e.at, zone),
        "actor": e.actor,
        "action": e.action,
        "what": what,
        "changes": changes_text(e.changes),
    }


def parse_day(text: object) -> date | None:
    """A date typed as ``2025-01-31``; ``None`` when empty; ``ValueError`` otherwise."""
    value = str(text or "").strip()
    if not value:
        return None
    day = date.fromisoformat(value)
    if not date(2, 1, 1) <= day <= date(9999, 12, 29):
        raise ValueError(value)
    return day


class AuditPage:
    def __init__(self, ctx: PageContext, staff_names: list[str], zone: str = "UTC") -> None:
        self.crm = ctx.crm
        self.clock = ShopClock(zone)
        self.actor: str | None = None
        self.entity: str | None = None
        self.action: str | None = None
        self.first: date | None = None
        self.last: date | None = None
        who = {ANYONE: "Anyone", **{n: n for n in staff_names}, "system": "system (scripts)"}
        with ui.element("div").classes(
            "grid gap-3 w-full grid-cols-1 sm:grid-cols-2 lg:grid-cols-5"
        ):
            ui.select(who, value=ANYONE, label="Who", on_change=self._on_who).props(
                "outlined dense"
            ).classes("min-w-0").mark("audit-who")
            ui.select(ENTITIES, value=ANYONE, label="Record", on_change=self._on_entity).props(
                "outlined dense"
            ).classes("min-w-0").mark("audit-entity")
            actions = {ANYONE: "Any action", **{a: a.replace("_", " ") for a in ACTIONS}}
            ui.select(actions, value=ANYONE, label="Action", on_change=self._on_action).props(
                "outlined dense"
            ).classes("min-w-0").mark("audit-action")
            self.from_input = ui.input("From (YYYY-MM-DD)").mark("audit-from")
            self.to_input = ui.input("To (YYYY-MM-DD)").mark("audit-to")
            for field in (self.from_input, self.to_input):
                field.props(DATE_PROPS).classes("min-w-0")
                field.on_value_change(self._on_dates)
        self.table: ServerTable[AuditEntry] = ServerTable(
            columns=[{**c, "label": f"When ({zone})"} if c["name"] == "at" else c for c in COLUMNS],
            fetch=self._fetch,
            to_row=lambda e: _row(e, zone),
            marker="audit-table",
            label="Audit trail",
            rows_per_page=25,
        )
        self.table.table.props("dense wrap-cells")

    def _fetch(self, q: Query) -> Page[AuditEntry]:
        start, end = self.clock.days(self.first, self.last)  # the shop's whole days
        return self.crm.audit.list(
            actor=self.actor,
            entity=self.entity,
            action=self.action,
            start=start,
            end=end,
            offset=q.offset,
            limit=q.limit,
        )

    @staticmethod
    def _choice(value: object) -> str | None:
        return None if value in (None, ANYONE) else str(value)

    @guarded
    async def _on_who(self, e: Any) -> None:
        self.actor = self._choice(e.value)
        await self.table.load(page=1)

    @guarded
    async def _on_entity(self, e: Any) -> None:
        self.entity = self._choice(e.value)
        await self.table.load(page=1)

    @guarded
    async def _on_action(self, e: Any) -> None:
        self.action = self._choice(e.value)
        await self.table.load(page=1)

    @guarded
    async def _on_dates(self) -> None:
        days: list[date | None] = []
        for field in (self.from_input, self.to_input):
            field.error = None
            try:
                days.append(parse_day(field.value))
            except ValueError:
                field.error = "Use a date like 2025-01-31"
                return
        first, last = days
        if first is not None and last is not None and last < first:
            self.to_input.error = "Must not be before the start"
            return
        self.first, self.last = first, last
        await self.table.load(page=1)


async def build(ctx: PageContext) -> None:
    people = await db(ctx.crm.users.list, limit=WHO_LIMIT)
    shop = await db(ctx.crm.settings.get)
    page = AuditPage(ctx, [u.username for u in people.items], shop.timezone)
    await page.table.load()


module = Module(
    title="Audit", icon="history", route="/audit", build=build, order=50, permission="audit.read"
)
