"""Logging in and out: the login page, the session, and the gate in front of every route.

A login keeps ``{"sid", "user", "seen"}`` in the browser's server-side storage
(``app.storage.user``, found through the signed session cookie) and its session id in the
server's table of live sessions (``app.storage.general``). A request is logged in only while
both agree and the session has not been idle longer than the configured hours. ``Log out``
removes the session from both, so the old cookie no longer logs anyone in. The password is
checked by crpm_core (Argon2), never here.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import quote, urlsplit

import attrs
from nicegui import Client, app, ui
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crpm_core import CRPM, errors
from crpm_ui.feedback import DATABASE_DOWN, db

__all__ = [
    "LOGIN_ROUTE",
    "AuthGate",
    "SessionPolicy",
    "current_user",
    "log_in",
    "log_out",
    "login_page",
    "safe_target",
]

LOGIN_ROUTE = "/login"
USER_KEY = "crpm_login"
SESSIONS_KEY = "crpm_sessions"
SEEN_EVERY = 60.0
"""Seconds between two updates of a session's last use (spares the storage files)."""
FIRST_OWNER = "crpm user add NAME --role owner"


@attrs.define
class SessionPolicy:
    """How long an idle session lives (``crpm-ui --session-hours``)."""

    idle_hours: float = 8.0

    @property
    def idle_seconds(self) -> float:
        return self.idle_hours * 3600


POLICY = SessionPolicy()


def _sessions() -> dict[str, Any]:
    live = app.storage.general.get(SESSIONS_KEY)
    if not isinstance(live, dict):
        live = {}
        app.storage.general[SESSIONS_KEY] = live
    return live


def current_user(*, touch: bool = True) -> str | None:
    """The username of the logged-in browser of this request or page, or ``None``."""
    try:
        login = app.storage.user.get(USER_KEY)
    except (RuntimeError, AssertionError):  # no session (no storage secret, a bare test)
        return None
    if not isinstance(login, dict):
        return None
    sid, user, seen = login.get("sid"), login.get("user"), login.get("seen")
    live = _sessions().get(sid) if isinstance(sid, str) else None
    now = time.time()
    if (
        not isinstance(user, str)
        or not isinstance(seen, int | float)
        or not isinstance(live, dict)
        or live.get("user") != user
        or now - max(seen, float(live.get("seen", 0))) > POLICY.idle_seconds
    ):
        log_out()
        return None
    if touch and isinstance(sid, str) and now - seen > SEEN_EVERY:
        app.storage.user[USER_KEY] = {**login, "seen": now}
        _sessions()[sid] = {**live, "seen": now}
        app.storage.general[SESSIONS_KEY] = _sessions()
    return user


def log_in(username: str) -> None:
    """Start a session for ``username`` (after crpm_core accepted the password)."""
    log_out()
    now = time.time()
    sid = secrets.token_urlsafe(32)
    live = _sessions()
    # Sessions idle past their time are dropped whenever someone logs in.
    for old in [k for k, v in live.items() if now - float(v.get("seen", 0)) > POLICY.idle_seconds]:
        del live[old]
    live[sid] = {"user": username, "seen": now}
    app.storage.general[SESSIONS_KEY] = live
    app.storage.user[USER_KEY] = {"sid": sid, "user": username, "seen": now}


def log_out() -> None:
    """End this browser's session on the server (every tab of it)."""
    try:
        login = app.storage.user.pop(USER_KEY, None)
    except (RuntimeError, AssertionError):
        return
    if isinstance(login, dict) and isinstance(login.get("sid"), str):
        live = _sessions()
        if live.pop(login["sid"], None) is not None:
            app.storage.general[SESSIONS_KEY] = live


def end_sessions_of(username: str) -> None:
    """End every session of ``username`` (deactivated, or their password was reset)."""
    live = _sessions()
    for sid in [k for k, v in live.items() if v.get("user") == username]:
        del live[sid]
    app.storage.general[SESSIONS_KEY] = live


def safe_target(target: object) -> str:
    """Where to go after logging in: a path of this app only (never another site)."""
    text = str(target or "/")
    parts = urlsplit(text)
    if (
        not text.startswith("/")
        or text.startswith("//")
        or "\\" in text
        or parts.scheme
        or parts.netloc
        or text.startswith(LOGIN_ROUTE)
        or any(ord(ch) < 32 for ch in text)
    ):
        return "/"
    return text


def login_url(path: str) -> str:
    target = safe_target(path)
    return LOGIN_ROUTE if target == "/" else f"{LOGIN_ROUTE}?redirect_to={quote(target, safe='/')}"


def open_paths() -> tuple[str, ...]:
    """What answers without a login: the login page, NiceGUI's own code (its scripts and
    styles, no data), its websocket, over which only a page already served talks, and the
    REST API, which has its own tokens."""
    from nicegui import __version__

    # /api/ checks a bearer token on every call itself (crpm_ui.api), and answers 401, never
    # a login page
    return (f"/_nicegui/{__version__}/", "/_nicegui_ws/", "/favicon.ico", "/api/")


class AuthGate(BaseHTTPMiddleware):
    """Every request that is not logged in goes to the login page, whatever it asks for
    (pages, downloads, uploads, anything added later)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if path == LOGIN_ROUTE or path.startswith(open_paths()):
            return await call_next(request)
        if current_user() is None:
            target = path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(login_url(target), status_code=303)
        return await call_next(request)


def _has_users(crm: CRPM) -> bool:
    return bool(crm.users.list(limit=1).total)


def login_page(crm: CRPM, *, title: str, language: Any) -> None:
    """Register the ``/login`` page for ``crm``."""

    @ui.page(LOGIN_ROUTE, title=f"Log in · {title}", language=language)
    async def page(redirect_to: str = "/") -> None:
        from crpm_ui import theme

        target = safe_target(redirect_to)
        if current_user() is not None:
            ui.navigate.to(target)
            return
        theme.style_only()
        try:
            has_users = await db(_has_users, crm)
        except errors.StorageError:
            has_users = True
            ui.label(DATABASE_DOWN).classes("text-negative").props('role="alert"')
        with (
            ui.column().classes("w-full items-center p-4"),
            ui.card().classes("w-full max-w-sm gap-3").props("flat bordered"),
        ):
            ui.label(f"Log in to {title}").classes("text-h5 font-medium").props(
                'role="heading" aria-level="1"'
            )
            if not has_users:
                ui.label(
                    "No account exists yet. The shop's owner creates the first one on "
                    f"the command line: {FIRST_OWNER} (or starts the app with --demo)."
                ).classes("crpm-muted").mark("no-account")
            username = (
                ui.input("Username")
                .props("outlined autocomplete=username autocapitalize=none spellcheck=false")
                .classes("w-full")
                .mark("login-username")
            )
            password = (
                ui.input("Password", password=True)
                .props("outlined autocomplete=current-password")
                .classes("w-full")
                .mark("login-password")
            )
            problem = ui.label("").classes("text-negative").props('role="alert"')
            problem.mark("login-error")

            async def submit() -> None:
                problem.text = ""
                name = (username.value or "").strip()
                secret = password.value or ""
                try:
                    user = await db(crm.users.authenticate, name, secret)
                except errors.AuthenticationFailed as exc:
                    password.value = ""
                    problem.text = (
                        "Wrong username or password. The account is locked for 15 "
                        "minutes after 5 failed attempts; try again later."
                        if exc.locked
                        else "Wrong username or password."
                    )
                    return
                except errors.StorageError:
                    problem.text = DATABASE_DOWN
                    return
                log_in(user.username)
                ui.navigate.to(target)

            for field in (username, password):
                field.on("keydown.enter", submit)
            ui.button("Log in", icon="login", on_click=submit).classes("w-full").mark(
                "login-submit"
            )


def close_pages_of_this_browser(me: Client) -> None:
    """Send the other open tabs of the browser of ``me`` to the login page."""
    browser = _browser_id(me)
    if browser is None:
        return
    for client in list(Client.instances.values()):
        if client is me or _browser_id(client) != browser or not client.has_socket_connection:
            continue
        with client:
            ui.navigate.to(LOGIN_ROUTE)


def _browser_id(client: Client) -> str | None:
    try:
        value = client.request.session.get("id") if client.request is not None else None
    except (AssertionError, AttributeError):
        return None
    return value if isinstance(value, str) else None
