"""Logging in and out, roles in the app, the Users and Audit pages, and the hardening that the
simulated client can see (headers, hosts, origins, a database that is down)."""

from __future__ import annotations

import importlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from nicegui import app, ui
from nicegui.testing import User

import crpm_core
from crpm_core import CRPM, errors
from crpm_ui import auth, security
from tests.ui.conftest import CLERK, MANAGER, OWNER
from tests.ui.helpers import element, log_in, table, until

ROUTES = ["/", "/customers", "/products", "/purchases", "/analytics", "/audit", "/users"]
LOGIN_TITLE = "Log in to CRPM"
HASHING = 50
"""Retries (of 0.1 s) for what follows an Argon2 hash, slow on a busy machine."""


def dialog_with(user: User, marker: str) -> ui.dialog:
    """The open dialog holding the element marked ``marker``."""
    found = element(user, marker)
    for parent in found.ancestors():
        if isinstance(parent, ui.dialog):
            return parent
    raise AssertionError(f"{marker} is not in a dialog")


# -- the gate ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        *ROUTES,
        "/customers?search=ada",
        "/downloads/stock-updates.csv?from=2025-01-01&to=2025-01-31",
        "/no-such-page",
        "/_nicegui/auto/static/x/file.csv",
        "/_nicegui/client/abc/upload/1",
        "/docs",
        "/openapi.json",
    ],
)
async def test_every_route_sends_a_logged_out_browser_to_the_login_page(
    guest: User, path: str
) -> None:
    response = await guest.http_client.get(path)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login")
    assert "customer" not in response.text.lower()
    await guest.open(path)
    await guest.should_see(LOGIN_TITLE)
    await guest.should_not_see(marker="page-title")


async def test_after_login_the_browser_goes_where_it_wanted(guest: User) -> None:
    await log_in(guest, *OWNER, then="/products")
    assert element(guest, "page-title").text == "Products"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil", "javascript:alert(1)"]
)
def test_only_a_path_of_the_app_is_a_target_after_login(target: str) -> None:
    assert auth.safe_target(target) == "/"
    assert auth.safe_target("/customers?search=x") == "/customers?search=x"


async def test_the_login_page_has_its_fields_and_enter_submits(guest: User, shop: CRPM) -> None:
    await guest.open("/login")
    await guest.should_see("Username")
    await guest.should_see("Password")
    await guest.should_see("Log in")
    guest.find(marker="login-username").type(OWNER[0])
    guest.find(marker="login-password").type(OWNER[1]).trigger("keydown.enter")
    await until(lambda: guest.back_history[-1:] == ["/"], what="the dashboard")
    await guest.should_see(marker="page-title")


async def test_a_wrong_password_says_so_and_logs_nobody_in(guest: User) -> None:
    await guest.open("/login")
    guest.find(marker="login-username").type(OWNER[0])
    guest.find(marker="login-password").type("not the password")
    guest.find(marker="login-submit").click()
    label = element(guest, "login-error")
    await until(lambda: "Wrong username or password" in label.text, what="the message")
    assert "locked" not in label.text
    response = await guest.http_client.get("/customers")
    assert response.status_code == 303


async def test_an_unknown_user_gets_the_same_message(guest: User) -> None:
    await guest.open("/login")
    guest.find(marker="login-username").type("nobody")
    guest.find(marker="login-password").type("whatever-password")
    guest.find(marker="login-submit").click()
    label = element(guest, "login-error")
    await until(lambda: label.text == "Wrong username or password.", what="the message")


async def test_a_locked_account_says_it_is_locked_even_with_the_right_password(
    guest: User, shop: CRPM
) -> None:
    for _ in range(5):
        with pytest.raises(errors.AuthenticationFailed):
            shop.users.authenticate(CLERK[0], "wrong password!")
    await guest.open("/login")
    guest.find(marker="login-username").type(CLERK[0])
    guest.find(marker="login-password").type(CLERK[1])
    guest.find(marker="login-submit").click()
    label = element(guest, "login-error")
    await until(lambda: "locked" in label.text, what="the lock message")
    assert label.text.startswith("Wrong username or password")
    assert (await guest.http_client.get("/")).status_code == 303


async def test_with_no_account_the_login_page_says_how_to_make_one(
    user: User, tmp_path: Path
) -> None:
    with crpm_core.connect(f"sqlite:///{tmp_path / 'empty.db'}") as empty:
        importlib.import_module("crpm_ui.app").setup(empty)
        await user.open("/")
        await user.should_see("No account exists yet")
        await user.should_see(marker="login-submit")
        assert auth.FIRST_OWNER in element(user, "no-account").text


# -- the header, log out, idle sessions ---------------------------------------------------------


async def test_the_header_names_the_user_and_the_role_in_words(app_user: User) -> None:
    await app_user.open("/customers")
    assert element(app_user, "who").text == OWNER[0]
    assert element(app_user, "role").text == "Owner"
    await app_user.should_see("Log out")


async def test_log_out_ends_the_session_on_the_server(app_user: User) -> None:
    await app_user.open("/customers")
    cookies = dict(app_user.http_client.cookies)
    assert cookies  # the session cookie
    app_user.find(marker="log-out").click()
    await until(lambda: app_user.back_history[-1:] == ["/login"], what="the login page")
    await app_user.should_see(LOGIN_TITLE)
    # The same cookie no longer opens anything.
    app_user.http_client.cookies.clear()
    app_user.http_client.cookies.update(cookies)
    response = await app_user.http_client.get("/customers")
    assert response.status_code == 303
    assert (
        auth.SESSIONS_KEY not in app.storage.general or not app.storage.general[auth.SESSIONS_KEY]
    )


async def test_an_idle_session_ends(app_user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (await app_user.http_client.get("/customers")).status_code == 200
    later = time.time() + auth.POLICY.idle_seconds + 61
    monkeypatch.setattr(auth.time, "time", lambda: later)
    assert (await app_user.http_client.get("/customers")).status_code == 303


async def test_the_idle_time_is_configurable(guest: User, shop: CRPM) -> None:
    # The app is imported afresh for each test (see conftest): its own auth module counts.
    policy = importlib.import_module("crpm_ui.auth").POLICY
    before = policy.idle_hours
    try:
        importlib.import_module("crpm_ui.app").setup(shop, idle_hours=0.5)
        assert policy.idle_seconds == 1800
    finally:
        policy.idle_hours = before


async def test_a_deactivated_user_is_logged_out_at_the_next_page(clerk: User, shop: CRPM) -> None:
    [person] = [u for u in shop.users.list().items if u.username == CLERK[0]]
    shop.users.deactivate(person.id)
    await clerk.open("/customers")
    await clerk.should_see(LOGIN_TITLE)


# -- roles ----------------------------------------------------------------------------------------


async def test_a_clerk_sees_no_analytics_no_delete_and_no_staff_pages(
    clerk: User, shop: CRPM
) -> None:
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    shop.products.add(name="Kettle", price="49.00", stock=3)
    await clerk.open("/")
    assert element(clerk, "role").text == "Clerk"
    for marker in ("nav-analytics", "nav-audit", "nav-users"):
        await clerk.should_not_see(marker=marker)
    await clerk.should_not_see(marker="tile-revenue")
    await clerk.should_see(marker="nav-customers")

    await clerk.open("/customers")
    await clerk.should_see(marker="add-customer")  # clerks add customers
    await clerk.open(f"/customers/{ada.id}")
    await clerk.should_see(marker="customer-edit")
    for marker in ("customer-delete", "customer-deactivate"):
        await clerk.should_not_see(marker=marker)
    await clerk.should_not_see(marker="total-spent")

    await clerk.open("/products")
    await clerk.should_not_see(marker="add-product")


@pytest.mark.parametrize("route", ["/analytics", "/audit", "/users"])
async def test_a_clerk_asking_for_a_page_of_another_role_sees_none_of_its_data(
    clerk: User, shop: CRPM, route: str
) -> None:
    await clerk.open(route)
    await clerk.should_see(marker="not-allowed")
    await clerk.should_see("Your role may not")
    for marker in ("a-revenue", "audit-table", "users-table", "stock-table"):
        await clerk.should_not_see(marker=marker)


async def test_a_forged_delete_by_a_clerk_is_refused_by_the_core(clerk: User, shop: CRPM) -> None:
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    await clerk.open(f"/customers/{ada.id}")
    await clerk.should_see(marker="customer-edit")
    await clerk.should_not_see(marker="customer-delete")
    # What a forged call from the page would do: the handle the page holds acts as the clerk.
    page_handle = shop.as_user(CLERK[0])
    with pytest.raises(errors.PermissionDenied):
        page_handle.customers.delete(ada.id)
    assert shop.customers.get(ada.id).name == "Ada"
    assert shop.audit.list(action="delete").total == 0


async def test_a_manager_sees_analytics_and_audit_but_no_users_or_delete(
    manager: User, shop: CRPM
) -> None:
    ada = shop.customers.add(name="Ada", email="ada@example.org")
    await manager.open("/")
    await manager.should_see(marker="nav-analytics")
    await manager.should_see(marker="nav-audit")
    await manager.should_not_see(marker="nav-users")
    await manager.open(f"/customers/{ada.id}")
    await manager.should_see(marker="customer-deactivate")
    await manager.should_not_see(marker="customer-delete")


async def test_the_clerks_sales_are_audited_under_their_name(clerk: User, shop: CRPM) -> None:
    await clerk.open("/customers")
    clerk.find(marker="add-customer").click()
    await clerk.should_see(marker="customer-name")
    clerk.find(marker="customer-name").type("Ada")
    clerk.find(marker="customer-email").type("ada@example.org")
    clerk.find(marker="customer-save").click()
    await clerk.should_see("Added customer Ada")
    [entry] = shop.audit.list(entity="customer", action="add").items
    assert entry.actor == CLERK[0]


# -- the Users page --------------------------------------------------------------------------------


async def test_the_users_page_lists_the_staff_paged_on_the_server(guest: User, shop: CRPM) -> None:
    for i in range(12):  # (hashing blocks the event loop: done before the app is opened)
        shop.users.add(username=f"staff{i:02d}", password="a-long-password", role="clerk")
    await log_in(guest, *OWNER, then="/users")
    app_user = guest
    t = table(app_user, "users-table")
    assert len(t.rows) == 10
    assert t.pagination["rowsNumber"] == 15
    assert {r["role"] for r in t.rows} <= {"Owner", "Manager", "Clerk"}


async def test_an_owner_adds_a_user(app_user: User, shop: CRPM) -> None:
    await app_user.open("/users")
    app_user.find(marker="add-user").click()
    await app_user.should_see(marker="user-username")
    app_user.find(marker="user-username").type("bea")
    app_user.find(marker="user-password").type("short")
    app_user.find(marker="user-save").click()
    password = element(app_user, "user-password")
    await until(lambda: bool(password.error), what="the password's error")
    assert "10" in str(password.error)
    app_user.find(marker="user-password").clear().type("a-long-password")
    app_user.find(marker="user-save").click()
    await app_user.should_see("Added bea (Clerk)", retries=HASHING)
    assert shop.users.authenticate("bea", "a-long-password").role == "clerk"
    assert shop.audit.list(entity="user", action="add", actor=OWNER[0]).total == 1


async def _open_user(user: User, shop: CRPM, username: str) -> int:
    [person] = [u for u in shop.users.list().items if u.username == username]
    await user.open("/users")
    user.find(marker="users-table").trigger("open", person.id)
    await user.should_see(marker="user-change-role")
    return person.id


async def test_an_owner_changes_a_role(app_user: User, shop: CRPM) -> None:
    uid = await _open_user(app_user, shop, CLERK[0])
    app_user.find(marker="user-change-role").click()
    await app_user.should_see(marker="user-new-role")
    element(app_user, "user-new-role").value = "manager"
    app_user.find(marker="role-save").click()
    await app_user.should_see(f"{CLERK[0]} is now Manager")
    assert shop.users.get(uid).role == "manager"


async def test_an_owner_resets_a_password_and_ends_their_sessions(
    app_user: User, shop: CRPM
) -> None:
    uid = await _open_user(app_user, shop, MANAGER[0])
    app_user.find(marker="user-reset-password").click()
    await app_user.should_see(marker="user-new-password")
    app_user.find(marker="user-new-password").type("a-brand-new-password")
    app_user.find(marker="password-save").click()
    await app_user.should_see(f"New password set for {MANAGER[0]}", retries=HASHING)
    assert shop.users.authenticate(MANAGER[0], "a-brand-new-password").id == uid


async def test_an_owner_deactivates_and_reactivates_a_user(app_user: User, shop: CRPM) -> None:
    uid = await _open_user(app_user, shop, CLERK[0])
    app_user.find(marker="user-deactivate").click()
    await app_user.should_see(marker="confirm-deactivate-ok")
    app_user.find(marker="confirm-deactivate-ok").click()
    await app_user.should_see(f"{CLERK[0]} is now inactive")
    assert not shop.users.get(uid).active
    with pytest.raises(errors.AuthenticationFailed):
        shop.users.authenticate(*CLERK)

    app_user.find(marker="users-table").trigger("open", uid)
    await app_user.should_see(marker="user-reactivate")
    app_user.find(marker="user-reactivate").click()
    await app_user.should_see(f"{CLERK[0]} is active again")
    assert shop.users.get(uid).active


# -- the Audit page -------------------------------------------------------------------------


def _busy_day(shop: CRPM) -> None:
    clara = shop.as_user(CLERK[0])
    mark = shop.as_user(MANAGER[0])
    clara.customers.add(name="Ada", email="ada@example.org")
    clara.customers.add(name="Bob", email="bob@example.org")
    tea = mark.products.add(name="Tea", price="3.50", stock=5)
    mark.products.restock(tea.id, 5)


def _actors(t: ui.table) -> list[str]:
    return [str(r["actor"]) for r in t.rows]


async def test_the_audit_page_filters_by_who_what_and_when(app_user: User, shop: CRPM) -> None:
    _busy_day(shop)
    await app_user.open("/audit")
    t = table(app_user, "audit-table")
    total = shop.audit.list().total
    assert t.pagination["rowsNumber"] == total
    assert t.rows[0]["action"] == "restock"  # newest first

    element(app_user, "audit-who").value = CLERK[0]
    await until(lambda: set(_actors(t)) == {CLERK[0]} and len(t.rows) == 2, what="who")

    element(app_user, "audit-who").value = MANAGER[0]
    element(app_user, "audit-action").value = "restock"
    await until(
        lambda: [r["action"] for r in t.rows] == ["restock"] and _actors(t) == [MANAGER[0]],
        what="who and action",
    )
    assert t.rows[0]["what"].startswith("Product #")
    assert "stock: 5 → 10" in t.rows[0]["changes"]

    element(app_user, "audit-action").value = "*"
    element(app_user, "audit-entity").value = "customer"
    await until(lambda: t.pagination["rowsNumber"] == 0, what="the manager added no customer")

    element(app_user, "audit-who").value = "*"
    await until(lambda: t.pagination["rowsNumber"] == 2, what="customers by anyone")

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    app_user.find(marker="audit-from").type(tomorrow)
    await until(lambda: t.pagination["rowsNumber"] == 0, what="nothing from tomorrow on")
    app_user.find(marker="audit-from").clear()
    await until(lambda: t.pagination["rowsNumber"] == 2, what="the dates cleared")

    app_user.find(marker="audit-to").type("not a date")
    field = element(app_user, "audit-to")
    await until(lambda: field.error == "Use a date like 2025-01-31", what="the date's error")


async def test_a_manager_reads_the_audit_trail(manager: User, shop: CRPM) -> None:
    _busy_day(shop)
    await manager.open("/audit")
    t = table(manager, "audit-table")
    assert t.pagination["rowsNumber"] == shop.audit.list().total


async def test_the_stock_update_download_follows_the_role(
    app_user: User, shop: CRPM, guest: User
) -> None:
    shop.products.add(name="Tea", price="3.50", stock=5)
    today = datetime.now(UTC).date().isoformat()
    url = f"/downloads/stock-updates.csv?from={today}&to={today}"
    response = await app_user.http_client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert "Tea" in response.content.decode("utf-8-sig")
    for bad in ("from=2025-02-01&to=2025-01-01", "from=x&to=y", "from=1990-01-01&to=2025-01-01"):
        answer = await app_user.http_client.get(f"/downloads/stock-updates.csv?{bad}")
        assert answer.status_code == 400, bad

    app_user.find(marker="log-out").click()
    await until(lambda: app_user.back_history[-1:] == ["/login"], what="the login page")
    await log_in(app_user, *CLERK)
    refused = await app_user.http_client.get(url)
    assert refused.status_code == 403
    assert "Tea" not in refused.text


# -- hardening the simulated client can see -------------------------------------------------------


async def test_every_response_carries_the_security_headers(guest: User) -> None:
    for path in ("/login", "/customers"):
        response = await guest.http_client.get(path)
        for name, value in security.HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
    csp = security.HEADERS["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp


async def test_a_host_not_allowed_gets_400_and_a_foreign_origin_403(user: User, shop: CRPM) -> None:
    importlib.import_module("crpm_ui.app").setup(
        shop, hardening=security.Hardening(allowed_hosts=("test", "shop.example"))
    )
    assert (await user.http_client.get("/login")).status_code == 200
    evil = await user.http_client.get("/login", headers={"Host": "evil.example"})
    assert evil.status_code == 400
    ok = await user.http_client.get("/login", headers={"Host": "shop.example:8080"})
    assert ok.status_code == 200
    socket = "/_nicegui_ws/socket.io/?EIO=4&transport=polling"
    foreign = await user.http_client.get(socket, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    same = await user.http_client.get(socket, headers={"Origin": "http://test"})
    assert same.status_code != 403


def test_the_default_hosts_are_the_bind_address_and_localhost() -> None:
    assert security.default_hosts("0.0.0.0") == ["0.0.0.0", "localhost", "127.0.0.1"]
    assert security.default_hosts("127.0.0.1") == ["127.0.0.1", "localhost"]
    guard = security.Hardening(allowed_hosts=("shop.lan",))
    assert guard.host_allowed("SHOP.lan:8080") and not guard.host_allowed("shop.lan.evil")
    assert not guard.host_allowed(None)


async def test_a_database_that_is_down_is_named_and_not_something_went_wrong(
    app_user: User, shop: CRPM, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def down(self: Any, **kwargs: Any) -> None:
        raise errors.StorageError("could not connect to server")

    await app_user.open("/customers")
    monkeypatch.setattr(type(shop.customers), "list", down)
    app_user.find(marker="customer-search").type("ada")  # the table asks the database again
    await app_user.should_see("The database cannot be reached. Please try again in a moment.")
    await app_user.should_not_see("Something went wrong")
    response = await app_user.http_client.get("/")  # the dashboard cannot be built at all
    assert "The database cannot be reached" in response.text
    assert "Something went wrong" not in response.text
    caplog.clear()


async def test_a_page_size_asked_for_stays_bounded(app_user: User, shop: CRPM) -> None:
    shop.customers.add(name="Ada", email="ada@example.org")
    await app_user.open("/customers")
    t = table(app_user, "customers-table")
    app_user.find(marker="customers-table").trigger(
        "request", {"pagination": {"page": 1, "rowsPerPage": 10**9, "sortBy": "name"}}
    )
    await until(lambda: t.pagination["rowsPerPage"] == 1000, what="the capped page size")


async def test_the_audit_trail_lives_in_the_shop_s_days(app_user: User, shop: CRPM) -> None:
    """11:00 UTC on 1 June is 01:00 on 2 June at UTC+14: the row shows the shop's time, under
    a column that names the zone, and From/To 2 June (the shop's day) finds it."""
    shop.settings.update(timezone="Pacific/Kiritimati")
    moment = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
    at_that_time = crpm_core.connect(shop.url, clock=lambda: moment)
    try:
        at_that_time.customers.add(name="Teuea Tiroba", email="teuea@example.ki")
    finally:
        at_that_time.close()
    await app_user.open("/audit")
    t = table(app_user, "audit-table")
    assert t.columns[0]["label"] == "When (Pacific/Kiritimati)"
    app_user.find(marker="audit-from").type("2026-06-02")
    app_user.find(marker="audit-to").type("2026-06-02")
    await until(lambda: t.pagination["rowsNumber"] == 1, what="the shop's 2 June")
    assert t.rows[0]["at"] == "2026-06-02 01:00" and t.rows[0]["action"] == "add"
