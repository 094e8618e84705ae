"""Users (owners only): the shop's staff accounts, paged on the server; add a user, change a
role, reset a password, deactivate and reactivate. Passwords are checked and hashed by
crpm_core; the page never shows or keeps one."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from crpm_core import Page, User
from crpm_core.domain import staff
from crpm_ui import auth
from crpm_ui.context import PageContext
from crpm_ui.feedback import db, guarded, success
from crpm_ui.formatting import date
from crpm_ui.registry import Module
from crpm_ui.widgets import (
    Query,
    ServerTable,
    confirm,
    form_buttons,
    form_dialog,
    form_fields,
    form_result,
    name_button_slot,
    run_dialog,
    save_or_mark,
)

__all__ = ["module"]

STATUS = {"all": "All users", "active": "Active only", "inactive": "Inactive only"}
ACTIVE: dict[str, bool | None] = {"all": None, "active": True, "inactive": False}
COLUMNS: list[dict[str, Any]] = [
    {"name": "username", "label": "Username", "field": "username", "align": "left"},
    {"name": "role", "label": "Role", "field": "role", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "since", "label": "Since", "field": "since", "align": "left"},
]
PASSWORD_HINT = f"At least {staff.PASSWORD_MIN} characters"


def _row(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "role": staff.ROLE_NAMES.get(u.role, u.role),
        "status": "Active" if u.active else "Inactive",
        "since": date(u.created_at),
    }


def _password_input(label: str, marker: str) -> ui.input:
    field = ui.input(label, password=True, password_toggle_button=True)
    field.props(f'autocomplete=new-password hint="{PASSWORD_HINT}"')
    return field.mark(marker)


class UsersPage:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.crm = ctx.crm
        self.status = "all"
        with ui.row().classes("w-full items-center gap-2"):
            ui.select(STATUS, value="all", label="Show", on_change=self._on_status).props(
                "outlined dense"
            ).classes("min-w-[10rem]").mark("user-status")
            ui.space()
            ui.button("Add user", icon="person_add", on_click=self.add).mark("add-user")
        self.table: ServerTable[User] = ServerTable(
            columns=COLUMNS,
            fetch=self._fetch,
            to_row=_row,
            marker="users-table",
            label="Users",
        )
        self.table.table.add_slot(
            "body-cell-username",
            name_button_slot("username", "open", label_field="username", prefix="Open"),
        )
        self.table.table.on("open", guarded(lambda e: self.open(int(e.args))))

    def _fetch(self, q: Query) -> Page[User]:
        return self.crm.users.list(active=ACTIVE[self.status], offset=q.offset, limit=q.limit)

    @guarded
    async def _on_status(self, e: Any) -> None:
        self.status = str(e.value) if e.value in STATUS else "all"
        await self.table.load(page=1)

    @guarded
    async def add(self) -> None:
        with form_dialog("Add user") as dialog:
            username = ui.input("Username").mark("user-username")
            username.props('autocomplete=off autocapitalize=none hint="Lower case, e.g. alice"')
            role = ui.select(staff.ROLE_NAMES, value="clerk", label="Role").mark("user-role")
            password = _password_input("Password", "user-password")
            fields = {"username": username, "role": role, "password": password}
            form_fields(fields)

            @guarded
            async def save() -> None:
                for field in fields.values():
                    field.error = None
                name, secret, kind = username.value or "", password.value or "", role.value
                await save_or_mark(
                    dialog,
                    fields,
                    lambda: self.crm.users.add(username=name, password=secret, role=kind),
                )

            form_buttons(dialog, save, marker="user-save")
        saved = await form_result(dialog, User)
        if saved is not None:
            success(f"Added {saved.username} ({staff.ROLE_NAMES[saved.role]})")
            await self.table.load()

    async def open(self, user_id: int) -> None:
        person = await db(self.crm.users.get, user_id)
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
            dialog.props["aria-label"] = f"User {person.username}"
            ui.label(person.username).classes("text-h6").props(
                'role="heading" aria-level="2"'
            ).mark("detail-name")
            with ui.row().classes("gap-x-6 gap-y-1 flex-wrap"):
                ui.label(f"Role: {staff.ROLE_NAMES[person.role]}").mark("detail-role")
                ui.label("Active" if person.active else "Inactive").mark("detail-status")
                ui.label(f"Since {date(person.created_at)}")
            with ui.row().classes("w-full justify-end gap-2 flex-wrap"):
                ui.button("Change role", icon="badge", on_click=lambda: dialog.submit("role")).mark(
                    "user-change-role"
                )
                ui.button(
                    "Reset password", icon="password", on_click=lambda: dialog.submit("password")
                ).mark("user-reset-password")
                if person.active:
                    ui.button(
                        "Deactivate", icon="block", on_click=lambda: dialog.submit("deactivate")
                    ).props("outline").mark("user-deactivate")
                else:
                    ui.button(
                        "Reactivate",
                        icon="check_circle",
                        on_click=lambda: dialog.submit("reactivate"),
                    ).props("outline").mark("user-reactivate")
                ui.button("Close", on_click=lambda: dialog.submit(None)).props("flat")
        action = await run_dialog(dialog)
        if action is not None:
            await self.act(person, str(action))

    async def act(self, person: User, action: str) -> None:
        if action == "role":
            saved = await self._role_form(person)
            if saved is not None:
                success(f"{saved.username} is now {staff.ROLE_NAMES[saved.role]}")
        elif action == "password":
            saved = await self._password_form(person)
            if saved is not None:
                auth.end_sessions_of(saved.username)
                success(f"New password set for {saved.username}")
        elif action == "deactivate":
            if not await confirm(
                f"Deactivate {person.username}? They can no longer log in; their history stays.",
                ok="Deactivate",
                marker="confirm-deactivate",
            ):
                return
            saved = await db(self.crm.users.deactivate, person.id)
            auth.end_sessions_of(saved.username)
            success(f"{saved.username} is now inactive")
        elif action == "reactivate":
            saved = await db(self.crm.users.reactivate, person.id)
            success(f"{saved.username} is active again")
        await self.table.load()

    async def _role_form(self, person: User) -> User | None:
        with form_dialog(f"Change the role of {person.username}") as dialog:
            role = ui.select(staff.ROLE_NAMES, value=person.role, label="Role").mark(
                "user-new-role"
            )
            fields = {"role": role}
            form_fields(fields)

            @guarded
            async def save() -> None:
                kind = str(role.value)
                await save_or_mark(dialog, fields, lambda: self.crm.users.set_role(person.id, kind))

            form_buttons(dialog, save, marker="role-save")
        return await form_result(dialog, User)

    async def _password_form(self, person: User) -> User | None:
        with form_dialog(f"Reset the password of {person.username}") as dialog:
            password = _password_input("New password", "user-new-password")
            fields = {"password": password}
            form_fields(fields)

            @guarded
            async def save() -> None:
                password.error = None
                secret = password.value or ""
                await save_or_mark(
                    dialog, fields, lambda: self.crm.users.set_password(person.id, secret)
                )

            form_buttons(dialog, save, marker="password-save", label="Set password")
        return await form_result(dialog, User)


async def build(ctx: PageContext) -> None:
    page = UsersPage(ctx)
    await page.table.load()


module = Module(
    title="Users",
    icon="manage_accounts",
    route="/users",
    build=build,
    order=60,
    permission="users.manage",
)
