"""The rollups: sales per local day, per product per day and per local month, per product
and per customer, kept in the transaction of every write that changes a sale, so the
reports read a few thousand rows where the raw history holds millions (tables in
:mod:`crpm_core.persistence.tables`).

Every figure counts live (not cancelled) lines net of returns, on the shop-local day of the
original sale:

- a sale adds its lines (and its order) to its day, its products and its customer;
- a return moves units from ``units`` to ``returned`` and takes its money off;
- a cancel takes the line off (and the order, when it was the order's last live line);
- an import adds its rows per batch, and its customers' figures at the end;
- changing the shop's time zone rebuilds the day and month rollups (:func:`rebuild_days`).

A customer's counts that depend on the whole order (orders that keep a unit, the last of
them) are recomputed from that customer's rows after a return or a cancel, under a lock of
its rollup row. :func:`differences` compares every rollup with the raw rows (``crpm check``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Select, case, delete, func, insert, literal_column, select

from crpm_core.domain import calendar
from crpm_core.persistence.dialects.rollup_sql import (
    day_period,
    fast_first,
    local_date,
    money_sum,
    upsert_add,
)
from crpm_core.persistence.tables import (
    ROLLUPS,
    customer_sales,
    product_sales,
    product_sales_days,
    product_sales_months,
    products,
    purchases,
    sales_days,
    settings,
    stock_movements,
)

P = purchases.c
LIVE = P.cancelled_at.is_(None)
KEPT = P.quantity > P.returned_quantity


class Line(NamedTuple):
    """One line's change to the rollups: +1 line when sold, -1 when cancelled, 0 for a
    return; ``units`` net of returns, ``revenue`` in minor units."""

    at: datetime
    customer_id: int
    product_id: int
    lines: int
    units: int
    returned: int
    revenue: int


def shop_zone(conn: Connection) -> ZoneInfo:
    """The shop's time zone, share-locked: a change of zone (which rebuilds the days) waits
    for the sales in flight, and they for it."""
    # SQLite: BEGIN IMMEDIATE already excludes other writers
    query = _ZONE if conn.dialect.name == "sqlite" else _ZONE_LOCKED
    return calendar.zone(conn.execute(query).scalar() or "UTC")


_ZONE = select(settings.c.timezone).where(settings.c.id == 1)
_ZONE_LOCKED = _ZONE.with_for_update(read=True)


def sold_line(at: datetime, customer_id: int, product_id: int, qty: int, total: int) -> Line:
    return Line(at, customer_id, product_id, 1, qty, 0, total)


def add(
    conn: Connection,
    tz: ZoneInfo,
    lines: Iterable[Line],
    *,
    orders: Iterable[tuple[datetime, int]] = (),
) -> None:
    """Add ``lines`` to the day and product rollups; ``orders``: ``(at, +1 | -1)`` for each
    order that gained its first live line or lost its last. (The customers' rollups are
    :class:`CustomerTally`'s, or :func:`rebuild_customers`'.)"""
    tally = DayTally(tz)
    for line in lines:
        tally.line(line)
    for at, change in orders:
        tally.order(at, change)
    tally.write(conn)


class DayTally:
    """Changes to the day and product rollups, added up in Python per day, per product and
    day, and per product, then written with one upsert per table. An import keeps one across
    its batches and writes it whenever it holds ``FLUSH_KEYS`` (day, product) pairs, so each
    pair is written about once however many rows it has, in bounded memory."""

    FLUSH_KEYS = 100_000

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._days: dict[date, list[int]] = {}  # lines, units, returned, revenue, orders
        self._product_days: dict[tuple[date, int], list[int]] = {}
        self._product_months: dict[tuple[date, int], list[int]] = {}
        self._products: dict[int, list[int]] = {}
        self._last: tuple[datetime, date] | None = None  # rows come in runs of one time

    def _day(self, at: datetime) -> date:
        if self._last is None or self._last[0] != at:
            self._last = (at, calendar.local_day(at, self.tz))
        return self._last[1]

    def line(self, line: Line) -> None:
        day = self._day(line.at)
        figures = (line.lines, line.units, line.returned, line.revenue)
        _bump(self._days, day, figures)
        _bump(self._product_days, (day, line.product_id), figures)
        _bump(self._product_months, (calendar.period_of(day, "month"), line.product_id), figures)
        _bump(self._products, line.product_id, figures)

    def order(self, at: datetime, change: int) -> None:
        self._days.setdefault(self._day(at), [0, 0, 0, 0, 0])[4] += change

    @property
    def full(self) -> bool:
        return len(self._product_days) >= self.FLUSH_KEYS

    def write(self, conn: Connection) -> None:
        upsert_add(
            conn,
            sales_days,
            ["day"],
            [{"day": d, **_figures(f), "orders": f[4]} for d, f in self._days.items()],
        )
        upsert_add(
            conn,
            product_sales_days,
            ["day", "product_id"],
            [
                {"day": d, "product_id": p, **_figures(f)}
                for (d, p), f in self._product_days.items()
            ],
        )
        upsert_add(
            conn,
            product_sales_months,
            ["month", "product_id"],
            [
                {"month": m, "product_id": p, **_figures(f)}
                for (m, p), f in self._product_months.items()
            ],
        )
        upsert_add(
            conn,
            product_sales,
            ["product_id"],
            [{"product_id": p, **_figures(f)} for p, f in self._products.items()],
        )
        self._days.clear()
        self._product_days.clear()
        self._product_months.clear()
        self._products.clear()


def _bump(bucket: dict[Any, list[int]], key: Any, figures: tuple[int, int, int, int]) -> None:
    row = bucket.get(key)
    if row is None:
        bucket[key] = [*figures, 0]
    else:
        row[0] += figures[0]
        row[1] += figures[1]
        row[2] += figures[2]
        row[3] += figures[3]


def sale(
    conn: Connection, customer_id: int, at: datetime, lines: Sequence[tuple[int, int, int]]
) -> None:
    """A new order of ``customer_id`` placed ``at``: ``(product_id, quantity, total)`` lines,
    none returned yet, added to every rollup."""
    add(
        conn,
        shop_zone(conn),
        [sold_line(at, customer_id, pid, qty, total) for pid, qty, total in lines],
        orders=[(at, 1)],
    )
    tally = CustomerTally()
    for _, qty, total in lines:
        tally.line(customer_id, at, qty, 0, total)
    tally.order(customer_id, at, kept=True)
    tally.write(conn)


class CustomerTally:
    """New sales' figures per customer, added up in Python and then added to their rollups in
    one statement (a sale, an import). Each order is told once, with whether it keeps a
    unit, after all of its lines."""

    def __init__(self) -> None:
        # lines, units, returned, revenue, orders, kept orders, first, last, last kept
        self._rows: dict[int, list[Any]] = {}

    def _row(self, customer_id: int) -> list[Any]:
        return self._rows.setdefault(customer_id, [0, 0, 0, 0, 0, 0, None, None, None])

    def line(self, customer_id: int, at: datetime, units: int, returned: int, revenue: int) -> None:
        row = self._row(customer_id)
        row[0] += 1
        row[1] += units
        row[2] += returned
        row[3] += revenue
        row[6] = at if row[6] is None or at < row[6] else row[6]
        row[7] = at if row[7] is None or at > row[7] else row[7]

    def order(self, customer_id: int, at: datetime, *, kept: bool) -> None:
        row = self._row(customer_id)
        row[4] += 1
        if kept:
            row[5] += 1
            row[8] = at if row[8] is None or at > row[8] else row[8]

    def write(self, conn: Connection) -> None:
        upsert_add(
            conn,
            customer_sales,
            ["customer_id"],
            [
                {
                    "customer_id": c,
                    **_figures(r[:4]),
                    "orders": r[4],
                    "kept_orders": r[5],
                    "first_at": r[6],
                    "last_at": r[7],
                    "last_kept_at": r[8],
                }
                for c, r in self._rows.items()
            ],
            earliest=["first_at"],
            latest=["last_at", "last_kept_at"],
        )
        self._rows.clear()


def _figures(f: Sequence[int]) -> dict[str, int]:
    return {"lines": f[0], "units": f[1], "returned": f[2], "revenue_minor": f[3]}


# The raw aggregates: what each rollup holds, computed from the purchases ------------------


def _customer_totals(exact: bool, dialect: str) -> Select[Any]:
    return select(
        P.customer_id.label("customer_id"),
        func.count().label("lines"),
        func.sum(P.quantity - P.returned_quantity).label("units"),
        func.sum(P.returned_quantity).label("returned"),
        money_sum(P.total_minor, dialect, exact=exact).label("revenue_minor"),
        func.count(func.distinct(P.order_id)).label("orders"),
        func.count(func.distinct(case((KEPT, P.order_id)))).label("kept_orders"),
        func.min(P.purchased_at).label("first_at"),
        func.max(P.purchased_at).label("last_at"),
        func.max(case((KEPT, P.purchased_at))).label("last_kept_at"),
    ).where(LIVE)


def _product_totals(exact: bool, dialect: str) -> Select[Any]:
    return (
        select(P.product_id.label("product_id"), *_line_sums(exact, dialect))
        .where(LIVE)
        .group_by(P.product_id)
    )


def _day_totals(
    exact: bool, dialect: str, offsets: Sequence[tuple[datetime, int]], *, by_product: bool
) -> Select[Any]:
    day = local_date(P.purchased_at, offsets, dialect).label("day")
    columns: list[Any] = [day]
    if by_product:
        columns.append(P.product_id.label("product_id"))
    columns.extend(_line_sums(exact, dialect))
    if not by_product:
        columns.append(func.count(func.distinct(P.order_id)).label("orders"))
    group: list[Any] = [literal_column("day")] + ([P.product_id] if by_product else [])
    return select(*columns).where(LIVE).group_by(*group)


def _month_totals(
    exact: bool, dialect: str, offsets: Sequence[tuple[datetime, int]]
) -> Select[Any]:
    month = day_period(local_date(P.purchased_at, offsets, dialect), "month", dialect)
    return (
        select(month.label("month"), P.product_id.label("product_id"), *_line_sums(exact, dialect))
        .where(LIVE)
        .group_by(literal_column("month"), P.product_id)
    )


def _line_sums(exact: bool, dialect: str) -> list[Any]:
    return [
        func.count().label("lines"),
        func.sum(P.quantity - P.returned_quantity).label("units"),
        func.sum(P.returned_quantity).label("returned"),
        money_sum(P.total_minor, dialect, exact=exact).label("revenue_minor"),
    ]


def _offsets(conn: Connection, tz: ZoneInfo) -> list[tuple[datetime, int]]:
    """The zone's offsets over the times the live purchases hold."""
    lo, hi = conn.execute(select(func.min(P.purchased_at), func.max(P.purchased_at))).one()
    if lo is None:
        return [(datetime.min.replace(tzinfo=tz), 0)]
    from crpm_core.persistence.dialects import UTCDateTime

    convert = UTCDateTime().process_result_value
    start = convert(lo, conn.dialect)
    end = convert(hi, conn.dialect)
    assert start is not None and end is not None
    return calendar.transitions(tz, start, end)


def rebuild(conn: Connection, tz: ZoneInfo) -> None:
    """Every rollup again from the raw rows (a migration, a restore of an old archive)."""
    rebuild_days(conn, tz)
    rebuild_customers(conn, None)
    conn.execute(delete(product_sales))
    dialect = conn.dialect.name

    def fill(exact: bool) -> list[Any]:
        query = _product_totals(exact, dialect)
        conn.execute(insert(product_sales).from_select(_names(query), query))
        return []

    fast_first(conn, fill, [])  # the exact sums only if SQLite's SUM overflows


def rebuild_days(conn: Connection, tz: ZoneInfo) -> None:
    """The day and month rollups again, in ``tz``'s days (a change of the shop's time zone)."""
    dialect = conn.dialect.name
    offsets = _offsets(conn, tz)
    conn.execute(delete(product_sales_days))
    conn.execute(delete(product_sales_months))
    conn.execute(delete(sales_days))

    def fill(exact: bool) -> list[Any]:
        for table, query in (
            (sales_days, _day_totals(exact, dialect, offsets, by_product=False)),
            (product_sales_days, _day_totals(exact, dialect, offsets, by_product=True)),
            (product_sales_months, _month_totals(exact, dialect, offsets)),
        ):
            sub = query.subquery()
            conn.execute(insert(table).from_select([c.name for c in sub.c], select(*sub.c)))
        return []

    fast_first(conn, fill, [])  # the exact sums only if SQLite's SUM overflows


def rebuild_customers(conn: Connection, customer_ids: Sequence[int] | None) -> None:
    """The customers' rollups again from their rows (all of them with ``None``), their rows
    locked first so that a racing sale's addition lands after, not under, the new figures."""
    dialect = conn.dialect.name
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        if not ids:
            return
        if dialect != "sqlite":
            conn.execute(
                select(customer_sales.c.customer_id)
                .where(customer_sales.c.customer_id.in_(ids))
                .order_by(customer_sales.c.customer_id)
                .with_for_update()
            ).all()
        for chunk in _chunks(ids, 1000):
            conn.execute(delete(customer_sales).where(customer_sales.c.customer_id.in_(chunk)))
    else:
        conn.execute(delete(customer_sales))

    def fill(exact: bool) -> list[Any]:
        query = _customer_totals(exact, dialect)
        chunks = [None] if customer_ids is None else _chunks(ids, 1000)
        for chunk in chunks:
            q = query if chunk is None else query.where(P.customer_id.in_(chunk))
            q = q.group_by(P.customer_id)
            conn.execute(insert(customer_sales).from_select(_names(q), q))
        return []

    fast_first(conn, fill, [])  # the exact sums only if SQLite's SUM overflows


def _chunks(ids: Sequence[int], size: int) -> list[Sequence[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _names(query: Select[Any]) -> list[str]:
    return [c.name for c in query.selected_columns]


# crpm check ------------------------------------------------------------------------------


def differences(conn: Connection) -> list[str]:
    """What disagrees, one line each: a product whose stock is not its ledger's sum, and
    every rollup row that is not the raw rows' aggregate (missing rows count as zeros)."""
    found: list[str] = []
    ledger = (
        select(
            products.c.id,
            products.c.sku,
            products.c.stock,
            func.coalesce(func.sum(stock_movements.c.change), 0).label("ledger"),
        )
        .select_from(
            products.outerjoin(stock_movements, stock_movements.c.product_id == products.c.id)
        )
        .group_by(products.c.id, products.c.sku, products.c.stock)
        .order_by(products.c.id)
    )
    for row in conn.execute(ledger):
        if int(row.stock) != int(row.ledger):
            sku = f" ({row.sku})" if row.sku else ""
            found.append(
                f"product {row.id}{sku}: stock is {row.stock}, its ledger sums to {row.ledger}"
            )
    tz = shop_zone(conn)
    dialect = conn.dialect.name
    offsets = _offsets(conn, tz)
    expected: dict[str, Any] = {
        "sales_days": _day_totals(True, dialect, offsets, by_product=False),
        "product_sales_days": _day_totals(True, dialect, offsets, by_product=True),
        "product_sales_months": _month_totals(True, dialect, offsets),
        "product_sales": _product_totals(True, dialect),
        "customer_sales": _customer_totals(True, dialect).group_by(P.customer_id),
    }
    for table in ROLLUPS:
        keys = [c.name for c in table.primary_key.columns]
        figures = [c.name for c in table.c if c.name not in keys]
        raw = {
            _key(r, keys, table): _values(r, figures, table)
            for r in conn.execute(expected[table.name].subquery().select()).mappings()
        }
        kept = {
            _key(r, keys, table): _values(r, figures, table)
            for r in conn.execute(select(table)).mappings()
        }
        zero = tuple(None if f.endswith("_at") else 0 for f in figures)
        for key in sorted(set(raw) | set(kept), key=str):
            want, have = raw.get(key, zero), kept.get(key, zero)
            if want != have:
                shown = ", ".join(
                    f"{f} {h} (raw {w})"
                    for f, w, h in zip(figures, want, have, strict=True)
                    if w != h
                )
                label = ", ".join(f"{k} {v}" for k, v in zip(keys, key, strict=True))
                found.append(f"rollup {table.name} ({label}): {shown}")
    return found


def _key(row: Any, keys: Sequence[str], table: Any) -> tuple[Any, ...]:
    return tuple(_plain(row[k], table.c[k].type) for k in keys)


def _values(row: Any, names: Sequence[str], table: Any) -> tuple[Any, ...]:
    return tuple(_plain(row[n], table.c[n].type) for n in names)


def _plain(value: Any, type_: Any) -> Any:
    """A value as the same Python value on every backend: dates, aware UTC times, ints."""
    from crpm_core.persistence.dialects import UTCDateTime

    if value is None:
        return None
    if isinstance(type_, UTCDateTime):
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=None)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return date.fromisoformat(value)
    return int(value)
