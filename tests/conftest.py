"""Fixtures: a CRPM handle on every selected backend, emptied between tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import URL

import crpm_core
from crpm_core import CRPM
from tests.databases import selected_backends, temporary_database
from tests.helpers import wipe

# Browser tests drive a real Chromium with Playwright; their event loop clashes with
# NiceGUI's test fixtures, so they run in their own process: `pytest tests/browser`.
collect_ignore = ["browser"]

# NiceGUI's `user` fixture for the app's tests in tests/ui (pytest allows this only here).
pytest_plugins = ["nicegui.testing.user_plugin"]

settings.register_profile(
    "default",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    parent=settings.get_profile("default"),
    derandomize=False,
    print_blob=True,
)
settings.load_profile("default")

BACKENDS = selected_backends()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, URL]]:
    """One throw-away database per backend for this run (per xdist worker)."""
    from contextlib import ExitStack

    tmp_dir: Path = tmp_path_factory.mktemp("db")
    with ExitStack() as stack:
        yield {b: stack.enter_context(temporary_database(b, tmp_dir)) for b in BACKENDS}


@pytest.fixture(scope="session")
def _handles(database_urls: dict[str, URL]) -> Iterator[dict[str, CRPM]]:
    handles = {b: crpm_core.connect(url) for b, url in database_urls.items()}
    yield handles
    for h in handles.values():
        h.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def crm(backend: str, _handles: dict[str, CRPM]) -> Iterator[CRPM]:
    """A CRPM handle on an empty database of ``backend``."""
    handle = _handles[backend]
    wipe(handle)
    yield handle


@pytest.fixture
def db_url(backend: str, database_urls: dict[str, URL]) -> URL:
    return database_urls[backend]
