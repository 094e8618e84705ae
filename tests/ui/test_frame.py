"""The shared frame, the module registry (plugins by entry point), dark mode, errors."""

from __future__ import annotations

import importlib
import logging
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from crpm_core import CRPM
from crpm_ui.feedback import GENERIC_MESSAGE
from crpm_ui.registry import Module, load_modules
from tests.ui.conftest import OWNER
from tests.ui.helpers import element, log_in, until

PAGES = {
    "/": "Dashboard",
    "/customers": "Customers",
    "/products": "Products",
    "/purchases": "Purchases",
    "/analytics": "Analytics",
    "/insights": "Insights",
    "/audit": "Audit",
    "/users": "Users",
    "/settings": "Settings",
}
RECORD_PAGES = {
    "/customers/{customer_id}": "Customer",
    "/products/{product_id}": "Product",
    "/orders/{order_id}": "Order",
}
"""A record's own page: no link of its own in the navigation (its list's link is current)."""


def test_the_registry_finds_the_modules_in_order() -> None:
    found = load_modules()
    order = sorted(
        {**PAGES, **RECORD_PAGES}.items(),
        key=lambda p: next(m.order for m in found if m.route == p[0]),
    )
    assert [(m.route, m.title) for m in found] == order
    assert [m.route for m in found if m.route in PAGES] == list(PAGES)
    assert all(m.icon for m in found)


def test_a_record_page_is_registered_but_not_in_the_navigation() -> None:
    hidden = [m.route for m in load_modules() if not getattr(m, "nav", True)]
    assert "/orders/{order_id}" in hidden


def test_a_broken_plugin_is_left_out_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    points = [
        EntryPoint("missing", "no_such_package.pages:module", "crpm_ui.modules"),
        EntryPoint("wrong", "crpm_ui.registry:ENTRY_POINT_GROUP", "crpm_ui.modules"),
        EntryPoint("customers", "crpm_ui.modules.customers:module", "crpm_ui.modules"),
    ]
    with caplog.at_level(logging.WARNING, logger="crpm_ui.registry"):
        found = load_modules(points)
    assert [m.route for m in found] == ["/customers"]
    assert "missing" in caplog.text and "wrong" in caplog.text


async def test_every_page_has_the_frame_and_its_title(app_user: User) -> None:
    for route, title in PAGES.items():
        await app_user.open(route)
        assert element(app_user, "page-title").text == title
        for other in PAGES.values():
            await app_user.should_see(other)  # the navigation
        current = [
            link for link in app_user.find(kind=ui.link).elements if "aria-current" in link.props
        ]
        assert [link.props["href"] for link in current] == [route]


async def test_a_record_page_has_no_nav_link_and_marks_its_list(app_user: User) -> None:
    for route, title in RECORD_PAGES.items():
        await app_user.open(route.split("{")[0] + "1")
        assert element(app_user, "page-title").text == title
        hrefs = [link.props["href"] for link in app_user.find(kind=ui.link).elements]
        assert not any("{" in href for href in hrefs)
        current = [
            link.props["href"]
            for link in app_user.find(kind=ui.link).elements
            if "aria-current" in link.props
        ]
        parent = route.split("/{")[0]  # /customers/{id} marks Customers; /orders has no list link
        assert current == ([parent] if parent in PAGES else [])


async def test_navigation_links_open_their_page(app_user: User) -> None:
    await app_user.open("/")
    app_user.find(marker="nav-products").click()
    await app_user.should_see(marker="products-table")
    assert element(app_user, "page-title").text == "Products"


async def test_the_html_names_its_language(app_user: User) -> None:
    await app_user.open("/")
    response = await app_user.http_client.get("/customers")
    assert '<html lang="en-US"' in response.text


async def test_dark_mode_switches_and_sticks_across_pages(app_user: User, shop: CRPM) -> None:
    await app_user.open("/")
    dark = element(app_user, "dark-mode")
    chart = element(app_user, "revenue-trend")
    light_text = chart.options["textStyle"]["color"]
    app_user.find(marker="dark-mode").click()
    assert dark.value is True
    mode = next(iter(app_user.find(kind=ui.dark_mode).elements))
    assert mode.value is True
    assert chart.options["textStyle"]["color"] != light_text  # charts restyle too
    await app_user.open("/customers")
    mode = next(iter(app_user.find(kind=ui.dark_mode).elements))
    assert mode.value is True
    assert element(app_user, "dark-mode").value is True


async def test_charts_are_drawn_at_once_without_animation(app_user: User) -> None:
    """No motion (for users who prefer less of it) and finished charts in screenshots."""
    await app_user.open("/analytics")
    markers = ("chart-over-time", "chart-top-customers", "chart-best", "chart-least")
    charts = [element(app_user, marker) for marker in markers]
    assert [chart.options.get("animation") for chart in charts] == [False] * 4
    app_user.find(marker="dark-mode").click()  # restyled for dark mode
    assert [chart.options.get("animation") for chart in charts] == [False] * 4


async def test_a_package_outside_crpm_ui_adds_a_page_by_entry_point(
    user: User, shop: CRPM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    package = site / "crpm_suppliers_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """
            from nicegui import ui
            from crpm_ui.registry import Module

            def build(ctx):
                count = ctx.crm.customers.list(limit=1).total
                ui.label(f"Suppliers of a shop with {count} customers").mark("suppliers")

            module = Module(title="Suppliers", icon="local_shipping", route="/suppliers",
                            build=build, order=35)
            """
        )
    )
    meta = site / "crpm_suppliers_plugin-0.1.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: crpm-suppliers-plugin\nVersion: 0.1\n"
    )
    (meta / "entry_points.txt").write_text(
        "[crpm_ui.modules]\nsuppliers = crpm_suppliers_plugin:module\n"
    )
    monkeypatch.syspath_prepend(str(site))
    shop.customers.add(name="Ada", email="ada@example.org")

    modules = importlib.import_module("crpm_ui.app").setup(shop)

    assert [m.title for m in modules if getattr(m, "nav", True)] == [
        "Dashboard",
        "Customers",
        "Products",
        "Purchases",
        "Suppliers",
        "Analytics",
        "Insights",
        "Audit",
        "Users",
        "Settings",
    ]
    await log_in(user, *OWNER)
    await user.open("/suppliers")
    await user.should_see("Suppliers of a shop with 1 customers")
    assert element(user, "page-title").text == "Suppliers"
    user.find(marker="nav-customers").click()
    await user.should_see(marker="customers-table")


def _trouble_modules() -> list[Module]:
    def broken_page(ctx: object) -> None:
        raise RuntimeError("secret internals at line 42")

    def page_with_a_bad_button(ctx: object) -> None:
        def explode() -> None:
            raise RuntimeError("secret internals at line 43")

        ui.button("Explode", on_click=explode).mark("explode")

    return [
        Module(title="Broken", icon="error", route="/broken", build=broken_page),
        Module(title="Button", icon="error", route="/button", build=page_with_a_bad_button),
    ]


async def test_an_unexpected_error_shows_a_generic_message_and_is_logged(
    user: User, shop: CRPM, caplog: pytest.LogCaptureFixture
) -> None:
    importlib.import_module("crpm_ui.app").setup(shop, modules=_trouble_modules())
    await log_in(user, *OWNER, then="/button")
    user.find(marker="explode").click()
    await user.should_see(GENERIC_MESSAGE)
    await user.should_not_see("secret internals")
    assert "secret internals at line 43" in caplog.text  # logged for the maintainer
    caplog.clear()  # the error was expected


async def test_a_page_that_fails_shows_a_plain_error_page(
    user: User, shop: CRPM, caplog: pytest.LogCaptureFixture
) -> None:
    importlib.import_module("crpm_ui.app").setup(shop, modules=_trouble_modules())
    await log_in(user, *OWNER, then="/button")  # starts the simulated client
    response = await user.http_client.get("/broken")
    assert response.status_code == 500
    assert "Sorry, this page could not be shown." in response.text
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert "secret internals at line 42" in caplog.text
    caplog.clear()


async def test_a_failing_database_call_in_a_form_shows_the_generic_message(
    app_user: User, shop: CRPM, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def down(**kwargs: object) -> None:
        raise RuntimeError("connection reset by peer at 0xdeadbeef")

    await app_user.open("/customers")
    # The page acts as the logged-in user (a handle of its own): the service class is patched.
    monkeypatch.setattr(type(shop.customers), "add", lambda self, **kwargs: down(**kwargs))
    app_user.find(marker="add-customer").click()
    await app_user.should_see(marker="customer-name")
    app_user.find(marker="customer-name").type("Ada")
    app_user.find(marker="customer-email").type("ada@example.org")
    app_user.find(marker="customer-save").click()
    await app_user.should_see(GENERIC_MESSAGE)
    await app_user.should_not_see("deadbeef")
    await until(lambda: "deadbeef" in caplog.text, what="the log")
    caplog.clear()
