"""CSV import and export from the tables: the command line's formats and checks; a bad file
names its line and column in the dialog and stores nothing; progress is shown; an export
imports again; a role that may not import or export is offered neither."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User

from crpm_core import CRPM, transfer
from crpm_ui import transfer_ui
from tests.ui.helpers import element, names, table, until

GOOD_CUSTOMERS = (
    "name,email,phone\n"
    "Zoë O'Brien,zoe@example.ie,'+353 1 555 0101\n"
    "Ana Núñez,ana@example.es,(91) 555-0142\n"
).encode()


async def upload(user: User, name: str, data: bytes) -> None:
    found = element(user, "import-upload")
    assert isinstance(found, ui.upload)
    file = SmallFileUpload(name=name, content_type="text/csv", _data=data)
    await found.handle_uploads([file])  # what the browser's POST of the file leads to


async def test_import_customers_from_the_table(app_user: User, shop: CRPM) -> None:
    await app_user.open("/customers")
    app_user.find(marker="import-customers").click()
    await app_user.should_see("Import customers from CSV")
    await app_user.should_see("Columns: name, email, phone.")
    await upload(app_user, "people.csv", GOOD_CUSTOMERS)
    await app_user.should_see("Imported 2 customers from people.csv")
    assert sorted(c.phone or "" for c in shop.customers.list()) == [
        "(91) 555-0142",
        "+353 1 555 0101",
    ]
    t = table(app_user, "customers-table")
    await until(lambda: names(t) == ["Ana Núñez", "Zoë O'Brien"], what="the table reloaded")
    [entry] = shop.audit.list(action="import").items
    assert entry.actor == "olivia"


async def test_a_bad_file_names_its_line_and_column_and_stores_nothing(
    app_user: User, shop: CRPM
) -> None:
    bad = GOOD_CUSTOMERS + b"Broken Row,not-an-email,\n"
    await app_user.open("/customers")
    app_user.find(marker="import-customers").click()
    await app_user.should_see("Import customers from CSV")
    await upload(app_user, "people.csv", bad)
    await app_user.should_see(marker="import-error")
    problem = element(app_user, "import-error")
    await until(lambda: problem.visible and problem.text.startswith("Line 4, column email:"))
    await app_user.should_see("people.csv was not imported; nothing was stored.")
    assert shop.customers.list().total == 0
    assert shop.audit.list(action="import").total == 0


async def test_a_bad_product_file_names_the_column(app_user: User, shop: CRPM) -> None:
    data = b"sku,name,price,stock\nTEA-100,Green tea 100g,6.50,20\nMUG-1,Mug,9.999,3\n"
    await app_user.open("/products")
    app_user.find(marker="import-products").click()
    await app_user.should_see("Import products from CSV")
    await upload(app_user, "stock.csv", data)
    await app_user.should_see(marker="import-error")
    problem = element(app_user, "import-error")
    await until(lambda: problem.visible and problem.text.startswith("Line 3, column price:"))
    assert shop.products.list().total == 0


async def test_progress_is_shown_while_a_big_file_imports(
    app_user: User, shop: CRPM, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "".join(f"Person {i},p{i}@shop.example,\n" for i in range(3000))
    data = ("name,email,phone\n" + rows).encode()
    seen: list[transfer.Progress] = []
    real = transfer.import_csv

    def watched(*args: object, **kwargs: object) -> transfer.ImportResult:
        report = kwargs["progress"]
        assert callable(report)

        def spy(p: transfer.Progress) -> None:
            seen.append(p)
            report(p)

        kwargs["progress"] = spy
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(transfer_ui.transfer, "import_csv", watched)
    await app_user.open("/customers")
    app_user.find(marker="import-customers").click()
    await app_user.should_see("Import customers from CSV")
    await upload(app_user, "many.csv", data)
    await app_user.should_see("Imported 3,000 customers from many.csv", retries=200)
    assert shop.customers.list().total == 3000
    assert {p.phase for p in seen} == {"checking", "writing"}
    assert seen[-1].rows > 0


async def test_exports_import_again(app_user: User, shop: CRPM) -> None:
    shop.customers.add(name="Zoë O'Brien", email="zoe@example.ie", phone="+353 1 555 0101")
    tea = shop.products.add(name="Green tea 100g", price="6.50", stock=20, sku="TEA-100")
    zoe = shop.customers.list().items[0]
    shop.purchases.record(customer_id=zoe.id, product_id=tea.id, quantity=2)
    await app_user.open("/customers")
    await app_user.should_see(marker="export-customers")
    for kind in transfer.KINDS:
        response = await app_user.http_client.get(f"/downloads/export/{kind}.csv")
        assert response.status_code == 200, kind
        assert response.headers["content-type"].startswith("text/csv")
        assert f"crpm-{kind}-" in response.headers["content-disposition"]
        text = response.content.decode("utf-8-sig")
        assert text.splitlines()[0].startswith(",".join(transfer.COLUMNS[kind]))
    customers = (await app_user.http_client.get("/downloads/export/customers.csv")).content
    assert "'+353 1 555 0101" in customers.decode("utf-8-sig")  # the formula guard
    with __import__("crpm_core").connect("sqlite://") as other:
        transfer.import_customers(other, io.BytesIO(customers))
        assert other.customers.list().items[0].phone == "+353 1 555 0101"
    products = (await app_user.http_client.get("/downloads/export/products.csv")).content
    assert "TEA-100,Green tea 100g,6.50,18" in products.decode("utf-8-sig")
    assert shop.products.get(tea.id).price == Decimal("6.50")


async def test_an_unknown_export_is_not_found(app_user: User) -> None:
    response = await app_user.http_client.get("/downloads/export/users.csv")
    assert response.status_code == 404


async def test_a_clerk_is_offered_neither_import_nor_export(clerk: User, shop: CRPM) -> None:
    await clerk.open("/customers")
    await clerk.should_see(marker="customers-table")
    for marker in ("import-customers", "export-customers"):
        await clerk.should_not_see(marker=marker)
    response = await clerk.http_client.get("/downloads/export/customers.csv")
    assert response.status_code == 403
    assert "Your role may not" in response.text


@pytest.fixture
async def purchases_page(user: User, shop: CRPM) -> User:
    """The app with one more page holding the purchases table's CSV buttons (the counter's
    page places them above its own table), logged in as the owner."""
    import importlib

    from crpm_ui.registry import Module, load_modules
    from tests.ui.conftest import OWNER
    from tests.ui.helpers import log_in

    async def build(ctx: object) -> None:
        transfer_ui.transfer_buttons(ctx, "purchases", reloaded)  # type: ignore[arg-type]

    async def reloaded() -> None:
        ui.label("reloaded").mark("reloaded")

    extra = Module(title="CSV of purchases", icon="sell", route="/csv-purchases", build=build)
    importlib.import_module("crpm_ui.app").setup(shop, [*load_modules(), extra])
    await log_in(user, *OWNER)
    return user


async def test_import_purchases_as_sales_moves_stock(purchases_page: User, shop: CRPM) -> None:
    zoe = shop.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    tea = shop.products.add(name="Green tea 100g", price="6.50", stock=10, sku="TEA-100")
    data = (
        b"customer_email,product_sku,quantity,unit_price,purchased_at,order_ref\n"
        b"ZOE@example.ie,TEA-100,2,6.50,2026-03-29T00:30:00+00:00,W-1\n"
        b"zoe@example.ie,TEA-100,1,6.50,2026-03-29T00:30:00+00:00,W-1\n"
    )
    await purchases_page.open("/csv-purchases")
    purchases_page.find(marker="import-purchases").click()
    await purchases_page.should_see("Import purchases from CSV")
    element(purchases_page, "import-move-stock").set_value(True)
    await upload(purchases_page, "web-orders.csv", data)
    await purchases_page.should_see("Imported 2 purchases from web-orders.csv")
    await purchases_page.should_see(marker="reloaded")
    assert shop.products.get(tea.id).stock == 7
    [order] = shop.orders.list(customer_id=zoe.id).items
    assert (order.ref, order.total) == ("W-1", Decimal("19.50"))


async def test_a_short_stock_purchase_file_stores_nothing(purchases_page: User, shop: CRPM) -> None:
    shop.customers.add(name="Ada", email="ada@example.org")
    tea = shop.products.add(name="Tea", price="2.50", stock=1, sku="TEA")
    data = (
        b"customer_email,product_sku,quantity,unit_price,purchased_at\n"
        b"ada@example.org,TEA,2,2.50,2026-03-29T00:30:00Z\n"
    )
    await purchases_page.open("/csv-purchases")
    purchases_page.find(marker="import-purchases").click()
    await purchases_page.should_see("Import purchases from CSV")
    element(purchases_page, "import-move-stock").set_value(True)
    await upload(purchases_page, "short.csv", data)
    await purchases_page.should_see(marker="import-error")
    problem = element(purchases_page, "import-error")
    assert problem.text.startswith("Line 2")
    assert "TEA" in problem.text
    assert shop.products.get(tea.id).stock == 1
    assert shop.purchases.list().total == 0


async def test_the_purchases_page_imports_a_file_into_its_orders(
    app_user: User, shop: CRPM
) -> None:
    """The Purchases page carries the purchases table's CSV buttons; an imported file's
    orders appear in its orders list."""
    shop.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    tea = shop.products.add(name="Green tea 100g", price="6.50", stock=10, sku="TEA-100")
    data = (
        b"customer_email,product_sku,quantity,unit_price,purchased_at,order_ref\n"
        b"zoe@example.ie,TEA-100,3,6.50,2026-03-29T00:30:00+00:00,W-7\n"
    )
    await app_user.open("/purchases")
    await app_user.should_see(marker="export-purchases")
    app_user.find(marker="import-purchases").click()
    await app_user.should_see("Import purchases from CSV")
    element(app_user, "import-move-stock").set_value(True)
    await upload(app_user, "web-orders.csv", data)
    await app_user.should_see("Imported 1 purchase")
    assert shop.products.get(tea.id).stock == 7
    await until(
        lambda: any("W-7" in str(row) for row in table(app_user, "orders-table").rows),
        what="the imported order in the orders list",
    )
