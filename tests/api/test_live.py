"""The API on a real ``crpm-ui`` server: schemathesis finds nothing with an owner's token or
a clerk's; eight tills selling the last 20 units sell exactly 20; the docs page, the login
gate and the security guard leave the API working."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL

import crpm_core
from crpm_core import CRPM
from tests.api.live import app_env, running_app

EXAMPLES_PER_OPERATION = 5
"""Kept small so that both schemathesis runs together take well under two minutes."""


def call(
    base: str, method: str, path: str, token: str | None = None, body: Any = None
) -> tuple[int, dict[str, str], Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            status, headers, raw = answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as refused:
        status, headers, raw = refused.code, dict(refused.headers), refused.read()
    kind = headers.get("content-type", "")
    return status, headers, json.loads(raw) if "json" in kind and raw else raw


def _seed(crm: CRPM) -> dict[str, tuple[int, str]]:
    """A small shop and its staff; returns username → (id, token)."""
    staff = {}
    for name, role in (("owner", "owner"), ("clerk", "clerk")):
        user = crm.users.add(username=name, password="a long password", role=role)
        staff[name] = (user.id, crm.users.issue_token(user.id, name="schemathesis"))
    names = [("Zoë O'Brien", "zoe@example.ie"), ("Дмитрий", "d@example.ru"), ("Ελένη", "e@x.gr")]
    people = [crm.customers.add(name=n, email=e) for n, e in names]
    stock = [("Tea", "6.50", 500, "TEA"), ("Mug", "12.00", 300, "MUG"), ("Kettle", "9.99", 5, None)]
    goods = [crm.products.add(name=n, price=p, stock=s, sku=k) for n, p, s, k in stock]
    for i, person in enumerate(people):
        order = crm.orders.place(customer_id=person.id, lines=[(goods[i].id, 2), (goods[0].id, 1)])
        if i == 1:
            crm.purchases.return_items(order.lines[0].id, 1)
    return staff


@pytest.mark.slow
@pytest.mark.parametrize("role", ["owner", "clerk"])
def test_schemathesis_finds_nothing(role: str, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    with crpm_core.connect(db) as crm:
        staff = _seed(crm)
    user_id, token = staff[role]
    with running_app(db, tmp_path) as base:
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "run",
                f"{base}/api/v1/openapi.json",
                "--checks",
                "all",
                "--phases",
                "examples,fuzzing",
                "--max-examples",
                str(EXAMPLES_PER_OPERATION),
                "--workers",
                "1",
                "--no-color",
                # generating data is slow on a busy machine; that is not what is tested
                "--suppress-health-check",
                "too_slow",
                "-H",
                f"Authorization: Bearer {token}",
            ],
            env=app_env(
                {
                    "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
                    "CRPM_PROTECTED_USERS": str(user_id),
                }
            ),
            cwd=tmp_path,  # schemathesis keeps a .schemathesis folder where it runs
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
    assert "45 selected" in done.stdout or "selected" in done.stdout


@pytest.mark.slow
def test_eight_tills_selling_the_last_20_units_sell_exactly_20(
    crm: CRPM, db_url: URL, tmp_path: Path
) -> None:
    owner = crm.users.add(username="owner", password="a long password", role="owner")
    token = crm.users.issue_token(owner.id, name="till")
    buyer = crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    last = crm.products.add(name="Limited edition", price="9.99", stock=20, sku="LTD")
    sold: list[int] = []
    refusals: list[Any] = []
    failures: list[Any] = []
    start = threading.Barrier(8)
    lock = threading.Lock()

    with running_app(db_url.render_as_string(hide_password=False), tmp_path) as base:

        def till() -> None:
            start.wait()
            while True:
                body = {"customer_id": buyer.id, "lines": [{"product_id": last.id, "quantity": 1}]}
                status, headers, answer = call(base, "POST", "/api/v1/orders", token, body)
                with lock:
                    if status == 201:
                        sold.append(answer["id"])
                        continue
                    if status == 503:  # busy: nothing changed, try again
                        continue
                    if status == 409:
                        refusals.append((headers.get("content-type"), answer))
                    else:
                        failures.append((status, answer))
                    return

        threads = [threading.Thread(target=till) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)

    assert not failures
    assert len(sold) == len(set(sold)) == 20
    assert len(refusals) == 8
    for kind, problem in refusals:
        assert kind == "application/problem+json"
        assert (problem["status"], problem["requested"], problem["available"]) == (409, 1, 0)
    assert crm.products.get(last.id).stock == 0
    assert crm.orders.list(limit=50).total == 20
    assert {m.actor for m in crm.reports.stock_movements(kind="sale").items} == {"owner"}


def test_the_api_its_docs_and_the_app_live_side_by_side(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    with crpm_core.connect(db) as crm:
        staff = _seed(crm)
    _, token = staff["clerk"]
    with running_app(db, tmp_path) as base:
        status, headers, answer = call(base, "GET", "/api/v1/customers?limit=2", token)
        assert status == 200 and answer["total"] == 3 and len(answer["items"]) == 2
        assert "default-src 'self'" in headers["content-security-policy"]
        # no token: a problem document, not the login page
        status, headers, answer = call(base, "GET", "/api/v1/customers")
        assert (status, headers["content-type"]) == (401, "application/problem+json")
        status, _, document = call(base, "GET", "/api/v1/openapi.json")
        assert status == 200 and document["info"]["title"] == "CRPM API"
        assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
        status, headers, page = call(base, "GET", "/api/docs")
        assert status == 200 and b"swagger-ui-bundle.js" in page
        # the docs page loads everything from this server (the CSP allows nothing else)
        assert b"https://" not in page and b"http://" not in page
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
            status, _, _ = call(base, "GET", f"/api/docs/static/{asset}")
            assert status == 200, asset
        # the app's pages still ask for a login
        request = urllib.request.Request(base + "/customers")
        opener = urllib.request.build_opener(_NoRedirect())
        with pytest.raises(urllib.error.HTTPError) as redirected:
            opener.open(request, timeout=30)
        assert redirected.value.code == 303
        assert redirected.value.headers["location"].startswith("/login")
        # a foreign Host is refused before the API sees the request
        foreign = urllib.request.Request(base + "/api/v1/customers", headers={"Host": "evil.test"})
        foreign.add_header("Authorization", f"Bearer {token}")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(foreign, timeout=30)
        assert refused.value.code == 400


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
