"""Fixtures of the app's tests: a fresh SQLite file per test and the app set up on it, with
an owner logged in (``app_user``) or nobody (``guest``)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from nicegui.testing import User

import crpm_core
from crpm_core import CRPM
from tests.ui.helpers import log_in

OWNER = ("olivia", "owner-password-1")
MANAGER = ("mark", "manager-password-1")
CLERK = ("clara", "clerk-password-1")


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[CRPM]:
    """A CRPM handle on an empty SQLite database of this test alone, with an owner, a
    manager and a clerk."""
    handle = crpm_core.connect(f"sqlite:///{tmp_path / 'shop.db'}")
    for (username, password), role in zip(
        (OWNER, MANAGER, CLERK), ("owner", "manager", "clerk"), strict=True
    ):
        handle.users.add(username=username, password=password, role=role)
    yield handle
    handle.close()


@pytest.fixture
def guest(user: User, shop: CRPM) -> User:
    """NiceGUI's simulated user on the app's pages, served from ``shop``, not logged in."""
    # NiceGUI's fixture drops the page modules from sys.modules after each test,
    # so the app is imported afresh here, as a server process would.
    importlib.import_module("crpm_ui.app").setup(shop)
    return user


@pytest.fixture
async def app_user(guest: User) -> User:
    """The simulated user, logged in as the shop's owner (who may see and do everything)."""
    await log_in(guest, *OWNER)
    return guest


@pytest.fixture
async def clerk(guest: User) -> User:
    await log_in(guest, *CLERK)
    return guest


@pytest.fixture
async def manager(guest: User) -> User:
    await log_in(guest, *MANAGER)
    return guest
