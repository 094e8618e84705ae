"""The pages of the app, registered for one CRPM handle.

``setup(crm)`` is all a server (``crpm_ui.main``) or a test (NiceGUI's ``user`` fixture) calls:
it finds the page modules, gives each its route inside the shared frame, and makes sure no
error reaches the user as a traceback.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Sequence

from nicegui import app, ui
from nicegui.language import Language

from crpm_core import CRPM
from crpm_ui import theme
from crpm_ui.context import PageContext
from crpm_ui.feedback import GENERIC_MESSAGE
from crpm_ui.registry import PageModule, load_modules

__all__ = ["LANGUAGE", "setup"]

LANGUAGE: Language = "en-US"

log = logging.getLogger("crpm_ui")


def setup(crm: CRPM, modules: Sequence[PageModule] | None = None) -> list[PageModule]:
    """Register every page module's route for ``crm``; returns the modules in nav order."""
    found = list(modules) if modules is not None else load_modules()
    for module in found:
        _register(crm, module, found)
    app.on_exception(_on_exception)
    app.on_page_exception(_error_page)
    return found


def _register(crm: CRPM, module: PageModule, modules: Sequence[PageModule]) -> None:
    @ui.page(module.route, title=f"{module.title} · {theme.APP_NAME}", language=LANGUAGE)
    async def page() -> None:
        ctx = PageContext(crm=crm, module=module)
        with theme.frame(ctx, modules):
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
    log.error("a page failed to build", exc_info=exc)
    with ui.column().classes("w-full items-center p-8 gap-4"):
        ui.label("Sorry, this page could not be shown.").classes("text-h5").props(
            'role="heading" aria-level="1"'
        )
        ui.label(GENERIC_MESSAGE)
        ui.link("Back to the dashboard", "/")
