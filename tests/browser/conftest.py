"""The browser suite: the real app in a subprocess, driven by Debian's Chromium.

Run it on its own: ``pytest tests/browser`` (needs ``apt-get install chromium chromium-driver``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

import crpm_core
from crpm_core import CRPM

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"
# The tests never rewrite tracked files: screenshots go to a temporary folder unless
# CRPM_UPDATE_SCREENSHOTS=1 asks for the docs' own to be refreshed.
SCREENSHOTS = (
    DOCS_SCREENSHOTS
    if os.environ.get("CRPM_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="crpm-screenshots-"))
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited early with code {proc.returncode}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the app did not answer on port {port} within {timeout} s")


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "Chromium is missing: install Debian's browser with "
            "`apt-get install -y chromium chromium-driver` (never `playwright install`).",
            pytrace=False,
        )
    return path


OWNER = ("owner", "owner-password-1")
"""The owner every test logs in as (made by the ``shop`` fixture)."""


@contextmanager
def running_app(
    db: Path, *args: str, env: dict[str, str] | None = None, log_name: str = "app.log"
) -> Iterator[str]:
    """The app, started as a user would: ``python -m crpm_ui.main --db ... --port ...``
    (in the database's folder, without ``$CRPM_SECRET`` unless ``env`` gives one)."""
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "DISPLAY")}
    environ.pop("CRPM_SECRET", None)
    # The app of this checkout, whatever an editable install elsewhere points to.
    environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), environ.get("PYTHONPATH", "")) if p
    )
    environ.update(env or {})
    log = (db.parent / log_name).open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crpm_ui.main",
            "--db",
            f"sqlite:///{db}",
            "--port",
            str(port),
            *args,
        ],
        cwd=db.parent,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        output = (db.parent / log_name).read_text(errors="replace")
        assert "Traceback" not in output, output


@pytest.fixture(scope="session")
def app_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("app") / "shop.db"


@pytest.fixture(scope="session")
def base_url(app_db: Path) -> Iterator[str]:
    """The app on a database it creates itself (and its session secret beside it)."""
    with running_app(app_db) as url:
        yield url


@pytest.fixture(scope="session")
def shop(app_db: Path, base_url: str) -> Iterator[CRPM]:
    """A second handle on the app's database, to arrange data and check results; it makes
    the owner the tests log in as."""
    handle = crpm_core.connect(f"sqlite:///{app_db}")
    if not handle.users.list().total:
        handle.users.add(username=OWNER[0], password=OWNER[1], role="owner")
    yield handle
    handle.close()


def log_in(page: Page, base_url: str, username: str = OWNER[0], password: str = OWNER[1]) -> None:
    """Log in through the login page, as a person would (Enter in the password field)."""
    page.goto(base_url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    connected(page)


def connected(page: Page) -> None:
    """Wait until the page's websocket is up and its first questions (the drawer's state)
    are answered: a page closed before that leaves an error in the app's log."""
    page.wait_for_function("() => window.socket?.connected === true")
    page.wait_for_timeout(300)


def logged_in_context(browser: Browser, base_url: str, **options: object) -> BrowserContext:
    """A new browser (its own cookie, so its own session and stored dark mode), logged in
    as the owner."""
    context = browser.new_context(**options)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    log_in(context.new_page(), base_url)
    for page in context.pages:
        page.close()
    return context


@pytest.fixture(scope="session")
def seeded(shop: CRPM) -> CRPM:
    """A small shop with every state the pages can show: sales over several days, a cancelled
    sale, a product low on stock, an inactive product and an inactive customer. (Names sort
    after "Browser tea" and "Ada Lovelace", which the end-to-end test looks for on page 1.)"""
    now = datetime.now(UTC)
    maeve = shop.customers.add(
        name="Maeve Ní Bhriain", email="maeve@example.ie", phone="+353 1 555"
    )
    jose = shop.customers.add(name="José García", email="jose@example.es")
    quiet = shop.customers.add(name="Quentin Quiet", email="quentin@example.org")
    shop.customers.deactivate(quiet.id)
    beans = shop.products.add(name="Espresso beans 1kg", price="18.90", stock=80, sku="SKU-001")
    kettle = shop.products.add(name="Kettle", price="49.00", stock=9, sku="SKU-031")
    scale = shop.products.add(name="Scale", price="27.00", stock=3)
    old = shop.products.add(name="Teapot (old model)", price="29.90", stock=0, sku="SKU-014")
    shop.products.deactivate(old.id)
    sales = [(maeve, beans, 2, 1), (jose, kettle, 1, 3), (maeve, scale, 1, 6), (jose, beans, 3, 9)]
    sales += [(maeve, kettle, 1, 14), (jose, beans, 1, 20), (maeve, beans, 4, 27)]
    for customer, product, quantity, days_ago in sales:
        shop.purchases.record(
            customer_id=customer.id,
            product_id=product.id,
            quantity=quantity,
            purchased_at=now - timedelta(days=days_ago, hours=2),
        )
    undone = shop.purchases.record(customer_id=jose.id, product_id=kettle.id, quantity=2)
    shop.purchases.cancel(undone.id)
    return shop


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium: str) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    yield b
    b.close()
