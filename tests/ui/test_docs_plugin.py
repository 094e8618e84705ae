"""The plugin example of docs/plugins.md, installed as a package with an entry point, adds a
working page to the app."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from nicegui.testing import User

from crpm_core import CRPM
from tests.ui.conftest import OWNER
from tests.ui.helpers import log_in

EXAMPLE = Path(__file__).parent.parent.parent / "docs" / "examples" / "plugins" / "suppliers.py"


async def test_the_docs_plugin_example_adds_its_page(
    user: User, shop: CRPM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    package = site / "my_shop_extras"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "suppliers.py").write_text(EXAMPLE.read_text(encoding="utf-8"))
    meta = site / "my_shop_extras-0.1.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: my-shop-extras\nVersion: 0.1\n")
    (meta / "entry_points.txt").write_text(
        "[crpm_ui.modules]\nsuppliers = my_shop_extras.suppliers:module\n"
    )
    monkeypatch.syspath_prepend(str(site))
    shop.products.add(name="Kettle", price="49.00", stock=2)
    shop.products.add(name="Tea", price="3.50", stock=80)

    modules = importlib.import_module("crpm_ui.app").setup(shop)

    assert "Suppliers" in [m.title for m in modules]
    await log_in(user, *OWNER)
    await user.open("/suppliers")
    await user.should_see("To reorder: 1")
    await user.should_see("Kettle: 2 left")
    await user.should_not_see("Tea: 80 left")
