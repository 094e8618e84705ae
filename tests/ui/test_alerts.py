"""Low-stock alerts: owners and managers logged in hear once when a sale takes a product to
or below its reorder point, again only after it went back above and crossed again."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from nicegui.testing import User

import crpm_core
from crpm_core import CRPM
from tests.ui.helpers import until


def _watch() -> object:
    alerts = importlib.import_module("crpm_ui.alerts")  # the module the app loaded
    (watch,) = alerts._running
    return watch


def _alerts(user: User, name: str) -> int:
    return sum(1 for m in user.notify.messages if m.startswith(f"Low on stock: {name} "))


async def _look(user: User) -> None:
    """One look of the watch (its timer looks every few seconds as well)."""
    await _watch().poll()  # type: ignore[attr-defined]


async def test_a_manager_hears_once_per_crossing(manager: User, shop: CRPM) -> None:
    ada = shop.customers.add(name="Ada", email="ada@example.org").id
    tea = shop.products.add(name="Thé vert", price="2.50", stock=9).id  # default point: 5
    await manager.open("/")
    await _look(manager)  # nothing low yet
    shop.purchases.record(customer_id=ada, product_id=tea, quantity=3)  # 6: above
    await _look(manager)
    assert _alerts(manager, "Thé vert") == 0
    shop.purchases.record(customer_id=ada, product_id=tea, quantity=1)  # 5: at the point
    await _look(manager)
    await until(lambda: _alerts(manager, "Thé vert") > 0, what="the alert")
    assert manager.notify.contains("Low on stock: Thé vert is down to 5. Time to reorder.")
    tabs = _alerts(manager, "Thé vert")  # one per open page of the manager's (the test's
    # simulated browser keeps every page it opened)
    shop.purchases.record(customer_id=ada, product_id=tea, quantity=2)  # 3: still low
    await _look(manager)
    await _look(manager)
    assert _alerts(manager, "Thé vert") == tabs  # once per crossing
    shop.products.restock(tea, 10)  # 13: back above
    await _look(manager)
    shop.purchases.record(customer_id=ada, product_id=tea, quantity=9)  # 4: crossed again
    await _look(manager)
    await until(lambda: _alerts(manager, "Thé vert") == 2 * tabs, what="the second crossing")
    assert manager.notify.contains("Low on stock: Thé vert is down to 4.")


async def test_what_is_low_at_start_does_not_alert(shop: CRPM) -> None:
    from crpm_ui import alerts

    ada = shop.customers.add(name="Ada", email="ada@example.org").id
    mug = shop.products.add(name="Mug", price="5.00", stock=1).id
    watch = alerts.LowStockWatch(shop)
    assert await watch.poll() == []  # the first look: Mug was low already
    shop.purchases.record(customer_id=ada, product_id=mug, quantity=1)  # lower still
    assert await watch.poll() == []


async def test_a_clerk_is_not_alerted(clerk: User, shop: CRPM) -> None:
    ada = shop.customers.add(name="Ada", email="ada@example.org").id
    tea = shop.products.add(name="Tea", price="2.50", stock=9).id
    await clerk.open("/")
    await _look(clerk)
    shop.purchases.record(customer_id=ada, product_id=tea, quantity=8)
    assert [p.name for p in await _watch().poll()] == ["Tea"]  # type: ignore[attr-defined]
    assert _alerts(clerk, "Tea") == 0


async def test_a_sale_from_another_process_alerts_too(
    app_user: User, shop: CRPM, tmp_path: Path
) -> None:
    """The watch reads the database, so a sale by the command line, the API or another app
    process alerts the owners and managers connected here."""
    ada = shop.customers.add(name="Ada", email="ada@example.org").id
    mug = shop.products.add(name="O'Reilly mug", price="5.00", stock=7, reorder_point=2).id
    await app_user.open("/")
    await _look(app_user)
    other = crpm_core.connect(f"sqlite:///{tmp_path / 'shop.db'}")  # another handle, as a CLI
    try:
        other.orders.place(customer_id=ada, lines=[(mug, 5)])
    finally:
        other.close()
    await _look(app_user)
    await until(lambda: _alerts(app_user, "O'Reilly mug") > 0, what="the alert")


async def test_several_products_at_once_make_one_message() -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from crpm_core import Product
    from crpm_ui import alerts

    at = datetime(2026, 1, 1, tzinfo=UTC)
    products = [
        Product(id=i, sku=None, name=f"P{i}", price=Decimal("1.00"), stock=i, active=True,
                created_at=at)
        for i in range(7)
    ]  # fmt: skip
    text = alerts.message(products)
    assert text.startswith("Low on stock: P0 (0), P1 (1)") and "and 2 more" in text


def test_a_client_is_nobody_while_the_shared_sessions_are_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alerts = importlib.import_module("crpm_ui.alerts")
    auth = alerts.auth  # the module alerts itself calls (NiceGUI's fixture may re-import auth)

    def down(*, touch: bool = True) -> str | None:
        raise auth.SessionsUnavailable("Redis does not answer")

    monkeypatch.setattr(auth, "current_user", down)
    client = SimpleNamespace(request=object())
    assert alerts.user_of(client) is None
