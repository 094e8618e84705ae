"""Days in the shop's time zone, and the rollups that keep the reports flat as history grows.

A shop's day starts at local midnight in its IANA zone (``crm.settings``); on the days daylight
saving time starts or ends it is 23 or 25 hours long. Weeks start on Monday, months on the 1st.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    Select,
    and_,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from crpm_core.domain import Bucket
from crpm_core.persistence import dialects
from crpm_core.persistence.dialects import Offsets, Sums, with_exact_sums
from crpm_core.persistence.tables import (
    customer_sales,
    product_sales,
    product_sales_days,
    products,
    purchases,
    sales_days,
    settings,
    stock_movements,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STEP = timedelta(days=7)
"""How far apart the offsets are compared when looking for changes: no zone changes its offset
and changes it back within a week."""


def zone(name: str) -> tzinfo:
    """The zone of a stored setting (``datetime.UTC`` for ``UTC``)."""
    return UTC if name == "UTC" else ZoneInfo(name)


def local_date(at: datetime, tz: tzinfo) -> date:
    """The shop's calendar day an instant falls on."""
    return at.astimezone(tz).date()


def day_start(day: date, tz: tzinfo) -> datetime:
    """The first instant of a local day, aware in ``tz``: local midnight (or, where a zone
    skips midnight, the first local time after it)."""
    naive = datetime.combine(day, time())
    if tz is UTC:
        return naive.replace(tzinfo=UTC)
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def floor_day(day: date, bucket: Bucket) -> date:
    """The first day of the day, week (from Monday) or month ``day`` is in."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def next_day(day: date, bucket: Bucket) -> date:
    """The first day of the period after the one starting on ``day``."""
    if bucket == "day":
        return day + timedelta(days=1)
    if bucket == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _offset(tz: tzinfo, seconds: int) -> int:
    at = _EPOCH + timedelta(seconds=seconds)
    delta = at.astimezone(tz).utcoffset()
    return 0 if delta is None else int(delta.total_seconds())


def offsets(tz: tzinfo, lo: datetime, hi: datetime) -> Offsets:
    """The UTC offsets of ``tz`` over ``[lo, hi]``: the one at ``lo`` and each change after
    it (the instant, to the second, and the new offset), oldest first."""
    first = int((lo - _EPOCH).total_seconds() // 1)
    last = int((hi - _EPOCH).total_seconds() // 1) + 1
    base = current = _offset(tz, first)
    if tz is UTC:
        return base, []
    changes: list[tuple[datetime, int]] = []
    step = int(_STEP.total_seconds())
    at = first
    while at < last:
        ahead = min(at + step, last)
        seen = _offset(tz, ahead)
        if seen == current:
            at = ahead
            continue
        before, after = at, ahead  # the offset is ``current`` at ``before``, not at ``after``
        while after - before > 1:
            middle = (before + after) // 2
            if _offset(tz, middle) == current:
                before = middle
            else:
                after = middle
        current = _offset(tz, after)
        changes.append((_EPOCH + timedelta(seconds=after), current))
        at = after
    return base, changes


NET_UNITS = purchases.c.quantity - purchases.c.returned_quantity
PeriodTotals = dict[date, tuple[int, int, int]]
"""The first day of each period with sales -> (revenue in minor units, net units, lines)."""


def sales_by_period(
    conn: Connection,
    tz: tzinfo,
    bucket: Bucket,
    conditions: Sequence[ColumnElement[bool]],
    lo: datetime | None,
    hi: datetime | None,
) -> PeriodTotals:
    """Sum the purchases matching ``conditions`` (within ``[lo, hi)``) per local period, in
    SQL: the offsets of the zone over the rows' span come from Python (:func:`offsets`)."""
    p = purchases.c
    if lo is None or hi is None:
        first, last = conn.execute(
            select(func.min(p.purchased_at), func.max(p.purchased_at)).where(*conditions)
        ).one()
        if first is None:
            return {}
        lo = lo or first
        hi = hi or last
    name = conn.dialect.name
    local = dialects.local_time(p.purchased_at, offsets(tz, lo, hi), name)
    period = dialects.period_start(local, bucket, name)

    def run(sums: Sums) -> Any:
        return conn.execute(
            select(
                period.label("period"),
                sums.sum(p.total_minor).label("revenue"),
                func.sum(NET_UNITS).label("units"),
                func.count().label("lines"),
            )
            .where(and_(*conditions))
            .group_by(literal_column("period"))
        ).all()

    return {
        dialects.as_utc_datetime(r.period).date(): (int(r.revenue), int(r.units), int(r.lines))
        for r in with_exact_sums(conn, run)
    }


# Keeping the rollups ------------------------------------------------------------------------
# Every writer of purchases calls one of the functions below in its own transaction, after
# the products it sells are locked. Rows are upserted in one global order (product days by
# product and day, product totals by product, the shop's day, the customer) so two writers
# that meet on the same rows queue instead of deadlocking. Every writer reads the shop's time
# zone with a share lock on the settings row; changing the zone takes that row for update and
# rebuilds the day rollups, so no sale is ever filed under the zone it is being replaced by.

_ADD_PRODUCT_DAY = ("lines", "units", "revenue_minor", "orders")
_ADD_PRODUCT = ("lines", "units", "revenue_minor")
_ADD_DAY = ("lines", "units", "returned", "revenue_minor")
_ADD_CUSTOMER = ("orders", "lines", "units", "revenue_minor")
_ZONE = select(settings.c.timezone).where(settings.c.id == 1)
_ZONE_SHARED = _ZONE.with_for_update(read=True)


def shop_zone(conn: Connection, *, lock: bool = False) -> tzinfo:
    """The shop's time zone; ``lock``: hold the settings row shared until commit (every
    writer of rollups does, so the zone cannot change under it)."""
    query = _ZONE_SHARED if lock else _ZONE
    name = conn.execute(query).scalar()
    return zone(name or "UTC")


def _upsert_all(
    conn: Connection,
    product_days: list[dict[str, Any]],
    product_totals: list[dict[str, Any]],
    days: list[dict[str, Any]],
    customer_rows: list[dict[str, Any]],
    *,
    first_last: bool = False,
) -> None:
    key_pd = operator.itemgetter("product_id", "day")
    dialects.upsert(
        conn, product_sales_days, sorted(product_days, key=key_pd), add=_ADD_PRODUCT_DAY
    )
    key_p = operator.itemgetter("product_id")
    dialects.upsert(conn, product_sales, sorted(product_totals, key=key_p), add=_ADD_PRODUCT)
    dialects.upsert(conn, sales_days, sorted(days, key=operator.itemgetter("day")), add=_ADD_DAY)
    extremes: dict[str, Sequence[str]] = (
        {"least": ("first_purchase_at",), "greatest": ("last_purchase_at",)} if first_last else {}
    )
    dialects.upsert(
        conn,
        customer_sales,
        sorted(customer_rows, key=operator.itemgetter("customer_id")),
        add=_ADD_CUSTOMER,
        **extremes,
    )


def sold(
    conn: Connection, customer_id: int, at: datetime, lines: Sequence[tuple[int, int, int]]
) -> None:
    """A new order of ``customer_id`` placed at ``at``: ``lines`` are ``(product_id,
    quantity, total_minor)``. Adds one order to the customer and to each product's day."""
    day = local_date(at, shop_zone(conn, lock=True))
    per: dict[int, list[int]] = {}
    for pid, qty, total in lines:
        figures = per.setdefault(pid, [0, 0, 0])
        figures[0] += 1
        figures[1] += qty
        figures[2] += total
    units = sum(f[1] for f in per.values())
    revenue = sum(f[2] for f in per.values())
    _upsert_all(
        conn,
        [
            {"product_id": pid, "day": day, "lines": n, "units": u, "revenue_minor": r, "orders": 1}
            for pid, (n, u, r) in per.items()
        ],
        [
            {"product_id": pid, "lines": n, "units": u, "revenue_minor": r}
            for pid, (n, u, r) in per.items()
        ],
        [
            {
                "day": day,
                "lines": len(lines),
                "units": units,
                "returned": 0,
                "revenue_minor": revenue,
            }
        ],
        [
            {
                "customer_id": customer_id,
                "orders": 1,
                "lines": len(lines),
                "units": units,
                "revenue_minor": revenue,
                "first_purchase_at": at,
                "last_purchase_at": at,
            }
        ],
        first_last=True,
    )


def returned(conn: Connection, line: Any, quantity: int) -> None:
    """``quantity`` units of a live purchase row ``line`` came back."""
    day = local_date(line["purchased_at"], shop_zone(conn, lock=True))
    pid, cid = int(line["product_id"]), int(line["customer_id"])
    money = -quantity * int(line["unit_price_minor"])
    _upsert_all(
        conn,
        [
            {
                "product_id": pid,
                "day": day,
                "lines": 0,
                "units": -quantity,
                "revenue_minor": money,
                "orders": 0,
            }
        ],
        [{"product_id": pid, "lines": 0, "units": -quantity, "revenue_minor": money}],
        [
            {
                "day": day,
                "lines": 0,
                "units": -quantity,
                "returned": quantity,
                "revenue_minor": money,
            }
        ],
        [{"customer_id": cid, "orders": 0, "lines": 0, "units": -quantity, "revenue_minor": money}],
    )


def cancelled(conn: Connection, line: Any) -> None:
    """A purchase row ``line`` (as it was before) was just cancelled: it leaves every rollup;
    its order leaves a product's day and the customer when it has no other live line there."""
    tz = shop_zone(conn, lock=True)
    p = purchases.c
    at: datetime = line["purchased_at"]
    day = local_date(at, tz)
    pid, cid, oid = int(line["product_id"]), int(line["customer_id"]), line["order_id"]
    units = int(line["quantity"]) - int(line["returned_quantity"])
    money = int(line["total_minor"])
    back = int(line["returned_quantity"])
    same_order = [p.order_id == oid, p.cancelled_at.is_(None)]
    order_left = oid is not None and conn.execute(select(p.id).where(*same_order).limit(1)).first()
    product_order_left = (
        oid is not None
        and conn.execute(
            select(p.id)
            .where(
                *same_order,
                p.product_id == pid,
                p.purchased_at >= day_start(day, tz),
                p.purchased_at < day_start(day + timedelta(days=1), tz),
            )
            .limit(1)
        ).first()
    )
    _upsert_all(
        conn,
        [
            {
                "product_id": pid,
                "day": day,
                "lines": -1,
                "units": -units,
                "revenue_minor": -money,
                "orders": 0 if product_order_left else -1,
            }
        ],
        [{"product_id": pid, "lines": -1, "units": -units, "revenue_minor": -money}],
        [{"day": day, "lines": -1, "units": -units, "returned": -back, "revenue_minor": -money}],
        [
            {
                "customer_id": cid,
                "orders": 0 if order_left else -1,
                "lines": -1,
                "units": -units,
                "revenue_minor": -money,
            }
        ],
    )
    c = customer_sales.c
    live = select(p.purchased_at).where(p.customer_id == cid, p.cancelled_at.is_(None))
    conn.execute(
        update(customer_sales)
        .where(c.customer_id == cid, or_(c.first_purchase_at == at, c.last_purchase_at == at))
        .values(
            first_purchase_at=live.with_only_columns(func.min(p.purchased_at)).scalar_subquery(),
            last_purchase_at=live.with_only_columns(func.max(p.purchased_at)).scalar_subquery(),
        )
    )


# Building the rollups from the purchases, set-based ------------------------------------------


def _span(conn: Connection, conditions: Sequence[ColumnElement[bool]]) -> tuple[Any, Any]:
    p = purchases.c
    first, last = conn.execute(
        select(func.min(p.purchased_at), func.max(p.purchased_at)).where(*conditions)
    ).one()
    return first, last


def _day_queries(
    conn: Connection, tz: tzinfo, conditions: Sequence[ColumnElement[bool]]
) -> tuple[Select[Any], Select[Any]] | None:
    """SELECTs of the product-day and day rollups of the live purchases matching
    ``conditions``, columns in table order; ``None`` when there are none."""
    first, last = _span(conn, conditions)
    if first is None:
        return None
    p = purchases.c
    name = conn.dialect.name
    day = dialects.local_day(p.purchased_at, offsets(tz, first, last), name).label("day")
    product_days = (
        select(
            p.product_id,
            day,
            func.count().label("lines"),
            func.sum(NET_UNITS).label("units"),
            func.sum(p.total_minor).label("revenue_minor"),
            func.count(func.distinct(p.order_id)).label("orders"),
        )
        .where(*conditions)
        .group_by(p.product_id, literal_column("day"))
    )
    days = (
        select(
            day,
            func.count().label("lines"),
            func.sum(NET_UNITS).label("units"),
            func.sum(p.returned_quantity).label("returned"),
            func.sum(p.total_minor).label("revenue_minor"),
        )
        .where(*conditions)
        .group_by(literal_column("day"))
    )
    return product_days, days


def _customer_query(conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
    p = purchases.c
    return (
        select(
            p.customer_id,
            func.count(func.distinct(p.order_id)).label("orders"),
            func.count().label("lines"),
            func.sum(NET_UNITS).label("units"),
            func.sum(p.total_minor).label("revenue_minor"),
            func.min(p.purchased_at).label("first_purchase_at"),
            func.max(p.purchased_at).label("last_purchase_at"),
        )
        .where(*conditions)
        .group_by(p.customer_id)
    )


def _product_query(conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
    p = purchases.c
    return (
        select(
            p.product_id,
            func.count().label("lines"),
            func.sum(NET_UNITS).label("units"),
            func.sum(p.total_minor).label("revenue_minor"),
        )
        .where(*conditions)
        .group_by(p.product_id)
    )


def last_purchase_id(conn: Connection) -> int:
    """The highest purchase id now (an import's rows come after it)."""
    return int(conn.execute(select(func.coalesce(func.max(purchases.c.id), 0))).scalar_one())


def imported(conn: Connection, after_id: int) -> None:
    """Add the purchases with ids above ``after_id`` (an import's, written in this
    transaction under the bulk lock with the settings row held) to the rollups, set-based:
    their orders are new, so counts of orders add up."""
    tz = shop_zone(conn, lock=True)
    live = [purchases.c.id > after_id, purchases.c.cancelled_at.is_(None)]
    queries = _day_queries(conn, tz, live)
    if queries is None:
        return
    product_days, days = queries
    dialects.upsert(conn, product_sales_days, product_days, add=_ADD_PRODUCT_DAY)
    dialects.upsert(conn, product_sales, _product_query(live), add=_ADD_PRODUCT)
    dialects.upsert(conn, sales_days, days, add=_ADD_DAY)
    dialects.upsert(
        conn,
        customer_sales,
        _customer_query(live),
        add=_ADD_CUSTOMER,
        least=("first_purchase_at",),
        greatest=("last_purchase_at",),
    )


def rebuild_days(conn: Connection, tz: tzinfo) -> None:
    """Build the day rollups again from every live purchase in the zone ``tz`` (the caller
    holds the settings row for update)."""
    conn.execute(delete(product_sales_days))
    conn.execute(delete(sales_days))
    queries = _day_queries(conn, tz, [purchases.c.cancelled_at.is_(None)])
    if queries is None:
        return
    product_days, days = queries
    conn.execute(insert(product_sales_days).from_select(_names(product_days), product_days))
    conn.execute(insert(sales_days).from_select(_names(days), days))


def _names(query: Select[Any]) -> list[str]:
    return [c.name for c in query.selected_columns]


# Reading the rollups ------------------------------------------------------------------------


Edges = list[tuple[datetime, datetime]]


def split_range(
    lo: datetime | None, hi: datetime | None, tz: tzinfo
) -> tuple[date | None, date | None, Edges] | None:
    """``[lo, hi)`` as the whole local days ``[first, end)`` the day rollups answer (``None``:
    unbounded on that side) and the partial days at its edges, to be read from the purchases.
    ``None`` when the range holds no whole day."""
    first = end = None
    edges: Edges = []
    try:
        if lo is not None:
            first = local_date(lo, tz)
            if day_start(first, tz) != lo:
                first += timedelta(days=1)
        if hi is not None:
            end = local_date(hi, tz)
        if first is not None and end is not None and first >= end:
            return None
        if lo is not None and first is not None and day_start(first, tz) > lo:
            edges.append((lo, day_start(first, tz)))
        if hi is not None and end is not None and day_start(end, tz) < hi:
            edges.append((day_start(end, tz), hi))
    except (OverflowError, ValueError):  # the last days of year 9999
        return None
    return first, end, edges


def day_conditions(table: Any, first: date | None, end: date | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [table.c.lines > 0]
    if first is not None:
        conditions.append(table.c.day >= first)
    if end is not None:
        conditions.append(table.c.day < end)
    return conditions


def sales_over_days(
    conn: Connection,
    tz: tzinfo,
    bucket: Bucket,
    lo: datetime | None,
    hi: datetime | None,
    product_id: int | None,
) -> PeriodTotals:
    """:func:`sales_by_period` of the live purchases in ``[lo, hi)`` (of one product), read
    from the day rollups for the whole local days and from the purchases for the rest."""
    p = purchases.c
    narrow = [] if product_id is None else [p.product_id == product_id]
    split = split_range(lo, hi, tz)
    if split is None:
        live = [p.cancelled_at.is_(None), *_within(lo, hi), *narrow]
        return sales_by_period(conn, tz, bucket, live, lo, hi)
    first, end, edges = split
    table: Any = sales_days if product_id is None else product_sales_days
    conditions = day_conditions(table, first, end)
    if product_id is not None:
        conditions.append(table.c.product_id == product_id)
    period = dialects.period_of_day(table.c.day, bucket, conn.dialect.name)

    def run(sums: Sums) -> Any:
        return conn.execute(
            select(
                period.label("period"),
                sums.sum(table.c.revenue_minor).label("revenue"),
                func.sum(table.c.units).label("units"),
                func.sum(table.c.lines).label("lines"),
            )
            .where(*conditions)
            .group_by(literal_column("period"))
        ).all()

    found: PeriodTotals = {
        dialects.as_utc_datetime(r.period).date(): (int(r.revenue), int(r.units), int(r.lines))
        for r in with_exact_sums(conn, run)
    }
    for a, b in edges:
        live = [p.cancelled_at.is_(None), *_within(a, b), *narrow]
        for key, (revenue, units, lines) in sales_by_period(conn, tz, bucket, live, a, b).items():
            old = found.get(key, (0, 0, 0))
            found[key] = (old[0] + revenue, old[1] + units, old[2] + lines)
    return found


def _within(lo: datetime | None, hi: datetime | None) -> list[ColumnElement[bool]]:
    at = purchases.c.purchased_at
    return [
        *([] if lo is None else [at >= lo]),
        *([] if hi is None else [at < hi]),
    ]


def product_totals(conn: Connection, tz: tzinfo, lo: datetime | None, hi: datetime | None) -> Any:
    """A subquery ``(product_id, purchase_count, units, revenue)`` of the live purchases in
    ``[lo, hi)`` with sales, from the rollups where they answer; ``None`` when they do not."""
    if lo is None and hi is None:
        t = product_sales.c
        return select(
            t.product_id,
            t.lines.label("purchase_count"),
            t.units.label("units"),
            t.revenue_minor.label("revenue"),
        ).where(t.lines > 0)
    split = split_range(lo, hi, tz)
    if split is None:
        return None
    first, end, edges = split
    d = product_sales_days.c
    parts: list[Select[Any]] = [
        select(
            d.product_id,
            d.lines.label("purchase_count"),
            d.units.label("units"),
            d.revenue_minor.label("revenue"),
        ).where(*day_conditions(product_sales_days, first, end))
    ]
    p = purchases.c
    for a, b in edges:
        parts.append(
            select(
                p.product_id,
                func.count().label("purchase_count"),
                func.sum(NET_UNITS).label("units"),
                func.sum(p.total_minor).label("revenue"),
            )
            .where(p.cancelled_at.is_(None), *_within(a, b))
            .group_by(p.product_id)
        )
    return union_all(*parts)


# Checking: stock against the ledger, rollups against the purchases ----------------------------

_FIGURES: dict[str, tuple[str, ...]] = {
    "sales_days": ("lines", "units", "returned", "revenue_minor"),
    "product_sales_days": ("lines", "units", "revenue_minor", "orders"),
    "product_sales": ("lines", "units", "revenue_minor"),
    "customer_sales": (
        "orders",
        "lines",
        "units",
        "revenue_minor",
        "first_purchase_at",
        "last_purchase_at",
    ),
}


def _rows(conn: Connection, query: Any, keys: int) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Rows of ``query`` as key (its first ``keys`` columns) -> figures; a day as a date, a
    time as an aware datetime; rows of nothing but zeros left out (they equal no row)."""
    day = "day" in [c.name for c in query.selected_columns]
    found = {}
    for row in conn.execute(query):
        key = list(row[:keys])
        if day:
            key[-1] = dialects.as_utc_datetime(key[-1]).date()
        figures = tuple(_figure(v) for v in row[keys:])
        if any(figures):
            found[tuple(key)] = figures
    return found


def _figure(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str) and not value.lstrip("-").isdigit():  # a time as SQLite's text
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return int(value)


def differences(conn: Connection) -> list[str]:
    """What ``crm.check()`` finds: a line per product whose stock is not the sum of its
    ledger, and per rollup row that differs from the purchases' own aggregate."""
    found: list[str] = []
    skus = {int(i): s for i, s in conn.execute(select(products.c.id, products.c.sku))}

    def product(pid: int) -> str:
        sku = skus.get(pid)
        return f"product {pid} (SKU {sku})" if sku else f"product {pid} (no SKU)"

    ledger = (
        select(stock_movements.c.product_id, func.sum(stock_movements.c.change).label("total"))
        .group_by(stock_movements.c.product_id)
        .subquery()
    )
    total = func.coalesce(ledger.c.total, 0)
    for pid, stock, sums in conn.execute(
        select(products.c.id, products.c.stock, total)
        .select_from(products.outerjoin(ledger, ledger.c.product_id == products.c.id))
        .where(products.c.stock != total)
        .order_by(products.c.id)
    ):
        found.append(f"{product(int(pid))}: stock is {stock} but its ledger sums to {sums}")

    live = [purchases.c.cancelled_at.is_(None)]
    tz = shop_zone(conn)
    expected: dict[str, Any] = {
        "product_sales": (_product_query(live), 1),
        "customer_sales": (_customer_query(live), 1),
    }
    queries = _day_queries(conn, tz, live)
    if queries is not None:
        expected["product_sales_days"] = (queries[0], 2)
        expected["sales_days"] = (queries[1], 1)
    tables = {
        "sales_days": sales_days,
        "product_sales_days": product_sales_days,
        "product_sales": product_sales,
        "customer_sales": customer_sales,
    }
    for name, table in tables.items():
        keys = len(table.primary_key.columns)
        figures = _FIGURES[name]
        stored = _rows(
            conn,
            select(*table.primary_key.columns, *[table.c[f] for f in figures]),
            keys,
        )
        query = expected.get(name)
        raw = _rows(conn, query[0], keys) if query is not None else {}
        for key in sorted(set(stored) | set(raw), key=str):
            have, want = stored.get(key), raw.get(key)
            if have == want:
                continue
            what = _describe(name, key, product)
            changed = [
                f"{f} is {_show(have, i)}, the purchases say {_show(want, i)}"
                for i, f in enumerate(figures)
                if _at(have, i) != _at(want, i)
            ]
            found.append(f"rollup {name} {what}: {'; '.join(changed)}")
    return found


def _at(row: tuple[Any, ...] | None, i: int) -> Any:
    return None if row is None else row[i]


def _show(row: tuple[Any, ...] | None, i: int) -> str:
    value = _at(row, i)
    if value is None:
        return "missing" if row is None else "none"
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _describe(name: str, key: tuple[Any, ...], product: Any) -> str:
    if name == "sales_days":
        return f"day {key[0]}"
    if name == "product_sales_days":
        return f"{product(int(key[0]))} day {key[1]}"
    if name == "product_sales":
        return str(product(int(key[0])))
    return f"customer {key[0]}"
