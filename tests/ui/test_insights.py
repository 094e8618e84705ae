"""The Insights page: customers by RFM segment (chart, table with hints, each segment's
customers paged on the server, CSV) and the reorder list (urgency, reorder points, CSV)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from nicegui import events, ui
from nicegui.testing import User

from crpm_core import CRPM
from tests.ui.helpers import element, table, until

NOW = datetime.now(UTC)


def insights_shop(shop: CRPM) -> dict[str, int]:
    """31 customers: Zoë, who bought most, most often and last (a Champion), and 30 alike
    who bought once, 40 days ago (all tied: Lost). Mug sells fastest for its stock, Tea
    next, Spoon not at all."""
    tea = shop.products.add(name="Tea", price="2.50", stock=200, sku="TEA").id
    mug = shop.products.add(name="Mug", price="5.00", stock=200, sku="MUG").id
    spoon = shop.products.add(name="Spoon", price="1.00", stock=40, sku="SPN").id
    zoe = shop.customers.add(name="Zoë", email="zoe@example.org").id
    for i in range(30):
        who = shop.customers.add(name=f"O'Brien {i:02d}", email=f"ob{i}@example.org").id
        shop.orders.place(customer_id=who, lines=[(tea, 1)], purchased_at=NOW - timedelta(40))
    for day in (1, 2, 3):
        shop.orders.place(
            customer_id=zoe, lines=[(tea, 10), (mug, 63)], purchased_at=NOW - timedelta(day)
        )
    # stock now: Tea 200-30-30 = 140 (30 sold in the last 30 days: 1/day, 140 days of
    # cover); Mug 200-189 = 11 (189 sold: 6.3/day, under 2 days); Spoon 40, no sales
    return {"tea": tea, "mug": mug, "spoon": spoon, "zoe": zoe}


async def test_segments_chart_table_and_hints(app_user: User, shop: CRPM) -> None:
    insights_shop(shop)
    await app_user.open("/insights")
    chart = element(app_user, "chart-segments")
    names = chart.options["yAxis"]["data"]
    counts = dict(zip(names, chart.options["series"][0]["data"], strict=True))
    assert counts["Champions"] == 1 and counts["Lost"] == 30 and sum(counts.values()) == 31
    assert chart.props["aria-label"].endswith("(the same figures are in the table below)")
    rows = {r["segment"]: r for r in table(app_user, "segments-table").rows}
    assert next(iter(rows)) == "Champions" and len(rows) == 12  # the contract's order
    assert rows["Lost"]["customers"] == "30" and rows["Lost"]["revenue"] == "75.00"
    assert rows["At Risk"]["hint"] == "At Risk: bought often, not lately — reach out"
    assert rows["Champions"]["revenue"] == "1,020.00"


async def test_a_segment_s_customers_are_paged_on_the_server(app_user: User, shop: CRPM) -> None:
    insights_shop(shop)
    await app_user.open("/insights")
    members = table(app_user, "segment-customers")
    assert element(app_user, "segment-select").value == "Champions"
    assert [r["name"] for r in members.rows] == ["Zoë"]
    assert members.rows[0]["scores"] == "5 5 5"
    element(app_user, "segment-select").value = "Lost"
    await until(lambda: members.pagination["rowsNumber"] == 30, what="the Lost customers")
    assert len(members.rows) == 10  # one page reaches the browser
    assert element(app_user, "segment-hint").text.startswith("Lost: ")
    pagination = {"page": 3, "rowsPerPage": 10, "sortBy": "name", "descending": False}
    _emit(members, "request", {"pagination": pagination})
    await until(lambda: members.rows[0]["name"] == "O'Brien 20", what="page 3 by name")
    assert len(members.rows) == 10


def _shown(user: User, marker: str) -> bool:
    try:
        return bool(user.find(marker=marker).elements)
    except AssertionError:
        return False


def _emit(t: ui.table, event: str, args: object) -> None:
    """What the browser sends when the user pages a server-side table or clicks a row's
    button (NiceGUI handles it as a background task)."""
    (listener,) = [h for h in t._event_listeners.values() if h.type == event]
    events.handle_event(
        listener.handler, events.GenericEventArguments(sender=t, client=t.client, args=args)
    )


async def test_segment_csv_download(app_user: User, shop: CRPM) -> None:
    insights_shop(shop)
    shop.customers.add(name="=cmd|' /C calc'!A0", email="x@example.org")  # bought nothing
    await app_user.open("/insights")
    element(app_user, "segment-select").value = "Lost"
    await until(
        lambda: table(app_user, "segment-customers").pagination["rowsNumber"] == 30, what="Lost"
    )
    app_user.find(marker="csv-segment").click()
    response = await app_user.download.next()
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 30 and {r["segment"] for r in rows} == {"Lost"}
    assert list(rows[0]) == [
        "customer_id", "name", "recency_days", "frequency", "monetary", "r", "f", "m", "segment",
    ]  # fmt: skip
    assert rows[0]["name"].startswith("O'Brien") and rows[0]["monetary"] == "2.50"
    assert rows[0]["recency_days"] in ("39", "40")


async def test_reorder_list_by_urgency_and_csv(app_user: User, shop: CRPM) -> None:
    insights_shop(shop)
    await app_user.open("/insights?tab=reorder")
    assert element(app_user, "insights-panels").value == "reorder"
    rows = table(app_user, "reorder-table").rows
    assert [r["name"] for r in rows] == ["Mug", "Tea", "Spoon"]
    mug, tea, spoon = rows
    assert (mug["stock"], mug["velocity"], mug["cover"]) == ("11", "6.30", "1.7")
    assert (tea["velocity"], tea["cover"]) == ("1.00", "140.0")
    assert spoon["cover"] == "no sales" and spoon["velocity"] == "0.00"
    # Mug: 5 (the default point) + 6.3 * 30 - 11 = 183
    assert mug["suggested"] == "183" and spoon["suggested"] == "0"
    assert "0 of 3 active products" in element(app_user, "reorder-summary").text

    app_user.find(marker="csv-reorder").click()
    response = await app_user.download.next()
    got = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["name"] for r in got] == ["Mug", "Tea", "Spoon"]
    assert got[0]["daily_velocity"] == "6.3000" and got[2]["days_of_cover"] == ""

    element(app_user, "reorder-days").value = 7  # the last week: only Zoë's orders
    await until(
        lambda: table(app_user, "reorder-table").rows[1]["velocity"] == "4.29", what="7 days"
    )


async def test_a_manager_sets_a_reorder_point_from_the_list(manager: User, shop: CRPM) -> None:
    ids = insights_shop(shop)
    await manager.open("/insights?tab=reorder")
    reorder = table(manager, "reorder-table")
    _emit(reorder, "edit_point", ids["spoon"])
    await until(lambda: _shown(manager, "reorder-point"), what="the dialog")
    field = manager.find(marker="reorder-point")
    field.type("1.5")
    manager.find(marker="reorder-point-save").click()
    await until(lambda: next(iter(field.elements)).error == "Use a whole number of units")
    field.clear().type("-3")
    manager.find(marker="reorder-point-save").click()
    await until(lambda: bool(next(iter(field.elements)).error), what="-3 refused")
    assert next(iter(field.elements)).error == "Must be at least 0"  # the core's words
    assert shop.products.get(ids["spoon"]).reorder_point is None  # nothing changed
    field.clear().type("45")
    manager.find(marker="reorder-point-save").click()
    await until(lambda: shop.products.get(ids["spoon"]).reorder_point == 45, what="saved")
    assert shop.products.get(ids["spoon"]).reorder_point == 45
    assert manager.notify.contains("Spoon: reorder point 45")
    await until(lambda: "1 of 3 active products" in element(manager, "reorder-summary").text)
    spoon = next(r for r in reorder.rows if r["name"] == "Spoon")
    assert spoon["point"] == "45" and spoon["stock"] == "40 (low)" and spoon["suggested"] == "5"


async def test_a_clerk_sees_no_insights(clerk: User, shop: CRPM) -> None:
    insights_shop(shop)
    await clerk.open("/insights")
    await clerk.should_see(marker="not-allowed")
    await clerk.should_not_see("Zoë")
    for url in ("/downloads/customer-segments.csv", "/downloads/reorder.csv?days=30"):
        await clerk.open("/")  # the routes answer over HTTP, as a browser would ask
        response = await clerk.http_client.get(url)
        assert response.status_code == 403, url
        assert "Your role may not read reports" in response.text


async def test_bad_download_parameters_are_refused(app_user: User, shop: CRPM) -> None:
    await app_user.open("/")
    for url in (
        "/downloads/customer-segments.csv?segment=Nobody",
        "/downloads/reorder.csv?days=0",
        "/downloads/reorder.csv?days=9999999999999999999999",
        "/downloads/reorder.csv?days=-3",
    ):
        response = await app_user.http_client.get(url)
        assert response.status_code == 400, url
