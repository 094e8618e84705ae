"""Fixtures of the app's tests: a fresh SQLite file per test and the app set up on it."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from nicegui.testing import User

import crpm_core
from crpm_core import CRPM


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[CRPM]:
    """A CRPM handle on an empty SQLite database of this test alone."""
    handle = crpm_core.connect(f"sqlite:///{tmp_path / 'shop.db'}")
    yield handle
    handle.close()


@pytest.fixture
def app_user(user: User, shop: CRPM) -> User:
    """NiceGUI's simulated user on the app's pages, served from ``shop``."""
    # NiceGUI's fixture drops the page modules from sys.modules after each test,
    # so the app is imported afresh here, as a server process would.
    importlib.import_module("crpm_ui.app").setup(shop)
    return user
