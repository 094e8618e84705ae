"""The login and the hardening over real HTTP, against the app started as a user would:
nothing answers before a login (pages and the CSV download), the security headers, hosts
and origins, log out, a login kept across a restart with the same secret, the demo owner, and
files readable by their owner only."""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from crpm_core import CRPM
from tests.browser.conftest import OWNER, log_in, logged_in_context, running_app
from tests.browser.test_app import ROUTES

pytestmark = pytest.mark.browser

CSV = "/downloads/stock-updates.csv?from=2024-01-01&to=2030-12-31"
HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def get(
    base_url: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One plain HTTP GET (no redirects followed, no cookies): status, headers, body."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.fixture
def fresh(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.mark.parametrize("path", [*ROUTES, CSV, "/customers?search=a", "/docs"])
def test_nothing_answers_before_a_login(
    base_url: str, seeded: CRPM, fresh: BrowserContext, path: str
) -> None:
    status, headers, body = get(base_url, path)
    assert status == 303, path
    assert headers["location"].startswith("/login")
    assert b"Maeve" not in body and b"Espresso" not in body
    page = fresh.new_page()
    page.goto(base_url + path)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert urlsplit(page.url).path == "/login"
    assert "Maeve" not in page.content()


def test_the_csv_download_answers_once_logged_in(
    browser: Browser, base_url: str, seeded: CRPM
) -> None:
    context = logged_in_context(browser, base_url)
    try:
        response = context.request.get(base_url + CSV, max_redirects=0)
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "Espresso beans 1kg" in response.text()
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/login", "/", "/customers"])
def test_every_response_carries_the_security_headers(base_url: str, path: str) -> None:
    _, headers, _ = get(base_url, path)
    for name, value in HEADERS.items():
        assert value in headers.get(name, ""), (path, name)


def test_a_foreign_host_and_a_foreign_origin_are_refused(base_url: str) -> None:
    status, _, _ = get(base_url, "/login", {"Host": "evil.example"})
    assert 400 <= status < 500
    status, _, _ = get(base_url, "/login", {"Host": "localhost:8080"})
    assert status == 200
    socket = "/_nicegui_ws/socket.io/?EIO=4&transport=polling"
    host = urlsplit(base_url).netloc
    status, _, _ = get(base_url, socket, {"Origin": "http://evil.example"})
    assert status == 403
    status, _, _ = get(base_url, socket, {"Origin": f"http://{host}"})
    assert status == 200


def test_log_out_makes_the_old_cookie_useless(browser: Browser, base_url: str, shop: CRPM) -> None:
    context = logged_in_context(browser, base_url)
    cookies = context.cookies()
    page = context.new_page()
    page.goto(base_url + "/customers")
    expect(page.get_by_text(OWNER[0], exact=True)).to_be_visible()
    expect(page.get_by_text("Owner", exact=True)).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    context.close()

    thief = browser.new_context()
    try:
        thief.add_cookies(cookies)  # type: ignore[arg-type]
        stolen = thief.new_page()
        stolen.goto(base_url + "/customers")
        expect(stolen.get_by_role("button", name="Log in")).to_be_visible()
        assert urlsplit(stolen.url).path == "/login"
    finally:
        thief.close()


def test_the_session_cookie_is_httponly_and_samesite_lax(
    browser: Browser, base_url: str, shop: CRPM
) -> None:
    context = logged_in_context(browser, base_url)
    try:
        [session] = [c for c in context.cookies() if c["name"] == "session"]
        assert session["httpOnly"] is True
        assert session["sameSite"] == "Lax"
    finally:
        context.close()


def test_the_same_secret_keeps_a_login_across_a_restart(browser: Browser, tmp_path: Path) -> None:
    import crpm_core

    db = tmp_path / "restart.db"
    env = {"CRPM_SECRET": "a-fixed-secret-for-this-test-only-0123456789"}
    with running_app(db, env=env) as url:
        with crpm_core.connect(f"sqlite:///{db}") as crm:
            crm.users.add(username=OWNER[0], password=OWNER[1], role="owner")
        context = logged_in_context(browser, url)
        cookies = context.cookies()
        context.close()
    assert not (tmp_path / "restart.db.secret").exists()  # the secret came from the variable

    with running_app(db, env=env) as url:
        again = browser.new_context()
        again.add_cookies(cookies)  # type: ignore[arg-type]
        page = again.new_page()
        page.goto(url + "/customers")
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
        again.close()

    with running_app(db, env={"CRPM_SECRET": "another-secret-entirely-9876543210"}) as url:
        other = browser.new_context()
        other.add_cookies(cookies)  # type: ignore[arg-type]
        page = other.new_page()
        page.goto(url + "/customers")
        expect(page.get_by_role("button", name="Log in")).to_be_visible()
        other.close()


def test_demo_prints_a_login_that_works(browser: Browser, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    with running_app(db, "--demo", log_name="demo.log") as url:
        deadline = time.monotonic() + 20
        found = None
        while found is None and time.monotonic() < deadline:
            text = (tmp_path / "demo.log").read_text(errors="replace")
            found = re.search(r"Log in as demo with password (\S+)", text)
            time.sleep(0.1)
        assert found is not None, text
        context = browser.new_context()
        context.set_default_timeout(10_000)
        page = context.new_page()
        log_in(page, url, "demo", found.group(1))
        expect(page.get_by_text("Owner", exact=True)).to_be_visible()
        context.close()


def test_without_a_user_the_app_starts_and_says_how_to_make_one(
    browser: Browser, tmp_path: Path
) -> None:
    db = tmp_path / "empty.db"
    with running_app(db, log_name="empty.log") as url:
        page = browser.new_page()
        page.goto(url + "/")
        expect(page.get_by_text("No account exists yet")).to_be_visible()
        page.close()
    assert "crpm user add NAME --role owner" in (tmp_path / "empty.log").read_text()


def test_the_files_the_app_made_are_its_owners_only(
    browser: Browser, base_url: str, app_db: Path, shop: CRPM
) -> None:
    context = logged_in_context(browser, base_url)  # a login writes NiceGUI's storage
    context.close()
    time.sleep(1.5)  # NiceGUI writes its storage files a moment later
    folder = app_db.parent
    made = [app_db, Path(f"{app_db}.secret")]
    made += [p for p in (Path(f"{app_db}-wal"), Path(f"{app_db}-shm")) if p.exists()]
    storage = list((folder / ".nicegui").glob("storage-*.json"))
    assert storage, "NiceGUI stored nothing"
    for path in made + storage:
        assert path.stat().st_mode & 0o077 == 0, f"{path.name} is {oct(path.stat().st_mode)}"
    assert (folder / ".nicegui").stat().st_mode & 0o077 == 0
