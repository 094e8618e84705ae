"""The demo filler writes one coherent history, in one transaction, through the services."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from crpm_core import CRPM, demo
from crpm_core.persistence.tables import customers, products, purchases, stock_movements
from tests.helpers import snapshot

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


def _rows(crm: CRPM, table: object) -> list[dict[str, object]]:
    with crm.db.transaction(write=False) as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]  # type: ignore[call-overload]


def test_the_demo_history_is_coherent(crm: CRPM) -> None:
    made = demo.fill(crm, customers=40, purchases=400, days=60, now=NOW)
    assert (made.customers, made.products, made.purchases) == (40, len(demo.PRODUCTS), 400)
    people = {r["id"]: r for r in _rows(crm, customers)}
    goods = {r["id"]: r for r in _rows(crm, products)}
    sales = _rows(crm, purchases)
    moves = sorted(_rows(crm, stock_movements), key=lambda m: (m["at"], m["id"]))
    assert len(sales) == 400
    first_buy: dict[object, datetime] = {}
    for sale in sales:
        at = sale["purchased_at"]
        assert isinstance(at, datetime) and at <= NOW
        first_buy[sale["customer_id"]] = min(first_buy.get(sale["customer_id"], at), at)
        assert goods[sale["product_id"]]["created_at"] <= at  # type: ignore[operator]
    for cid, at in first_buy.items():
        assert people[cid]["created_at"] <= at  # type: ignore[operator]
    sale_time = {s["id"]: s["purchased_at"] for s in sales}
    running: dict[object, int] = {}
    for m in moves:
        if m["kind"] == "sale":
            assert m["at"] == sale_time[m["purchase_id"]]  # the ledger row is the sale's time
        running[m["product_id"]] = running.get(m["product_id"], 0) + int(m["change"])  # type: ignore[call-overload]
        assert running[m["product_id"]] == m["stock_after"] >= 0
    assert {pid: g["stock"] for pid, g in goods.items()} == running
    assert {m["actor"] for m in moves} == {"system"}
    # baskets of several lines, and a few returns and cancels, each at its own later time
    assert crm.orders.list(limit=1).total < 400
    kinds = {m["kind"] for m in moves}
    assert {"initial", "sale", "return", "cancel"} <= kinds
    assert sum(1 for p in people.values() if not p["active"]) == 1


def test_a_demo_that_fails_half_way_leaves_nothing(
    crm: CRPM, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(crm)
    calls = {"n": 0}

    def halfway(done: int, total: int) -> None:
        calls["n"] += 1
        if done >= total // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        demo.fill(crm, customers=20, purchases=400, now=NOW, progress=halfway)
    assert calls["n"] >= 1
    assert snapshot(crm) == before
