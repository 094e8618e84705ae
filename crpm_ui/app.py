"""The pages of the app, registered for one CRPM handle.

``setup(crm)`` is all a server (``crpm_ui.main``) or a test (NiceGUI's ``user`` fixture) calls:
it finds the page modules, gives each its route inside the shared frame, puts the login in
front of every route, and makes sure no error reaches the user as a traceback.

Each page acts as the logged-in user (``crm.as_user``): crpm_core refuses what their role may
not do, whatever the page shows or a forged request asks.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Sequence
from typing import Any

from nicegui import app, ui
from nicegui.language import Language
from starlette.middleware import Middleware

from crpm_core import CRPM, errors
from crpm_ui import alerts, api, auth, downloads, security, theme
from crpm_ui.context import PageContext
from crpm_ui.feedback import DATABASE_DOWN, GENERIC_MESSAGE, db, denied
from crpm_ui.registry import PageModule, load_modules

__all__ = ["LANGUAGE", "setup"]

LANGUAGE: Language = "en-US"

log = logging.getLogger("crpm_ui")


def setup(
    crm: CRPM,
    modules: Sequence[PageModule] | None = None,
    *,
    hardening: security.Hardening | None = None,
    idle_hours: float | None = None,
    sessions: auth.SessionStore | None = None,
) -> list[PageModule]:
    """Register the login page and every page module's route for ``crm``, behind the login
    gate and the security guard; returns the modules in nav order. Call it before the
    server starts (NiceGUI's ``user`` fixture: before the first ``open``). ``sessions``: where
    the live sessions are kept (default: this process's storage; several processes share
    :class:`auth.RedisSessions`)."""
    found = list(modules) if modules is not None else load_modules()
    if idle_hours is not None:
        auth.POLICY.idle_hours = idle_hours
    auth.use_sessions(sessions if sessions is not None else auth.LocalSessions())
    auth.login_page(crm, title=theme.APP_NAME, language=LANGUAGE)
    downloads.register(crm)
    alerts.start(crm)
    downloads.register_receipts(crm)
    api.mount(crm)  # /api: its own bearer tokens and problem documents, no login page
    for module in found:
        _register(crm, module, found)
    # Innermost, so that NiceGUI's session and request tracking (added by ui.run, before or
    # after this) have run when the gate looks at the session.
    app.user_middleware.append(Middleware(auth.AuthGate))
    _guard(hardening or security.Hardening())
    app.on_exception(_on_exception)
    app.on_page_exception(_error_page)
    return found


def _guard(hardening: security.Hardening) -> None:
    """Wrap the whole application (outside every middleware) in the security guard."""
    build = getattr(app, "_crpm_build_middleware_stack", None)
    if build is None:  # the first setup in this process (tests call it once per test)
        build = app.build_middleware_stack
        app._crpm_build_middleware_stack = build  # type: ignore[attr-defined]

    def guarded_stack() -> Any:
        return security.Guard(build(), hardening)

    app.build_middleware_stack = guarded_stack  # type: ignore[method-assign]
    app.middleware_stack = None


def _register(crm: CRPM, module: PageModule, modules: Sequence[PageModule]) -> None:
    @ui.page(module.route, title=f"{module.title} · {theme.APP_NAME}", language=LANGUAGE)
    async def page() -> None:
        username = auth.current_user()
        if username is None:  # the gate sent the browser here logged in; it ended meanwhile
            ui.navigate.to(auth.login_url(module.route))
            return
        try:
            acting = await db(crm.as_user, username)
        except errors.PermissionDenied:  # deactivated (or removed) since the login
            auth.log_out()
            ui.navigate.to(auth.LOGIN_ROUTE)
            return
        ctx = PageContext(crm=acting, module=module, username=username)
        visible = [m for m in modules if ctx.may_see(m)]
        with theme.frame(ctx, visible):
            if not ctx.may_see(module):
                needed = str(getattr(module, "permission", ""))
                ui.label(f"{denied(needed)}, so this page is not shown.").mark("not-allowed")
                ui.link("Back to the dashboard", "/")
                return
            built = module.build(ctx)
            if inspect.isawaitable(built):
                await built


def _on_exception(exc: Exception) -> None:
    """Last line of defence for errors no handler caught: a generic message, never a
    traceback (NiceGUI's own handler has logged it already)."""
    try:
        ui.notify(GENERIC_MESSAGE, type="negative")
    except Exception:  # no page to tell (a background task)
        log.debug("no page to notify about %r", exc)


def _error_page(exc: Exception) -> None:
    down = isinstance(exc, errors.StorageError)
    if down:
        log.warning("the database cannot be reached: %s", exc)
    else:
        log.error("a page failed to build", exc_info=exc)
    with ui.column().classes("w-full items-center p-8 gap-4"):
        ui.label("Sorry, this page could not be shown.").classes("text-h5").props(
            'role="heading" aria-level="1"'
        )
        ui.label(DATABASE_DOWN if down else GENERIC_MESSAGE).mark("error-message")
        ui.link("Back to the dashboard", "/")
    if down:  # the page comes back by itself when the database does
        ui.timer(10.0, lambda: ui.navigate.reload(), once=True)
