"""``crm.check()`` and ``crpm check``: stock against the ledger, rollups against the purchases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, update
from sqlalchemy.engine import URL

from crpm_core import CRPM
from crpm_core.cli import main
from crpm_core.persistence.tables import (
    customer_sales,
    product_sales,
    product_sales_days,
    products,
    sales_days,
)

AT = datetime(2024, 10, 26, 22, 30, tzinfo=UTC)  # 00:30 on 27 October in Berlin


@pytest.fixture
def url(db_url: URL) -> str:
    return db_url.render_as_string(hide_password=False)


def _shop(crm: CRPM) -> tuple[int, int, int]:
    crm.settings.update(timezone="Europe/Berlin")
    cid = crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie").id
    tea = crm.products.add(name="Thé vert", price="3.50", stock=50, sku="TEA-1").id
    mug = crm.products.add(name="Mug", price="9.99", stock=20).id
    order = crm.orders.place(customer_id=cid, lines=[(tea, 2), (mug, 1), (tea, 1)], purchased_at=AT)
    crm.purchases.return_items(order.lines[0].id, 1)
    crm.purchases.cancel(order.lines[1].id)
    crm.purchases.record(customer_id=cid, product_id=mug, quantity=3)
    return cid, tea, mug


def test_a_consistent_shop_checks_clean(
    crm: CRPM, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _shop(crm)
    assert crm.check() == []
    assert main(["--db", url, "check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("OK")


def test_stock_that_left_its_ledger_is_named_with_its_sku(
    crm: CRPM, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, tea, mug = _shop(crm)
    with crm.db.transaction() as conn:
        conn.execute(
            update(products).where(products.c.id == tea).values(stock=products.c.stock + 5)
        )
        conn.execute(update(products).where(products.c.id == mug).values(stock=0))
    found = crm.check()
    assert found == [
        f"product {tea} (SKU TEA-1): stock is 53 but its ledger sums to 48",
        f"product {mug} (no SKU): stock is 0 but its ledger sums to 17",
    ]
    assert main(["--db", url, "check"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == found
    assert "2 differences" in captured.err


def test_a_rollup_that_differs_is_named_with_its_day(crm: CRPM, url: str) -> None:
    cid, tea, mug = _shop(crm)
    day = "2024-10-27"  # the Berlin day of the order, not its UTC day
    with crm.db.transaction() as conn:
        conn.execute(update(sales_days).values(units=sales_days.c.units + 1))
        conn.execute(
            delete(product_sales_days).where(
                product_sales_days.c.product_id == tea, product_sales_days.c.lines > 0
            )
        )
        conn.execute(update(product_sales).where(product_sales.c.product_id == mug).values(lines=9))
        conn.execute(
            update(customer_sales).values(first_purchase_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
    found = crm.check()
    assert any(line.startswith(f"rollup sales_days day {day}: units is") for line in found)
    assert (
        f"rollup product_sales_days product {tea} (SKU TEA-1) day {day}: lines is missing, "
        "the purchases say 2" in "\n".join(found)
    )
    assert any(
        line.startswith(f"rollup product_sales product {mug} (no SKU): lines is 9")
        for line in found
    )
    assert any(
        line.startswith(f"rollup customer_sales customer {cid}: first_purchase_at is 2020-01-01")
        for line in found
    )
    assert main(["--db", url, "check"]) == 1


def test_changing_the_zone_rebuilds_the_days(crm: CRPM) -> None:
    _shop(crm)
    end = datetime(2024, 11, 1, tzinfo=UTC)
    before = crm.reports.sales_over_time(bucket="day", end=end)
    assert before[0].period_start.date().isoformat() == "2024-10-27"
    crm.settings.update(timezone="America/New_York")  # 18:30 on 26 October there
    assert crm.check() == []
    after = crm.reports.sales_over_time(bucket="day", end=end)
    assert after[0].period_start.date().isoformat() == "2024-10-26"
    assert after[0].units_sold == before[0].units_sold
