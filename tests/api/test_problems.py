"""Every refusal is a problem document (RFC 9457) with the status the contract names, and
changes nothing; no traceback ever leaves the server."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from crpm_core import CRPM
from tests.api.conftest import Staff
from tests.helpers import snapshot

PROBLEM = "application/problem+json"


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return dict(body)


def test_no_token_a_wrong_token_or_a_revoked_one_is_401(
    crm: CRPM, owner: Staff, anonymous: TestClient
) -> None:
    answer = anonymous.get("/api/v1/customers")
    problem(answer, 401)
    assert answer.headers["www-authenticate"] == "Bearer"
    wrong = {"Authorization": "Bearer crpm_not-a-token"}
    problem(anonymous.get("/api/v1/customers", headers=wrong), 401)
    basic = {"Authorization": "Basic em9lOnNlY3JldA=="}
    problem(anonymous.get("/api/v1/customers", headers=basic), 401)
    assert owner.client.get("/api/v1/customers").status_code == 200
    crm.users.revoke_token(owner.token)
    problem(owner.client.get("/api/v1/customers"), 401)


def test_a_clerk_is_refused_what_the_role_may_not_do_with_403(crm: CRPM, clerk: Staff) -> None:
    product = crm.products.add(name="Tea", price="1.00", stock=3)
    before = snapshot(crm)
    c = clerk.client
    for method, url, body in [
        ("post", "/api/v1/products", {"name": "X", "price": "1.00"}),
        ("post", f"/api/v1/products/{product.id}/restock", {"quantity": 1}),
        ("put", f"/api/v1/products/{product.id}/stock", {"stock": 1}),
        ("delete", f"/api/v1/products/{product.id}", None),
        ("get", "/api/v1/reports/summary", None),
        ("get", "/api/v1/stock-movements", None),
        ("get", "/api/v1/audit", None),
        ("get", "/api/v1/users", None),
        ("post", "/api/v1/users", {"username": "eve", "password": "0123456789", "role": "owner"}),
        ("patch", "/api/v1/settings", {"shop_name": "Mine"}),
    ]:
        answer = c.request(method, url, json=body)
        assert problem(answer, 403)["detail"].startswith("your role may not"), url
    assert snapshot(crm) == before
    assert c.get("/api/v1/products").status_code == 200  # what a clerk may do still works


def test_an_unknown_id_is_404_and_an_unknown_route_too(owner: Staff) -> None:
    assert "does not exist" in problem(owner.client.get("/api/v1/customers/999"), 404)["detail"]
    problem(owner.client.get(f"/api/v1/orders/{2**63 - 1}"), 404)
    problem(owner.client.get("/api/v1/no-such-thing"), 404)
    wrong_method = owner.client.put("/api/v1/customers")
    problem(wrong_method, 405)
    assert set(wrong_method.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@b.co"}, "name"),
        ({"name": "", "email": "a@b.co"}, "name"),
        ({"name": "A" * 201, "email": "a@b.co"}, "name"),
        ({"name": "\u200b", "email": "a@b.co"}, "name"),
        ({"name": "Ada\u202e", "email": "a@b.co"}, "name"),
        ({"name": "Ada", "email": "not-an-email"}, "email"),
        ({"name": "Ada", "email": "a@b.co", "phone": "12"}, "phone"),
        ({"name": "Ada", "email": "a@b.co", "shoe_size": 44}, "shoe_size"),
        ({"name": 7, "email": "a@b.co"}, "name"),
    ],
)
def test_a_bad_field_is_422_naming_it_and_changes_nothing(
    crm: CRPM, owner: Staff, body: dict[str, Any], field: str
) -> None:
    before = snapshot(crm)
    answer = problem(owner.client.post("/api/v1/customers", json=body), 422)
    assert answer["field"] == field
    assert snapshot(crm) == before


def test_an_order_names_the_bad_line(crm: CRPM, owner: Staff) -> None:
    c = crm.customers.add(name="Ada", email="ada@example.org")
    p = crm.products.add(name="Tea", price="1.00", stock=3)
    lines = [{"product_id": p.id, "quantity": 1}, {"product_id": p.id, "quantity": True}]
    body = {"customer_id": c.id, "lines": lines}
    assert problem(owner.client.post("/api/v1/orders", json=body), 422)["field"] == (
        "lines[1].quantity"
    )
    bad_money = owner.client.post("/api/v1/products", json={"name": "X", "price": "1.005"})
    assert problem(bad_money, 422)["field"] == "price"
    float_money = owner.client.post("/api/v1/products", json={"name": "X", "price": 1.5})
    assert problem(float_money, 422)["field"] == "price"
    bad_time = owner.client.get("/api/v1/orders", params={"start": "2026-02-30T00:00:00Z"})
    assert problem(bad_time, 422)["field"] == "start"
    naive = owner.client.get("/api/v1/orders", params={"start": "2026-02-03T00:00:00"})
    assert problem(naive, 422)["field"] == "start"
    backwards = owner.client.get(
        "/api/v1/reports/summary",
        params={"start": "2026-02-03T00:00:00Z", "end": "2026-02-01T00:00:00Z"},
    )
    assert problem(backwards, 422)["field"] == "end"
    broken = owner.client.post(
        "/api/v1/orders", content=b'{"customer_id": ', headers={"content-type": "application/json"}
    )
    problem(broken, 422)


def test_short_stock_is_409_with_requested_and_available(crm: CRPM, owner: Staff) -> None:
    c = crm.customers.add(name="Ada", email="ada@example.org")
    p = crm.products.add(name="Tea", price="1.00", stock=3)
    q = crm.products.add(name="Mug", price="5.00", stock=9)
    before = snapshot(crm)
    body = {
        "customer_id": c.id,
        "lines": [
            {"product_id": q.id, "quantity": 1},
            {"product_id": p.id, "quantity": 2},
            {"product_id": p.id, "quantity": 2},
        ],
    }
    answer = problem(owner.client.post("/api/v1/orders", json=body), 409)
    assert (answer["requested"], answer["available"], answer["product_id"]) == (4, 3, p.id)
    assert snapshot(crm) == before
    crm.customers.deactivate(c.id)
    body["lines"] = body["lines"][:1]
    problem(owner.client.post("/api/v1/orders", json=body), 409)
    crm.customers.reactivate(c.id)
    order = owner.client.post("/api/v1/orders", json={**body, "ref": "A-1"})
    assert order.status_code == 201
    again = problem(owner.client.post("/api/v1/orders", json={**body, "ref": "A-1"}), 409)
    assert "A-1" in again["detail"] or again.get("field") == "ref"
    dup = owner.client.post("/api/v1/customers", json={"name": "Ada", "email": "ADA@example.org"})
    assert problem(dup, 409)["field"] == "email"


def test_an_unexpected_error_is_a_bare_500_without_a_traceback(
    crm: CRPM, owner: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crpm_core.services.customers import Customers

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals: /srv/crpm/password.txt")

    monkeypatch.setattr(Customers, "list", broken)
    answer = owner.client.get("/api/v1/customers")
    body = problem(answer, 500)
    assert "secret" not in answer.text and "RuntimeError" not in answer.text
    assert body["detail"] == "the request could not be carried out"
