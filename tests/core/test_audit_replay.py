"""The audit trail is complete: for any sequence of writes by any staff, replaying the trail
from the start gives back the same customers, products and stock as the database holds."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crpm_core import CRPM, errors
from tests.helpers import wipe

PASSWORD = "correct horse battery"
ACTORS = st.sampled_from(["system", "owner", "manager", "clerk"])
IDX = st.integers(min_value=0, max_value=5)
OPS = st.lists(
    st.tuples(
        ACTORS,
        st.sampled_from(
            [
                "add_customer",
                "update_customer",
                "toggle_customer",
                "delete_customer",
                "add_product",
                "update_product",
                "restock",
                "set_stock",
                "toggle_product",
                "delete_product",
                "place",
                "record",
                "return",
                "cancel_line",
                "cancel_order",
            ]
        ),
        IDX,
        IDX,
        st.integers(min_value=1, max_value=4),
    ),
    min_size=1,
    max_size=30,
)


def test_random_histories_by_random_staff_replay_from_the_audit_trail(
    backend: str, crm: CRPM
) -> None:
    @settings(max_examples=60 if backend == "sqlite" else 20, deadline=None)
    @given(ops=OPS)
    def replays(ops: list[Any]) -> None:
        _the_trail_replays_to_the_same_shop(crm, ops)

    replays()


def _apply(handle: CRPM, op: str, i: int, j: int, n: int, step: int) -> None:
    customers = (
        handle.customers.list(limit=100, order_by="id").items if op != "add_customer" else []
    )
    products = handle.products.list(limit=100, order_by="id").items
    lines = [line for o in handle.orders.list(limit=100).items for line in o.lines]
    pick = lambda seq, k: seq[k % len(seq)] if seq else None  # noqa: E731
    c, p, line = pick(customers, i), pick(products, j), pick(lines, i + j)
    if op == "add_customer":
        handle.customers.add(name=f"Zoë {step}", email=f"c{step}@example.com")
    elif op == "update_customer" and c:
        handle.customers.update(c.id, name=f"Ó Briain {step}", phone=f"+353 1 555 {step:04d}")
    elif op == "toggle_customer" and c:
        (handle.customers.reactivate if not c.active else handle.customers.deactivate)(c.id)
    elif op == "delete_customer" and c:
        handle.customers.delete(c.id)
    elif op == "add_product":
        handle.products.add(name=f"Чай {step}", price=f"{n}.50", stock=n * 2, sku=f"S{step}")
    elif op == "update_product" and p:
        handle.products.update(p.id, price=f"{n + 1}.25", name=f"Κρασί {step}")
    elif op == "restock" and p:
        handle.products.restock(p.id, n, note=f"delivery {step}")
    elif op == "set_stock" and p:
        handle.products.set_stock(p.id, n)
    elif op == "toggle_product" and p:
        (handle.products.reactivate if not p.active else handle.products.deactivate)(p.id)
    elif op == "delete_product" and p:
        handle.products.delete(p.id)
    elif op == "place" and c and p:
        other = pick(products, j + 1)
        assert other is not None
        handle.orders.place(customer_id=c.id, lines=[(p.id, 1), (other.id, n)])
    elif op == "record" and c and p:
        handle.purchases.record(customer_id=c.id, product_id=p.id, quantity=n)
    elif op == "return" and line:
        live = [x for x in lines if x.returnable] or [line]
        target = pick(live, i)
        assert target is not None
        handle.purchases.return_items(target.id, min(n, max(target.returnable, 1)))
    elif op == "cancel_line" and line:
        handle.purchases.cancel(line.id)
    elif op == "cancel_order" and line:
        handle.orders.cancel(line.order_id)


def _replay(crm: CRPM) -> tuple[dict[int, Any], dict[int, Any]]:
    entries = sorted(crm.audit.list(limit=1000).items, key=lambda e: (e.at, e.id))
    customers: dict[int, dict[str, Any]] = {}
    products: dict[int, dict[str, Any]] = {}
    lines: dict[int, list[Any]] = {}  # line id -> [product, quantity, returned, order, live]
    for e in entries:
        after = {k: v[1] for k, v in e.changes.items()}
        if e.entity in ("customer", "product"):
            table = customers if e.entity == "customer" else products
            if e.action == "delete":
                del table[e.entity_id]  # type: ignore[arg-type]
            else:
                row = table.setdefault(e.entity_id, {})  # type: ignore[arg-type]
                row.update({k: v for k, v in after.items() if k != "note"})
        elif e.action == "place":
            for line_id, pid, qty, _ in after["lines"]:
                lines[line_id] = [pid, qty, 0, e.entity_id, True]
                products[pid]["stock"] -= qty
        elif e.action == "record":
            lines[e.entity_id] = [
                after["product_id"],
                after["quantity"],
                0,
                after["order_id"],
                True,
            ]  # type: ignore[index]
            products[after["product_id"]]["stock"] -= after["quantity"]
        elif e.action == "return_items":
            before, now = e.changes["returned_quantity"]
            lines[e.entity_id][2] = now  # type: ignore[index]
            products[lines[e.entity_id][0]]["stock"] += now - before  # type: ignore[index]
        elif e.action == "cancel":
            chosen = (
                [e.entity_id]
                if e.entity == "purchase"
                else [k for k, v in lines.items() if v[3] == e.entity_id and v[4]]
            )
            for k in chosen:
                pid, qty, back, _, _ = lines[k]  # type: ignore[index]
                products[pid]["stock"] += qty - back
                lines[k][4] = False  # type: ignore[index]
    return customers, products


def _the_trail_replays_to_the_same_shop(crm: CRPM, ops: list[Any]) -> None:
    wipe(crm)
    for role in ("owner", "manager", "clerk"):
        crm.users.add(username=role, password=PASSWORD, role=role)
    handles = {"system": crm, **{r: crm.as_user(r) for r in ("owner", "manager", "clerk")}}
    crm.customers.add(name="First", email="first@example.com")  # a shop to start from
    for k in range(2):
        crm.products.add(name=f"Stock {k}", price="2.00", stock=40, sku=f"START-{k}")
    for step, (actor, op, i, j, n) in enumerate(ops):
        # a refusal (by a rule or the role) must have left no row
        with contextlib.suppress(errors.CRPMError):
            _apply(handles[actor], op, i, j, n, step)
    customers, products = _replay(crm)
    stored_c = {
        c.id: {"name": c.name, "email": c.email, "phone": c.phone, "active": c.active}
        for c in crm.customers.list(limit=1000).items
    }
    stored_p = {
        p.id: {
            "name": p.name,
            "sku": p.sku,
            "price": str(p.price),
            "stock": p.stock,
            "reorder_point": p.reorder_point,
            "active": p.active,
        }
        for p in crm.products.list(limit=1000).items
    }
    assert customers == stored_c
    assert products == stored_p
    assert all(isinstance(Decimal(p["price"]), Decimal) for p in products.values())
