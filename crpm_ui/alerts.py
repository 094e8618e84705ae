"""Low-stock alerts: when a sale takes a product to or below its reorder point, every
logged-in owner and manager gets a notification, once per crossing.

How: each app process runs one :class:`LowStockWatch`, an app-level timer that asks
``crm.products.low_stock()`` (one indexed query) every :data:`INTERVAL` seconds and notifies
the owners and managers connected to *this* process of the products that are newly in that
set. A product that leaves the set (restocked, a return, a new reorder point) and falls back
in alerts again; one still in it does not. Products already low when the process starts do
not alert (nobody just sold them there).

Why a poll and not a hook after each order: a sale may be committed by another app process,
the REST API, a CSV import or the command line, none of which can reach the browsers
connected to this process; the database is what every process shares. Each browser tab is
connected to exactly one process, so each is told once. The cost is a short delay (at most
:data:`INTERVAL` seconds) and that a product that falls and recovers between two polls is
not reported, which for "time to reorder" is what a shop wants.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from nicegui import Client, app, run, ui
from nicegui.storage import request_contextvar

from crpm_core import CRPM, Product, errors
from crpm_core.domain import staff
from crpm_ui import auth

__all__ = ["INTERVAL", "LowStockWatch", "message", "start", "user_of"]

log = logging.getLogger("crpm_ui.alerts")

INTERVAL = 5.0
"""Seconds between two looks at the low-stock set."""
ALERTED = "products.update"
"""Who is told: the roles that may change a product (restock it, set its reorder point):
owners and managers."""

_running: list[LowStockWatch] = []


def message(products: Sequence[Product]) -> str:
    """One notification for the products that just became low."""
    if len(products) == 1:
        p = products[0]
        return f"Low on stock: {p.name} is down to {p.stock:,}. Time to reorder."
    names = ", ".join(f"{p.name} ({p.stock:,})" for p in products[:5])
    more = f" and {len(products) - 5:,} more" if len(products) > 5 else ""
    return f"Low on stock: {names}{more}. Time to reorder."


def user_of(client: Client) -> str | None:
    """The username logged in in ``client``'s browser (checked as every request is), or
    ``None``."""
    request = client.request
    if request is None:
        return None
    token = request_contextvar.set(request)
    try:
        return auth.current_user(touch=False)
    except (KeyError, AssertionError, RuntimeError):  # no session (yet) for this client
        return None
    except auth.SessionsUnavailable:  # Redis is down: no one is known to alert until it is back
        return None
    finally:
        request_contextvar.reset(token)


class LowStockWatch:
    """This process's watch on the low-stock set (see the module's docstring)."""

    def __init__(self, crm: CRPM, interval: float = INTERVAL) -> None:
        self.crm = crm
        self.interval = interval
        self.known: set[int] | None = None
        """The ids low at the last look (``None``: not looked yet)."""
        self.timer: Any = None

    def run(self) -> None:
        """Look every ``interval`` seconds from now on (once started, or when the app
        starts); nothing if already running or replaced by a newer watch."""
        if self.timer is None and self in _running:
            self.timer = app.timer(self.interval, self.poll)

    async def poll(self) -> list[Product]:
        """Look once; notify the owners and managers connected here of the products newly
        low, and return those products."""
        try:
            low = await run.io_bound(self.crm.products.low_stock)
        except errors.StorageError:
            return []  # the database is away: look again next time
        if low is None:  # the app is shutting down
            return []
        now = {p.id for p in low}
        if self.known is None:  # the first look: what is low already is no news
            self.known = now
            return []
        fresh = [p for p in low if p.id not in self.known]
        self.known = now
        if fresh:
            await self.notify(fresh)
        return fresh

    async def notify(self, products: Sequence[Product]) -> None:
        text = message(products)
        for client in await self.recipients(list(Client.instances.values())):
            with client:
                ui.notify(
                    text,
                    # Quasar's "warning" type writes dark text on the warning colour (2.5:1);
                    # white text and a white Dismiss button on it have 6:1 (WCAG AA).
                    color="warning",
                    textColor="white",
                    icon="inventory",
                    multi_line=True,
                    timeout=0,
                    actions=[{"label": "Dismiss", "color": "white", "noCaps": True}],
                )

    async def recipients(self, clients: Iterable[Client]) -> list[Client]:
        """The connected clients whose logged-in user's role may hear of low stock."""
        users: dict[Client, str] = {}
        for client in clients:
            if client.has_socket_connection and (name := user_of(client)) is not None:
                users[client] = name
        roles = await run.io_bound(self._roles, set(users.values()))
        found = roles or {}
        return [
            c
            for c, name in users.items()
            if (role := found.get(name)) is not None and staff.may(role, ALERTED)
        ]

    def _roles(self, usernames: set[str]) -> dict[str, str | None]:
        roles: dict[str, str | None] = {}
        for name in usernames:
            try:
                roles[name] = self.crm.as_user(name).role
            except errors.CRPMError:  # deactivated since the login, or the database is away
                roles[name] = None
        return roles


def start(crm: CRPM, *, interval: float | None = None) -> LowStockWatch:
    """Start this process's watch on ``crm`` with the app (a second call replaces the
    first, as a test's fresh ``setup`` does)."""
    for old in _running:
        if old.timer is not None:
            old.timer.cancel()
    _running.clear()
    watch = LowStockWatch(crm, INTERVAL if interval is None else interval)
    _running.append(watch)
    if app.is_started:  # set up on a running app (the tests): start with the first page
        app.on_connect(watch.run)
    else:
        watch.run()
    return watch
