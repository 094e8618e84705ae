"""Small helpers of the app's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from nicegui import ui
from nicegui.testing import User


def element(user: User, marker: str) -> Any:
    """The one visible element marked ``marker``."""
    found = user.find(marker=marker).elements
    assert len(found) == 1, f"expected one element marked {marker!r}, found {len(found)}"
    return next(iter(found))


def table(user: User, marker: str) -> ui.table:
    found = element(user, marker)
    assert isinstance(found, ui.table)
    return found


async def until(check: Callable[[], bool], *, timeout: float = 3.0, what: str = "") -> None:
    """Wait (polling) until ``check()`` holds; the app works off the event loop."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.02)


def names(t: ui.table, field: str = "name") -> list[str]:
    return [str(row[field]) for row in t.rows]


async def log_in(user: User, username: str, password: str, *, then: str = "/") -> None:
    """Log in through the login page, as a person would; waits for the page after it."""
    await user.open("/login" if then == "/" else f"/login?redirect_to={then}")
    user.find(marker="login-username").type(username)
    user.find(marker="login-password").type(password)
    user.find(marker="login-submit").click()
    await until(
        lambda: user.back_history[-1:] == [then] and bool(user.find(marker="page-title").elements),
        what=f"{username} to be logged in",
        timeout=10.0,  # the password's Argon2 check is slow on a busy machine
    )
