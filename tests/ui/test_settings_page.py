"""The Settings page (owners only): shop name, currency from crpm_core's ISO list, IANA time
zone, low-stock default; saved with a notification; a bad value is marked on its field and
nothing is saved; the currency and zone then show on every page that reads them."""

from __future__ import annotations

from nicegui.testing import User

from crpm_core import CRPM
from crpm_core.domain import rules
from tests.ui.helpers import element, until


async def test_the_owner_changes_every_setting(app_user: User, shop: CRPM) -> None:
    await app_user.open("/settings")
    assert element(app_user, "settings-shop-name").value == "My shop"
    currency = element(app_user, "settings-currency")
    assert set(currency.options) == set(rules.CURRENCIES)
    assert currency.options["GBP"] == "GBP · British Pound (£)"
    app_user.find(marker="settings-shop-name").clear().type("Zoë's Tea Rooms")
    currency.set_value("GBP")
    element(app_user, "settings-timezone").set_value("Europe/Dublin")
    app_user.find(marker="settings-low-stock").clear().type("3")
    await app_user.should_see("Amounts will read £1,234.50")
    app_user.find(marker="settings-save").click()
    await app_user.should_see("Settings saved: Zoë's Tea Rooms, GBP, Europe/Dublin")
    saved = shop.settings.get()
    assert (saved.shop_name, saved.currency, saved.timezone, saved.low_stock_default) == (
        "Zoë's Tea Rooms",
        "GBP",
        "Europe/Dublin",
        3,
    )
    [entry] = shop.audit.list(entity="settings").items
    assert entry.actor == "olivia"


async def test_the_time_zone_list_is_searchable_by_typing(app_user: User, shop: CRPM) -> None:
    await app_user.open("/settings")
    zone = element(app_user, "settings-timezone")
    assert "with-input" in str(zone.props) or zone.props.get("use-input")
    assert "America/Argentina/Buenos_Aires" in zone.options
    assert zone.options[0] == "UTC"


async def test_bad_values_name_their_fields_and_nothing_is_saved(
    app_user: User, shop: CRPM
) -> None:
    await app_user.open("/settings")
    app_user.find(marker="settings-shop-name").clear()
    app_user.find(marker="settings-low-stock").clear().type("-2")
    app_user.find(marker="settings-save").click()
    name, low = element(app_user, "settings-shop-name"), element(app_user, "settings-low-stock")
    await until(lambda: name.error is not None and low.error is not None, what="both marked")
    assert name.error == "Must not be empty"
    assert low.error == "Must be at least 0"
    await app_user.should_see("Please correct: Shop name, Low-stock default")
    assert shop.settings.get().shop_name == "My shop"
    assert shop.audit.list(entity="settings").total == 0

    app_user.find(marker="settings-shop-name").type("Corner shop")
    app_user.find(marker="settings-low-stock").clear().type("1.5")
    app_user.find(marker="settings-save").click()
    await until(lambda: low.error == "Enter a whole number, like 12", what="fraction refused")
    assert shop.settings.get().shop_name == "My shop"


async def test_enter_saves(app_user: User, shop: CRPM) -> None:
    await app_user.open("/settings")
    app_user.find(marker="settings-shop-name").clear().type("Corner shop").trigger("keydown.enter")
    await app_user.should_see("Settings saved: Corner shop")
    assert shop.settings.get().shop_name == "Corner shop"


async def test_only_the_owner_may_open_it(manager: User, shop: CRPM) -> None:
    await manager.open("/")
    await manager.should_not_see(marker="nav-settings")
    await manager.open("/settings")
    await manager.should_see(marker="not-allowed")
    await manager.should_not_see(marker="settings-save")


async def test_the_owner_sees_it_in_the_navigation(app_user: User, shop: CRPM) -> None:
    await app_user.open("/")
    app_user.find(marker="nav-settings").click()
    await app_user.should_see(marker="settings-save", retries=50)
