"""Logging in and out: the login page, the session, and the gate in front of every route.

A login keeps ``{"sid", "user", "seen"}`` in the browser's server-side storage
(``app.storage.user``, found through the signed session cookie) and its session id in the
table of live sessions (a :class:`SessionStore`). A request is logged in only while both agree
and the session has not been idle longer than the configured hours. ``Log out`` removes the
session from both, so the old cookie no longer logs anyone in. The password is checked by
crpm_core (Argon2), never here.

One process keeps the live sessions in NiceGUI's general storage (:class:`LocalSessions`).
Several processes behind a load balancer keep them in Redis, one key per session
(:class:`RedisSessions`), so that any process knows every session and a log-out ends it
everywhere at once; NiceGUI's own storage is then in Redis too (``NICEGUI_REDIS_URL``).
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, cast
from urllib.parse import quote, urlsplit

import attrs
from nicegui import Client, app, ui
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from crpm_core import CRPM, errors
from crpm_ui.feedback import DATABASE_DOWN, db

__all__ = [
    "LOGIN_ROUTE",
    "AuthGate",
    "LocalSessions",
    "RedisSessions",
    "SessionPolicy",
    "SessionStore",
    "SessionsUnavailable",
    "current_user",
    "log_in",
    "log_out",
    "login_page",
    "safe_target",
    "use_sessions",
]

log = logging.getLogger("crpm_ui.auth")

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


SESSIONS_DOWN = (
    "Logins cannot be checked right now (the session store does not answer). Try again in a moment."
)


class SessionsUnavailable(Exception):
    """The shared table of sessions cannot be reached (Redis does not answer)."""


class SessionStore(Protocol):
    """The table of live sessions: session id → ``{"user", "seen"}``."""

    def get(self, sid: str) -> dict[str, Any] | None: ...
    def put(self, sid: str, record: dict[str, Any]) -> None: ...
    def drop(self, sid: str) -> None: ...
    def drop_user(self, username: str) -> None: ...
    def prune(self, now: float) -> None:
        """Forget the sessions idle longer than the policy allows."""


class LocalSessions:
    """The live sessions of one process, in NiceGUI's general storage (a file, 0600)."""

    def _live(self) -> dict[str, Any]:
        live = app.storage.general.get(SESSIONS_KEY)
        if not isinstance(live, dict):
            live = {}
            app.storage.general[SESSIONS_KEY] = live
        return live

    def _save(self, live: dict[str, Any]) -> None:
        app.storage.general[SESSIONS_KEY] = live

    def get(self, sid: str) -> dict[str, Any] | None:
        record = self._live().get(sid)
        return record if isinstance(record, dict) else None

    def put(self, sid: str, record: dict[str, Any]) -> None:
        live = self._live()
        live[sid] = record
        self._save(live)

    def drop(self, sid: str) -> None:
        live = self._live()
        if live.pop(sid, None) is not None:
            self._save(live)

    def drop_user(self, username: str) -> None:
        live = self._live()
        for sid in [k for k, v in live.items() if v.get("user") == username]:
            del live[sid]
        self._save(live)

    def prune(self, now: float) -> None:
        live = self._live()
        idle = POLICY.idle_seconds
        for old in [k for k, v in live.items() if now - float(v.get("seen", 0)) > idle]:
            del live[old]
        self._save(live)


class RedisSessions:
    """The live sessions of every process, in Redis: one key per session that expires when
    the session would, and one set per user (to end all of a user's sessions)."""

    def __init__(self, url: str, key_prefix: str = "nicegui:") -> None:
        import redis

        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=5, health_check_interval=10, decode_responses=True
        )
        self._prefix = f"{key_prefix}crpm-"

    def _key(self, sid: str) -> str:
        return f"{self._prefix}session:{sid}"

    def _user_key(self, username: str) -> str:
        return f"{self._prefix}user-sessions:{username}"

    @contextmanager
    def _reached(self) -> Iterator[None]:
        """Turn Redis' own errors into :class:`SessionsUnavailable`."""
        import redis

        try:
            yield
        except redis.RedisError as exc:
            raise SessionsUnavailable(str(exc)) from exc

    @staticmethod
    def _ttl() -> int:
        """Seconds a session key outlives its last use: the idle time, and a little more
        (a session's end is decided by its ``seen`` time; the expiry only tidies up)."""
        return math.ceil(POLICY.idle_seconds + 2 * SEEN_EVERY)

    def get(self, sid: str) -> dict[str, Any] | None:
        with self._reached():
            raw = cast("str | None", self._client.get(self._key(sid)))
        if raw is None:
            return None
        try:
            record = json.loads(raw)
        except ValueError:
            return None
        return record if isinstance(record, dict) else None

    def put(self, sid: str, record: dict[str, Any]) -> None:
        ttl = self._ttl()
        user_key = self._user_key(str(record.get("user")))
        with self._reached(), self._client.pipeline() as pipe:
            pipe.set(self._key(sid), json.dumps(record), ex=ttl)
            pipe.sadd(user_key, sid)
            pipe.expire(user_key, ttl)
            pipe.execute()

    def drop(self, sid: str) -> None:
        record = self.get(sid)
        with self._reached(), self._client.pipeline() as pipe:
            pipe.delete(self._key(sid))
            if record is not None:
                pipe.srem(self._user_key(str(record.get("user"))), sid)
            pipe.execute()

    def drop_user(self, username: str) -> None:
        user_key = self._user_key(username)
        with self._reached():
            sids = cast("set[str]", self._client.smembers(user_key))
            self._client.delete(user_key, *(self._key(sid) for sid in sids))

    def prune(self, now: float) -> None:
        """Nothing to do: each session's key expires by itself."""


_STORE: SessionStore = LocalSessions()


def use_sessions(store: SessionStore) -> None:
    """Keep the live sessions in ``store`` (``setup`` calls it; the default is local)."""
    global _STORE
    _STORE = store


def current_user(*, touch: bool = True) -> str | None:
    """The username of the logged-in browser of this request or page, or ``None``."""
    try:
        login = app.storage.user.get(USER_KEY)
    except (RuntimeError, AssertionError):  # no session (no storage secret, a bare test)
        return None
    if not isinstance(login, dict):
        return None
    sid, user, seen = login.get("sid"), login.get("user"), login.get("seen")
    live = _STORE.get(sid) if isinstance(sid, str) else None
    now = time.time()
    if (
        not isinstance(user, str)
        or not isinstance(seen, int | float)
        or live is None
        or live.get("user") != user
        or now - max(seen, float(live.get("seen", 0))) > POLICY.idle_seconds
    ):
        log_out()
        return None
    if touch and isinstance(sid, str) and now - seen > SEEN_EVERY:
        app.storage.user[USER_KEY] = {**login, "seen": now}
        _STORE.put(sid, {**live, "seen": now})
    return user


def log_in(username: str) -> None:
    """Start a session for ``username`` (after crpm_core accepted the password)."""
    log_out()
    now = time.time()
    sid = secrets.token_urlsafe(32)
    # Sessions idle past their time are dropped whenever someone logs in.
    _STORE.prune(now)
    _STORE.put(sid, {"user": username, "seen": now})
    app.storage.user[USER_KEY] = {"sid": sid, "user": username, "seen": now}


def log_out() -> None:
    """End this browser's session on the server (every tab of it, every process)."""
    try:
        login = app.storage.user.pop(USER_KEY, None)
    except (RuntimeError, AssertionError):
        return
    if isinstance(login, dict) and isinstance(login.get("sid"), str):
        _STORE.drop(login["sid"])


def end_sessions_of(username: str) -> None:
    """End every session of ``username`` (deactivated, or their password was reset)."""
    _STORE.drop_user(username)


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
        try:
            who = current_user()
        except SessionsUnavailable as exc:
            log.warning("the session store does not answer: %s", exc)
            return PlainTextResponse(SESSIONS_DOWN, status_code=503, headers={"Retry-After": "10"})
        if who is None:
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
                try:
                    log_in(user.username)
                except SessionsUnavailable:
                    problem.text = SESSIONS_DOWN
                    return
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
