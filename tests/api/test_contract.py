"""Every route answers what the library answers, on every backend; writes act as the token's
user and land in the audit trail under their name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest

from crpm_core import CRPM
from tests.api.conftest import Staff

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night the clocks change in Europe


def as_json(value: Any) -> Any:
    """The library's value as the API should write it (written here independently of the
    API's own models): money and fractions as text, times in RFC 3339 with ``Z``."""
    if attrs.has(type(value)):
        return {f.name: as_json(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, Decimal | Fraction):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    return value


def page_json(page: Any) -> dict[str, Any]:
    return {
        "items": as_json(list(page.items)),
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
    }


@pytest.fixture
def shop(crm: CRPM, owner: Staff) -> dict[str, Any]:
    """Real-shop data: accents, apostrophes, Greek and Cyrillic, a tie, a return, a cancel."""
    zoe = crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie", phone="+353 1 555 0101")
    dmitri = crm.customers.add(name="Дмитрий Петров", email="dmitri@example.ru")
    eleni = crm.customers.add(
        name="Ελένη Παπαδοπούλου", email="ELENI@example.gr", phone="(210) 555-0199"
    )
    tea = crm.products.add(name="Green tea 100g", price="6.50", stock=40, sku="TEA-100")
    mug = crm.products.add(
        name="Mug «Ōsaka»", price="12.00", stock=10, sku="MUG-1", reorder_point=3
    )
    crm.products.add(name="Kettle", price="39.99", stock=2)
    first = crm.orders.place(
        customer_id=zoe.id, lines=[(tea.id, 3), (mug.id, 1)], purchased_at=T0, ref="WEB-1"
    )
    second = crm.orders.place(
        customer_id=dmitri.id, lines=[(tea.id, 2)], purchased_at=T0 + timedelta(days=2)
    )
    third = crm.orders.place(
        customer_id=eleni.id, lines=[(mug.id, 2)], purchased_at=T0 + timedelta(days=9)
    )
    crm.purchases.return_items(first.lines[0].id, 1, note="dented tin")
    crm.orders.cancel(second.id)
    return {"zoe": zoe, "dmitri": dmitri, "eleni": eleni, "tea": tea, "mug": mug,
            "orders": (first, second, third)}  # fmt: skip


def get(staff: Staff, url: str, **query: Any) -> Any:
    response = staff.client.get(f"/api/v1{url}", params=query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_customers_and_products_read_as_the_library(
    crm: CRPM, owner: Staff, shop: dict[str, Any]
) -> None:
    assert get(owner, "/customers") == page_json(crm.customers.list())
    assert get(owner, "/customers", search="obrien", limit=1) == page_json(
        crm.customers.list(search="obrien", limit=1)
    )
    assert get(owner, "/customers", order_by="email", descending="true", offset=1) == page_json(
        crm.customers.list(order_by="email", descending=True, offset=1)
    )
    zoe = shop["zoe"]
    assert get(owner, f"/customers/{zoe.id}") == as_json(crm.customers.get(zoe.id))
    assert get(owner, "/products", search="tea") == page_json(crm.products.list(search="tea"))
    assert get(owner, "/products", low="true") == page_json(crm.products.list(low=True))
    assert get(owner, "/products", order_by="price", active="true") == page_json(
        crm.products.list(order_by="price", active=True)
    )
    tea = shop["tea"]
    assert get(owner, f"/products/{tea.id}") == as_json(crm.products.get(tea.id))


def test_orders_purchases_and_the_ledger_read_as_the_library(
    crm: CRPM, owner: Staff, shop: dict[str, Any]
) -> None:
    first = shop["orders"][0]
    assert get(owner, "/orders") == page_json(crm.orders.list())
    start, end = T0 + timedelta(days=1), T0 + timedelta(days=30)
    assert get(owner, "/orders", start=start.isoformat(), end=end.isoformat()) == page_json(
        crm.orders.list(start=start, end=end)
    )
    assert get(owner, "/orders", customer_id=shop["zoe"].id) == page_json(
        crm.orders.list(customer_id=shop["zoe"].id)
    )
    assert get(owner, f"/orders/{first.id}") == as_json(crm.orders.get(first.id))
    assert get(owner, "/purchases", product_id=shop["mug"].id) == page_json(
        crm.purchases.list(product_id=shop["mug"].id)
    )
    line = first.lines[0].id
    assert get(owner, f"/purchases/{line}") == as_json(crm.purchases.get(line))
    assert get(owner, "/stock-movements", limit=3, offset=1) == page_json(
        crm.reports.stock_movements(limit=3, offset=1)
    )
    assert get(owner, "/stock-movements", kind="return", product_id=shop["tea"].id) == page_json(
        crm.reports.stock_movements(kind="return", product_id=shop["tea"].id)
    )
    receipt = owner.client.get(f"/api/v1/orders/{first.id}/receipt")
    assert receipt.status_code == 200
    assert receipt.headers["content-type"] == "application/pdf"
    assert receipt.content == crm.orders.receipt_pdf(first.id)


def test_every_report_reads_as_the_library(crm: CRPM, owner: Staff, shop: dict[str, Any]) -> None:
    r = crm.reports
    start, end = T0.isoformat(), (T0 + timedelta(days=5)).isoformat()
    as_of = (T0 + timedelta(days=20)).isoformat()
    moment = T0 + timedelta(days=20)
    assert get(owner, "/reports/summary") == as_json(r.sales_summary())
    assert get(owner, "/reports/summary", start=start, end=end) == as_json(
        r.sales_summary(start=T0, end=T0 + timedelta(days=5))
    )
    assert get(owner, "/reports/summary", customer_id=shop["zoe"].id) == as_json(
        r.sales_summary(customer_id=shop["zoe"].id)
    )
    assert get(owner, "/reports/top-customers", limit=2) == as_json(r.top_customers(limit=2))
    assert get(owner, "/reports/product-performance") == as_json(r.product_performance())
    for bucket in ("day", "week", "month"):
        assert get(owner, "/reports/sales-over-time", bucket=bucket) == as_json(
            r.sales_over_time(bucket=bucket)
        )
    assert get(
        owner, "/reports/sales-over-time", product_id=shop["mug"].id, start=start
    ) == as_json(r.sales_over_time(product_id=shop["mug"].id, start=T0))
    assert get(owner, "/reports/rfm", as_of=as_of) == as_json(r.rfm(as_of=moment))
    assert get(owner, "/reports/rfm-segments", as_of=as_of) == as_json(r.rfm_segments(as_of=moment))
    assert get(owner, "/reports/reorder-suggestions", days=14, as_of=as_of) == as_json(
        r.reorder_suggestions(days=14, as_of=moment)
    )
    assert get(owner, "/reports/rfm")  # now: every buying customer has a segment


def test_staff_audit_and_settings_read_as_the_library(
    crm: CRPM, owner: Staff, clerk: Staff, shop: dict[str, Any]
) -> None:
    assert get(owner, "/users") == page_json(crm.users.list())
    assert get(owner, "/users", active="true", limit=1) == page_json(
        crm.users.list(active=True, limit=1)
    )
    assert get(owner, f"/users/{clerk.user_id}") == as_json(crm.users.get(clerk.user_id))
    assert get(clerk, "/me") == as_json(crm.users.get(clerk.user_id))
    assert get(owner, "/audit") == page_json(crm.audit.list())
    assert get(owner, "/audit", entity="order", limit=2) == page_json(
        crm.audit.list(entity="order", limit=2)
    )
    assert get(owner, "/audit", actor="system", action="add", offset=1) == page_json(
        crm.audit.list(actor="system", action="add", offset=1)
    )
    assert get(owner, "/settings") == as_json(crm.settings.get())


def _last_audit(crm: CRPM) -> Any:
    return crm.audit.list(limit=1).items[0]


def test_writes_act_as_the_tokens_user_and_are_audited_under_their_name(
    crm: CRPM, owner: Staff, clerk: Staff, shop: dict[str, Any]
) -> None:
    c = clerk.client
    made = c.post(
        "/api/v1/customers",
        json={
            "name": "  Siobhán Ní Bhriain ",
            "email": "siobhan@example.ie",
            "phone": "087 555 0123",
        },
    )
    assert made.status_code == 201, made.text
    assert made.json() == as_json(crm.customers.get(made.json()["id"]))
    assert made.json()["name"] == "Siobhán Ní Bhriain"
    entry = _last_audit(crm)
    assert (entry.actor, entry.action, entry.entity) == ("sam-clerk", "add", "customer")

    cid = made.json()["id"]
    changed = c.patch(f"/api/v1/customers/{cid}", json={"phone": None})
    assert changed.status_code == 200
    assert changed.json() == as_json(crm.customers.get(cid))
    assert changed.json()["phone"] is None and changed.json()["email"] == "siobhan@example.ie"

    order = c.post(
        "/api/v1/orders",
        json={"customer_id": cid, "ref": "TILL-7", "note": "gift\nwrap",
              "lines": [{"product_id": shop["tea"].id, "quantity": 2},
                        {"product_id": shop["mug"].id, "quantity": 1}]},
    )  # fmt: skip
    assert order.status_code == 201, order.text
    placed = crm.orders.get(order.json()["id"])
    assert order.json() == as_json(placed)
    assert (placed.ref, placed.note, placed.total) == ("TILL-7", "gift\nwrap", Decimal("25.00"))
    assert _last_audit(crm).actor == "sam-clerk"
    assert crm.reports.stock_movements(limit=1).items[0].actor == "sam-clerk"

    o = owner.client
    pid = shop["tea"].id
    restocked = o.post(f"/api/v1/products/{pid}/restock", json={"quantity": 5, "note": "delivery"})
    assert restocked.status_code == 200 and restocked.json() == as_json(crm.products.get(pid))
    counted = o.put(f"/api/v1/products/{pid}/stock", json={"stock": 30, "note": "count"})
    assert counted.json()["stock"] == 30 == crm.products.get(pid).stock
    movement = crm.reports.stock_movements(limit=1).items[0]
    assert (movement.kind, movement.actor, movement.note) == ("adjustment", "zoe.owner", "count")

    line = placed.lines[0].id
    returned = o.post(f"/api/v1/purchases/{line}/returns", json={"quantity": 1, "note": "torn"})
    assert returned.status_code == 200
    assert returned.json() == as_json(crm.purchases.get(line))
    assert returned.json()["returned_quantity"] == 1
    cancelled = o.post(f"/api/v1/orders/{placed.id}/cancel")
    assert cancelled.json() == as_json(crm.orders.get(placed.id))
    assert cancelled.json()["cancelled_at"] is not None
    entry = _last_audit(crm)
    assert (entry.actor, entry.action, entry.entity_id) == ("zoe.owner", "cancel", placed.id)

    product = o.post(
        "/api/v1/products",
        json={"name": "Ψωμί", "price": "2.5", "stock": 7, "sku": "BREAD-GR", "reorder_point": 2},
    )
    assert product.status_code == 201
    assert product.json() == as_json(crm.products.get(product.json()["id"]))
    assert product.json()["price"] == "2.50"
    new_id = product.json()["id"]
    updated = o.patch(f"/api/v1/products/{new_id}", json={"price": "2.75", "sku": None})
    assert updated.json() == as_json(crm.products.get(new_id))
    assert (updated.json()["price"], updated.json()["sku"]) == ("2.75", None)
    assert o.post(f"/api/v1/products/{new_id}/deactivate").json()["active"] is False
    assert o.post(f"/api/v1/products/{new_id}/reactivate").json()["active"] is True
    assert o.delete(f"/api/v1/products/{new_id}").status_code == 204
    assert o.post(f"/api/v1/customers/{cid}/deactivate").json()["active"] is False
    assert o.post(f"/api/v1/customers/{cid}/reactivate").json() == as_json(crm.customers.get(cid))
    lonely = crm.customers.add(name="Nobody", email="nobody@example.org")
    assert o.delete(f"/api/v1/customers/{lonely.id}").status_code == 204
    assert crm.customers.list(search="nobody").total == 0
    assert _last_audit(crm).actor == "zoe.owner"

    line = shop["orders"][2].lines[0].id
    assert o.post(f"/api/v1/purchases/{line}/cancel").json() == as_json(crm.purchases.get(line))


def test_owners_manage_staff_and_settings_through_the_api(
    crm: CRPM, owner: Staff, shop: dict[str, Any]
) -> None:
    o = owner.client
    added = o.post(
        "/api/v1/users", json={"username": "ana", "password": "ten chars!", "role": "clerk"}
    )
    assert added.status_code == 201, added.text
    uid = added.json()["id"]
    assert added.json() == as_json(crm.users.get(uid))
    assert o.put(f"/api/v1/users/{uid}/role", json={"role": "manager"}).json()["role"] == "manager"
    assert (
        o.put(f"/api/v1/users/{uid}/password", json={"password": "another one!"}).status_code == 200
    )
    assert crm.users.authenticate("ana", "another one!").id == uid
    issued = o.post(f"/api/v1/users/{uid}/tokens", json={"name": "label printer"})
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert crm.users.authenticate_token(token).username == "ana"
    assert o.post(f"/api/v1/users/{uid}/deactivate").json()["active"] is False
    me = o.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401  # a deactivated user's token stops working at once
    assert o.post(f"/api/v1/users/{uid}/reactivate").json() == as_json(crm.users.get(uid))
    assert o.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["id"] == uid
    settings = o.patch("/api/v1/settings", json={"shop_name": "Ó Briain's", "currency": "GBP",
                                                  "timezone": "Europe/Dublin"})  # fmt: skip
    assert settings.status_code == 200
    assert settings.json() == as_json(crm.settings.get())
    assert crm.settings.get().timezone == "Europe/Dublin"
    entry = _last_audit(crm)
    assert (entry.actor, entry.entity) == ("zoe.owner", "settings")
