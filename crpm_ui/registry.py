"""The page modules of the app, found through the entry-point group ``crpm_ui.modules``.

A module is a small value: a title, an icon, a route and a function that builds the page's
content inside the shared frame. Any installed package adds a page by declaring::

    [project.entry-points."crpm_ui.modules"]
    suppliers = "my_package.suppliers:module"

where ``module`` is a :class:`Module`. The navigation is drawn from what this finds.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    from crpm_ui.context import PageContext

__all__ = ["ENTRY_POINT_GROUP", "Builder", "Module", "PageModule", "load_modules"]

ENTRY_POINT_GROUP = "crpm_ui.modules"

BUILTIN = {
    "dashboard": "crpm_ui.modules.dashboard:module",
    "customers": "crpm_ui.modules.customers:module",
    "products": "crpm_ui.modules.products:module",
    "purchases": "crpm_ui.modules.purchases:module",
    "analytics": "crpm_ui.modules.analytics:module",
    "users": "crpm_ui.modules.users:module",
    "audit": "crpm_ui.modules.audit:module",
    "orders": "crpm_ui.modules.orders:module",
    "customer_page": "crpm_ui.modules.customer_page:module",
    "product_page": "crpm_ui.modules.product_page:module",
    "settings": "crpm_ui.modules.settings:module",
    "insights": "crpm_ui.modules.insights:module",
}
"""The app's own pages (also declared as entry points): always there, even when the
installed package's metadata is older than its code (an editable install)."""

log = logging.getLogger(__name__)

Builder = Callable[["PageContext"], Awaitable[None] | None]
"""Builds a page's content; may be a plain or an ``async`` function."""


@runtime_checkable
class PageModule(Protocol):
    """What the app needs of a page module (a :class:`Module` or any look-alike)."""

    @property
    def title(self) -> str: ...
    @property
    def icon(self) -> str: ...
    @property
    def route(self) -> str: ...
    @property
    def build(self) -> Builder: ...
    @property
    def order(self) -> int: ...


@attrs.frozen
class Module:
    """One page of the app and its entry in the navigation."""

    title: str
    icon: str
    route: str
    build: Builder
    order: int = 100
    """Position in the navigation: lower comes first, ties by title."""
    permission: str | None = None
    """What the user's role must be allowed (``crpm_core.domain.staff.PERMISSIONS``) to see
    the page; ``None``: every logged-in user."""
    section: str | None = None
    """The route of the list page this one belongs to, whose navigation link is marked
    current here (``/purchases`` for ``/orders/{order_id}``); ``None``: the route's own
    prefix (``/customers`` for ``/customers/{customer_id}``)."""

    def __attrs_post_init__(self) -> None:
        if not self.route.startswith("/"):
            raise ValueError(f"the route of module {self.title!r} must start with '/'")


def load_modules(found: Iterable[EntryPoint] | None = None) -> list[PageModule]:
    """Every module registered under ``crpm_ui.modules``, in navigation order.

    A broken plugin (import error, wrong object, duplicate route) is logged and left out,
    so one bad package cannot take the whole app down.
    """
    if found is None:
        points = list(entry_points(group=ENTRY_POINT_GROUP))
        known = {p.value for p in points}
        points += [
            EntryPoint(name, value, ENTRY_POINT_GROUP)
            for name, value in BUILTIN.items()
            if value not in known
        ]
    else:
        points = list(found)
    modules: dict[str, PageModule] = {}
    for point in sorted(points, key=lambda p: p.name):
        try:
            loaded = point.load()
        except Exception:
            log.warning("could not load the page module %r (%s)", point.name, point.value)
            continue
        # Checked by shape, not class: a re-imported crpm_ui (as test runners do) has a new class.
        if not isinstance(loaded, PageModule) or not str(loaded.route).startswith("/"):
            log.warning("the page module %r is not a crpm_ui.registry.Module", point.name)
            continue
        if loaded.route in modules:
            log.warning("the page module %r repeats the route %s", point.name, loaded.route)
            continue
        modules[loaded.route] = loaded
    return sorted(modules.values(), key=lambda m: (m.order, m.title))
