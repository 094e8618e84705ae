"""Staff accounts, the permission matrix, the lockout and the audit trail."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

import crpm_core
from crpm_core import CRPM, errors, transfer
from crpm_core.persistence.tables import users
from tests.helpers import snapshot, wipe

PASSWORD = "correct horse battery"
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def staff(crm: CRPM) -> dict[str, CRPM]:
    for role in ("owner", "manager", "clerk"):
        crm.users.add(username=role, password=PASSWORD, role=role)
    return {role: crm.as_user(role) for role in ("owner", "manager", "clerk")}


def test_a_user_is_stored_with_an_argon2_hash_only(crm: CRPM) -> None:
    ada = crm.users.add(username="ada", password=PASSWORD, role="manager")
    assert (ada.username, ada.role, ada.active) == ("ada", "manager", True)
    assert PASSWORD not in repr(ada)
    with crm.db.transaction(write=False) as conn:
        digest = conn.execute(select(users.c.password_hash)).scalar_one()
    assert digest.startswith("$argon2id$") and PASSWORD not in digest
    assert crm.users.authenticate("ada", PASSWORD) == ada
    assert crm.users.list().items == (ada,)
    with pytest.raises(errors.Conflict):
        crm.users.add(username="ada", password=PASSWORD, role="clerk")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "Ada"}, "username"),
        ({"username": "a b"}, "username"),
        ({"username": ""}, "username"),
        ({"password": "short"}, "password"),
        ({"password": 12345678901}, "password"),
        ({"role": "admin"}, "role"),
    ],
)
def test_bad_user_fields_are_refused(crm: CRPM, fields: dict[str, Any], field: str) -> None:
    before = snapshot(crm)
    with pytest.raises(errors.ValidationError) as bad:
        crm.users.add(**{"username": "ada", "password": PASSWORD, "role": "clerk", **fields})
    assert bad.value.field == field
    assert snapshot(crm) == before


def test_a_wrong_password_and_an_unknown_user_fail_alike(crm: CRPM) -> None:
    crm.users.add(username="ada", password=PASSWORD, role="clerk")
    with pytest.raises(errors.AuthenticationFailed) as wrong:
        crm.users.authenticate("ada", "not the password")
    with pytest.raises(errors.AuthenticationFailed) as unknown:
        crm.users.authenticate("bob", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == "Wrong username or password"


def test_five_failures_in_fifteen_minutes_lock_the_account(db_url: URL) -> None:
    now = [T0]
    with crpm_core.connect(db_url, clock=lambda: now[0]) as crm:
        wipe(crm)
        crm.users.add(username="ada", password=PASSWORD, role="clerk")
        for minute in range(4):
            now[0] = T0 + timedelta(minutes=minute)
            with pytest.raises(errors.AuthenticationFailed):
                crm.users.authenticate("ada", "wrong password!")
        assert crm.users.authenticate("ada", PASSWORD).username == "ada"  # clears the count
        for minute in range(5):
            now[0] = T0 + timedelta(minutes=10 + minute)
            with pytest.raises(errors.AuthenticationFailed) as failed:
                crm.users.authenticate("ada", "wrong password!")
        assert failed.value.locked and "locked" in str(failed.value)
        locked_at = now[0]
        now[0] = locked_at + timedelta(minutes=10)
        with pytest.raises(errors.AuthenticationFailed) as still:  # even the right password
            crm.users.authenticate("ada", PASSWORD)
        assert still.value.locked and "Wrong username or password" in str(still.value)
        now[0] = locked_at + timedelta(minutes=15, seconds=1)  # the attempt did not extend it
        assert crm.users.authenticate("ada", PASSWORD).username == "ada"
        # failures spread over more than 15 minutes never lock
        for minute in range(0, 80, 16):
            now[0] = locked_at + timedelta(minutes=20 + minute)
            with pytest.raises(errors.AuthenticationFailed) as spread:
                crm.users.authenticate("ada", "wrong password!")
            assert not spread.value.locked


def test_a_deactivated_user_can_neither_log_in_nor_act(crm: CRPM) -> None:
    ada = crm.users.add(username="ada", password=PASSWORD, role="owner")
    crm.users.deactivate(ada.id)
    with pytest.raises(errors.AuthenticationFailed):
        crm.users.authenticate("ada", PASSWORD)
    for who in ("ada", "nobody", 42):
        with pytest.raises(errors.PermissionDenied):
            crm.as_user(who)  # type: ignore[arg-type]


def _world(crm: CRPM) -> dict[str, int]:
    c = crm.customers.add(name="Zoë", email="zoe@example.ie")
    spare = crm.customers.add(name="Never bought", email="spare@example.ie")
    p = crm.products.add(name="Tea", price="6.50", stock=50, sku="TEA")
    unsold = crm.products.add(name="Unsold", price="1.00", stock=1, sku="UNS")
    order = crm.orders.place(customer_id=c.id, lines=[(p.id, 2), (p.id, 1)])
    return {
        "customer": c.id,
        "spare": spare.id,
        "product": p.id,
        "unsold": unsold.id,
        "order": order.id,
        "line": order.lines[0].id,
        "line2": order.lines[1].id,
    }


Call = Callable[[CRPM, dict[str, int]], object]
MATRIX: list[tuple[str, set[str], Call]] = [
    ("see customers", {"owner", "manager", "clerk"}, lambda h, w: h.customers.list()),
    ("see products", {"owner", "manager", "clerk"}, lambda h, w: h.products.get(w["product"])),
    (
        "add a customer",
        {"owner", "manager", "clerk"},
        lambda h, w: h.customers.add(name="New", email=f"new-{h.actor}@example.com"),
    ),
    (
        "update a customer",
        {"owner", "manager", "clerk"},
        lambda h, w: h.customers.update(w["customer"], phone="+353 1 555 0101"),
    ),
    (
        "place an order",
        {"owner", "manager", "clerk"},
        lambda h, w: h.orders.place(customer_id=w["customer"], lines=[(w["product"], 1)]),
    ),
    (
        "record a sale",
        {"owner", "manager", "clerk"},
        lambda h, w: h.purchases.record(
            customer_id=w["customer"], product_id=w["product"], quantity=1
        ),
    ),
    ("read settings", {"owner", "manager", "clerk"}, lambda h, w: h.settings.get()),
    (
        "deactivate a customer",
        {"owner", "manager"},
        lambda h, w: h.customers.deactivate(w["spare"]),
    ),
    (
        "reactivate a customer",
        {"owner", "manager"},
        lambda h, w: h.customers.reactivate(w["spare"]),
    ),
    (
        "add a product",
        {"owner", "manager"},
        lambda h, w: h.products.add(name="Mug", price="9.99", sku=f"MUG-{h.actor}"),
    ),
    (
        "update a product",
        {"owner", "manager"},
        lambda h, w: h.products.update(w["product"], price="7"),
    ),
    ("restock", {"owner", "manager"}, lambda h, w: h.products.restock(w["product"], 5)),
    ("correct stock", {"owner", "manager"}, lambda h, w: h.products.set_stock(w["product"], 40)),
    ("deactivate a product", {"owner", "manager"}, lambda h, w: h.products.deactivate(w["unsold"])),
    ("cancel an order", {"owner", "manager"}, lambda h, w: h.orders.cancel(w["order"])),
    ("cancel a line", {"owner", "manager"}, lambda h, w: h.purchases.cancel(w["line2"])),
    ("return items", {"owner", "manager"}, lambda h, w: h.purchases.return_items(w["line"], 1)),
    ("reports", {"owner", "manager"}, lambda h, w: h.reports.sales_summary()),
    ("analytics", {"owner", "manager"}, lambda h, w: h.reports.top_customers()),
    ("stock ledger", {"owner", "manager"}, lambda h, w: h.reports.stock_movements()),
    (
        "import",
        {"owner", "manager"},
        lambda h, w: transfer.import_customers(
            h, io.StringIO(f"name,email,phone\nImp,imp-{h.actor}@example.com,\n")
        ),
    ),
    ("export", {"owner", "manager"}, lambda h, w: transfer.export_customers(h, io.StringIO())),
    ("read the audit trail", {"owner", "manager"}, lambda h, w: h.audit.list()),
    ("list users", {"owner", "manager"}, lambda h, w: h.users.list()),
    ("delete a customer", {"owner"}, lambda h, w: h.customers.delete(w["spare"])),
    ("delete a product", {"owner"}, lambda h, w: h.products.delete(w["unsold"])),
    (
        "add a user",
        {"owner"},
        lambda h, w: h.users.add(username=f"new-{h.actor}", password=PASSWORD, role="clerk"),
    ),
    ("change settings", {"owner"}, lambda h, w: h.settings.update(shop_name="Renamed")),
    (
        "issue a token",
        {"owner"},
        lambda h, w: h.users.issue_token(h.users.authenticate("clerk", PASSWORD).id, name="t"),
    ),
]


@pytest.mark.parametrize(("what", "allowed", "call"), MATRIX, ids=[m[0] for m in MATRIX])
@pytest.mark.parametrize("role", ["owner", "manager", "clerk"])
def test_the_permission_matrix_is_enforced_in_the_core(
    crm: CRPM, staff: dict[str, CRPM], role: str, what: str, allowed: set[str], call: Call
) -> None:
    world = _world(crm)
    handle = staff[role]
    if role in allowed:
        call(handle, world)
        return
    before = snapshot(crm)
    with pytest.raises(errors.PermissionDenied) as refused:
        call(handle, world)
    assert refused.value.action
    assert snapshot(crm) == before  # nothing changed, no audit row


def test_every_user_may_change_their_own_password_only(crm: CRPM, staff: dict[str, CRPM]) -> None:
    clerk = staff["clerk"].users.authenticate("clerk", PASSWORD)
    manager = crm.users.authenticate("manager", PASSWORD)
    staff["clerk"].users.set_password(clerk.id, "a brand new passphrase")
    assert crm.users.authenticate("clerk", "a brand new passphrase").id == clerk.id
    with pytest.raises(errors.PermissionDenied):
        staff["clerk"].users.set_password(manager.id, "taken over, ha ha")
    with pytest.raises(errors.PermissionDenied):
        staff["manager"].users.set_role(clerk.id, "owner")
    assert staff["owner"].users.set_role(clerk.id, "manager").role == "manager"


def _last(crm: CRPM) -> Any:
    return crm.audit.list(limit=1).items[0]


def test_every_kind_of_write_leaves_its_audit_row(crm: CRPM, staff: dict[str, CRPM]) -> None:
    boss = staff["owner"]
    c = boss.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    entry = _last(crm)
    assert (entry.actor, entry.action, entry.entity, entry.entity_id) == (
        "owner",
        "add",
        "customer",
        c.id,
    )
    assert entry.changes["name"] == [None, "Zoë O'Brien"] and entry.changes["active"] == [
        None,
        True,
    ]
    boss.customers.update(c.id, name="Zoë Ó Briain")
    assert _last(crm).changes == {"name": ["Zoë O'Brien", "Zoë Ó Briain"]}
    p = boss.products.add(name="Tea", price="6.50", stock=10, sku="TEA")
    assert _last(crm).changes["price"] == [None, "6.50"]
    boss.products.update(p.id, price="7.00")
    assert _last(crm).changes == {"price": ["6.50", "7.00"]}
    boss.products.restock(p.id, 5, note="delivery")
    assert (_last(crm).action, _last(crm).changes) == (
        "restock",
        {"stock": [10, 15], "note": [None, "delivery"]},
    )
    boss.products.set_stock(p.id, 14, note="one broken")
    assert _last(crm).changes["stock"] == [15, 14]
    order = staff["clerk"].orders.place(customer_id=c.id, lines=[(p.id, 3)], ref="POS-1")
    entry = _last(crm)
    assert (entry.actor, entry.action, entry.entity, entry.entity_id) == (
        "clerk",
        "place",
        "order",
        order.id,
    )
    assert entry.changes["lines"] == [None, [[order.lines[0].id, p.id, 3, "7.00"]]]
    line = order.lines[0]
    staff["manager"].purchases.return_items(line.id, 1, note="dented tin")
    entry = _last(crm)
    assert (entry.actor, entry.action, entry.entity, entry.entity_id) == (
        "manager",
        "return_items",
        "purchase",
        line.id,
    )
    assert entry.changes == {"returned_quantity": [0, 1], "note": [None, "dented tin"]}
    staff["manager"].orders.cancel(order.id)
    assert (_last(crm).action, _last(crm).entity) == ("cancel", "order")
    sale = boss.purchases.record(customer_id=c.id, product_id=p.id, quantity=1)
    assert (_last(crm).action, _last(crm).entity, _last(crm).entity_id) == (
        "record",
        "purchase",
        sale.id,
    )
    boss.purchases.cancel(sale.id)
    assert (_last(crm).action, _last(crm).entity) == ("cancel", "purchase")
    boss.settings.update(currency="GBP")
    assert (_last(crm).entity, _last(crm).changes) == ("settings", {"currency": ["EUR", "GBP"]})
    boss.customers.deactivate(c.id)
    assert _last(crm).changes == {"active": [True, False]}
    spare = boss.customers.add(name="Spare", email="spare@example.ie")
    boss.customers.delete(spare.id)
    assert (_last(crm).action, _last(crm).changes["email"]) == (
        "delete",
        ["spare@example.ie", None],
    )
    transfer.import_customers(
        boss, io.StringIO("name,email,phone\nA,a@example.com,\nB,b@example.com,\n")
    )
    entry = _last(crm)
    assert (entry.action, entry.entity, entry.entity_id, entry.changes["rows"]) == (
        "import",
        "customer",
        None,
        [None, 2],
    )
    # the stock ledger carries the actor
    moves = {(m.kind, m.actor) for m in crm.reports.stock_movements(product_id=p.id).items}
    assert {("initial", "owner"), ("sale", "clerk"), ("return", "manager")} <= moves
    assert ("sale", "owner") in moves and ("cancel", "manager") in moves


def test_no_audit_row_ever_holds_a_password_hash_or_token(
    crm: CRPM, staff: dict[str, CRPM]
) -> None:
    boss = staff["owner"]
    ada = boss.users.add(username="ada", password="ada's secret passphrase", role="clerk")
    boss.users.set_password(ada.id, "another secret passphrase")
    token = boss.users.issue_token(ada.id, name="label printer")
    with crm.db.transaction(write=False) as conn:
        digest = conn.execute(
            select(users.c.password_hash).where(users.c.id == ada.id)
        ).scalar_one()
    trail = repr(crm.audit.list(limit=1000).items)
    for secret in ("ada's secret passphrase", "another secret passphrase", token, digest):
        assert secret not in trail
    assert crm.users.authenticate_token(token).username == "ada"
    crm.users.revoke_token(token)
    with pytest.raises(errors.AuthenticationFailed):
        crm.users.authenticate_token(token)


def test_the_audit_trail_filters_newest_first(db_url: URL) -> None:
    now = [T0]
    with crpm_core.connect(db_url, clock=lambda: now[0]) as crm:
        wipe(crm)
        crm.users.add(username="ada", password=PASSWORD, role="manager")
        ada = crm.as_user("ada")
        c = ada.customers.add(name="One", email="one@example.com")
        now[0] = T0 + timedelta(hours=1)

        p = ada.products.add(name="Tea", price="1.00", sku="T")
        now[0] = T0 + timedelta(hours=2)
        crm.customers.update(c.id, name="Uno")
        everything = crm.audit.list().items
        assert [e.at for e in everything] == sorted((e.at for e in everything), reverse=True)
        assert [e.actor for e in crm.audit.list(entity="customer", entity_id=c.id).items] == [
            "system",
            "ada",
        ]
        assert [e.entity for e in crm.audit.list(actor="ada").items] == ["product", "customer"]
        window = crm.audit.list(start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2))
        assert [(e.entity, e.entity_id) for e in window.items] == [("product", p.id)]
        with pytest.raises(errors.ValidationError):
            crm.audit.list(entity="spaceship")
        assert Decimal(crm.audit.list(entity="product").items[0].changes["price"][1]) == 1


def test_the_command_line_manages_users_and_acts_as_its_login(
    crm: CRPM, db_url: URL, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass
    import sys

    from tests.core.test_cli import crpm

    url = db_url.render_as_string(hide_password=False)
    monkeypatch.setattr(getpass, "getuser", lambda: "ada")
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
    code, out, _ = crpm(capsys, "--db", url, "user", "add", "owner1", "--role", "owner")
    assert (code, out) == (0, "added owner1 (owner)\n")
    assert crm.users.authenticate("owner1", "a long enough secret").role == "owner"
    monkeypatch.setattr(sys, "stdin", io.StringIO("too short\n"))
    code, _, err = crpm(capsys, "--db", url, "user", "add", "bob", "--role", "clerk")
    assert code == 1 and "password: must be at least 10 characters" in err
    code, out, _ = crpm(capsys, "--db", url, "user", "list")
    assert code == 0 and "owner1" in out and "bob" not in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("another long secret\n"))
    assert crpm(capsys, "--db", url, "user", "passwd", "owner1")[0] == 0
    assert crm.users.authenticate("owner1", "another long secret").username == "owner1"
    code, out, err = crpm(capsys, "--db", url, "user", "token", "owner1", "--name", "web shop")
    token = out.strip()
    assert code == 0 and token.startswith("crpm_") and "shown once" in err
    assert crm.users.authenticate_token(token).username == "owner1"
    code, _, err = crpm(capsys, "--db", url, "user", "passwd", "nobody")
    assert code == 1 and "does not exist" in err
    actors = {(e.actor, e.action) for e in crm.audit.list(entity="user").items}
    assert {("cli:ada", "add"), ("cli:ada", "set_password"), ("cli:ada", "issue_token")} <= actors
