"""Reports: read-only SQL aggregates handed back as frozen rows.

Every figure is computed by the database (``SUM``, ``COUNT``, ``GROUP BY``, ``RANK()``);
no report loads purchases into Python to add them up. Cancelled purchases never count, and
every figure is net of returns: a line's revenue is ``(quantity - returned_quantity) * unit
price`` (its stored ``total_minor``), its units ``quantity - returned_quantity``; a return
lowers the figures of the period of the original sale.
Ranges are ``[start, end)`` of aware instants; days, weeks and months are the shop's, in its
time zone. The whole local days of a range are read from the rollups
(:mod:`crpm_core.services.rollups`), the partial days at its edges from the raw rows, so a
report over ten years reads about as many rows as one over ten days, and is exact for any
``start`` and ``end``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    Table,
    case,
    desc,
    false,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from crpm_core.domain import (
    MOVEMENT_KINDS,
    Bucket,
    CustomerRanking,
    CustomerSegment,
    MovementKind,
    Page,
    PeriodSales,
    ProductPerformance,
    ReorderSuggestion,
    SalesSummary,
    SegmentSummary,
    StockMovement,
    calendar,
    from_minor,
    intelligence,
)
from crpm_core.domain import validation as v
from crpm_core.errors import ValidationError
from crpm_core.persistence import mappers
from crpm_core.persistence.dialects import Sums, UTCDateTime, whole_days, with_exact_sums
from crpm_core.persistence.dialects.rollup_sql import as_date, day_period, fast_first, money_sum
from crpm_core.persistence.tables import (
    customer_sales,
    customers,
    product_sales,
    product_sales_days,
    product_sales_months,
    products,
    purchases,
    sales_days,
    stock_movements,
)
from crpm_core.services._common import in_range
from crpm_core.services.settings import current_settings
from crpm_core.services.unit_of_work import Scope

BUCKETS: tuple[Bucket, ...] = ("day", "week", "month")
MAX_REORDER_DAYS = 3650


def _range(start: object, end: object) -> tuple[datetime | None, datetime | None]:
    lo = v.optional_timestamp(start, "start")
    hi = v.optional_timestamp(end, "end")
    if lo is not None and hi is not None and hi < lo:
        raise ValidationError("end", "must not be before start")
    return lo, hi


def _live(lo: datetime | None, hi: datetime | None) -> list[ColumnElement[bool]]:
    return [purchases.c.cancelled_at.is_(None), *in_range(purchases.c.purchased_at, lo, hi)]


NET_UNITS = purchases.c.quantity - purchases.c.returned_quantity


def _int(value: Any) -> int:
    return 0 if value is None else int(value)


class Reports:
    """``crm.reports``."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def sales_summary(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        customer_id: int | None = None,
        product_id: int | None = None,
    ) -> SalesSummary:
        """Revenue, units, purchases, buyers and average order value of live purchases in
        ``[start, end)``; cancellations and restocked units in the range; stock on hand now.

        ``customer_id`` narrows the sales to one customer (their total spent is ``.revenue``),
        ``product_id`` to one product (its stock figures too)."""
        self._scope.require("reports.read")
        lo, hi = _range(start, end)
        p = purchases.c
        narrow: list[ColumnElement[bool]] = []
        stock_narrow: list[ColumnElement[bool]] = []
        if customer_id is not None:
            narrow.append(p.customer_id == v.record_id(customer_id, "customer_id"))
        if product_id is not None:
            pid = v.record_id(product_id, "product_id")
            narrow.append(p.product_id == pid)
            stock_narrow.append(products.c.id == pid)

        def sales(sums: Sums) -> Any:
            return conn.execute(
                select(
                    sums.sum(p.total_minor).label("revenue"),
                    func.sum(NET_UNITS).label("units"),
                    func.sum(p.returned_quantity).label("returned"),
                    func.count().label("purchases"),
                    func.count(func.distinct(p.order_id)).label("orders"),
                    func.count(func.distinct(p.customer_id)).label("buyers"),
                ).where(*_live(lo, hi), *narrow)
            ).one()

        def stock(sums: Sums) -> Any:
            return conn.execute(
                select(
                    func.sum(products.c.stock).label("units"),
                    sums.dot(products.c.stock, products.c.price_minor).label("value"),
                ).where(*stock_narrow)
            ).one()

        cancelled = select(func.count()).where(
            p.cancelled_at.is_not(None), *in_range(p.purchased_at, lo, hi), *narrow
        )
        restocked = select(func.sum(stock_movements.c.change)).where(
            stock_movements.c.kind == "restock", *in_range(stock_movements.c.at, lo, hi)
        )
        if product_id is not None:
            restocked = restocked.where(stock_movements.c.product_id == product_id)
        with self._scope(write=False) as uow:
            conn = uow.conn
            s = with_exact_sums(conn, sales) if narrow else _rolled_sales(conn, lo, hi)
            c = conn.execute(cancelled).scalar()
            k = with_exact_sums(conn, stock)
            r = conn.execute(restocked).scalar()
        revenue = from_minor(_int(s.revenue))
        count = _int(s.purchases)
        order_count = _int(s.orders)
        average = (
            (revenue / order_count).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if order_count
            else Decimal("0.00")
        )
        return SalesSummary(
            start=lo,
            end=hi,
            revenue=revenue,
            units_sold=_int(s.units),
            purchase_count=count,
            buyer_count=_int(s.buyers),
            average_order_value=average,
            cancelled_count=_int(c),
            stock_units=_int(k.units),
            stock_value=from_minor(_int(k.value)),
            restocked_units=_int(r),
            order_count=order_count,
            returned_units=_int(s.returned),
        )

    def top_customers(
        self, *, limit: int = 10, start: datetime | None = None, end: datetime | None = None
    ) -> list[CustomerRanking]:
        """Customers by revenue in the range, highest first; equal revenue shares a rank."""
        self._scope.require("reports.read")
        lim = v.whole_number(limit, "limit", minimum=1, maximum=10_000)
        lo, hi = _range(start, end)
        p = purchases.c

        def ranking(sums: Sums) -> Any:
            totals = (
                select(
                    p.customer_id,
                    func.count().label("purchase_count"),
                    func.count(func.distinct(p.order_id)).label("order_count"),
                    func.sum(NET_UNITS).label("units"),
                    sums.sum(p.total_minor).label("revenue"),
                )
                .where(*_live(lo, hi))
                .group_by(p.customer_id)
                .subquery()
            )
            query = (
                select(
                    func.rank().over(order_by=desc(totals.c.revenue)).label("rank"),
                    customers.c.id,
                    customers.c.name,
                    customers.c.email,
                    totals.c.purchase_count,
                    totals.c.order_count,
                    totals.c.units,
                    totals.c.revenue,
                )
                .join_from(totals, customers, customers.c.id == totals.c.customer_id)
                .order_by(desc(totals.c.revenue), customers.c.id)
                .limit(lim)
            )
            return conn.execute(query).all()

        with self._scope(write=False) as uow:
            conn = uow.conn
            if lo is None and hi is None:
                rows = _rolled_ranking(conn, lim)
            else:
                rows = with_exact_sums(conn, ranking)
        return [
            CustomerRanking(
                rank=int(r.rank),
                customer_id=int(r.id),
                name=r.name,
                email=r.email,
                purchase_count=int(r.purchase_count),
                units=int(r.units),
                revenue=from_minor(r.revenue),
                order_count=int(r.order_count),
            )
            for r in rows
        ]

    def product_performance(
        self, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[ProductPerformance]:
        """Every product (sold or not), best seller (most units) first, with revenue and stock.

        The head of the list is the best-selling products, the tail the least-selling."""
        self._scope.require("reports.read")
        lo, hi = _range(start, end)

        def performance(exact: bool) -> Any:
            totals = _product_totals(conn, lo, hi, exact=exact)
            units = func.coalesce(totals.c.units, 0)
            revenue = func.coalesce(totals.c.revenue, 0)
            query = (
                select(
                    func.rank().over(order_by=[desc(units), desc(revenue)]).label("rank"),
                    products.c.id,
                    products.c.sku,
                    products.c.name,
                    products.c.stock,
                    products.c.active,
                    units.label("units"),
                    revenue.label("revenue"),
                    func.coalesce(totals.c.purchase_count, 0).label("purchase_count"),
                )
                .select_from(products.outerjoin(totals, totals.c.product_id == products.c.id))
                .order_by(desc(units), desc(revenue), products.c.id)
            )
            return conn.execute(query).all()

        with self._scope(write=False) as uow:
            conn = uow.conn
            rows = fast_first(conn, performance, ["revenue"])
        return [
            ProductPerformance(
                rank=int(r.rank),
                product_id=int(r.id),
                sku=r.sku,
                name=r.name,
                units_sold=int(r.units),
                revenue=from_minor(r.revenue),
                purchase_count=int(r.purchase_count),
                stock=int(r.stock),
                active=bool(r.active),
            )
            for r in rows
        ]

    def sales_over_time(
        self,
        *,
        bucket: Bucket = "day",
        start: datetime | None = None,
        end: datetime | None = None,
        product_id: int | None = None,
    ) -> list[PeriodSales]:
        """Revenue and units per day, week (from Monday) or month of the shop's time zone,
        oldest first; ``period_start`` is the aware local midnight a period starts at.

        Periods without sales are included with zeros, from the period of ``start`` (or the
        first sale) to the period before ``end`` (or the last sale)."""
        self._scope.require("reports.read")
        if bucket not in BUCKETS:
            raise ValidationError("bucket", "must be day, week or month")
        lo, hi = _range(start, end)
        if lo is not None and hi is not None:
            _refuse_too_many_periods(lo, hi, bucket)
        product = None if product_id is None else v.record_id(product_id, "product_id")
        with self._scope(write=False) as uow:
            conn = uow.conn
            tz = _zone(conn)
            found = _rolled_series(conn, lo, hi, tz, bucket, product)
        if not found and (lo is None or hi is None):
            return []
        first = calendar.period_of(calendar.local_day(lo, tz), bucket) if lo else min(found)
        last = (
            calendar.period_of(calendar.local_day(hi - timedelta(microseconds=1), tz), bucket)
            if hi is not None
            else max(found)
        )
        _refuse_too_many_periods(first, last, bucket)
        series = []
        at = first
        while at <= last:
            revenue, units, count = found.get(at, (0, 0, 0))
            series.append(
                PeriodSales(calendar.period_start(at, tz), from_minor(revenue), units, count)
            )
            try:
                at = calendar.next_period(at, bucket)
            except (OverflowError, ValueError):  # the last period of year 9999
                break
        return series

    def stock_movements(
        self,
        *,
        product_id: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        offset: int = 0,
        limit: int = 100,
        kind: MovementKind | None = None,
    ) -> Page[StockMovement]:
        """The stock ledger, newest first: every initial stock, restock, sale, cancel, return
        and adjustment (``kind`` keeps one of them). A product's changes sum to its stock."""
        self._scope.require("reports.read")
        off, lim = v.paging(offset, limit)
        lo, hi = _range(start, end)
        t = stock_movements
        query = select(t).where(*in_range(t.c.at, lo, hi))
        if kind is not None:
            if kind not in MOVEMENT_KINDS:
                raise ValidationError("kind", f"must be one of {', '.join(MOVEMENT_KINDS)}")
            query = query.where(t.c.kind == kind)
        if product_id is not None:
            query = query.where(t.c.product_id == v.record_id(product_id, "product_id"))
        with self._scope(write=False) as uow:
            return mappers.paged(
                uow.conn,
                query,
                order=[t.c.at.desc(), t.c.id.desc()],
                offset=off,
                limit=lim,
                convert=mappers.stock_movement,
            )

    def rfm(self, *, as_of: datetime | None = None) -> list[CustomerSegment]:
        """Every customer (inactive ones too) with net revenue before ``as_of`` (default now),
        scored 1..5 on recency, frequency and money and put in a segment, by customer id.

        The database sums each customer's live lines before ``as_of`` (``monetary``), counts
        their orders that keep a unit not returned (``frequency``), takes the last of those
        orders (``recency_days``: whole days to ``as_of``) and ranks the customers from worst
        to best with ``RANK()`` (ties share the lowest rank); the score of a rank is
        :func:`crpm_core.domain.intelligence.score`, the segment
        :func:`crpm_core.domain.intelligence.segment`. Returns and cancels count by a line's
        current state, whatever their date."""
        self._scope.require("reports.read")
        at = v.optional_timestamp(as_of, "as_of")
        p = purchases.c
        kept = p.quantity > p.returned_quantity
        with self._scope(write=False) as uow:
            conn = uow.conn
            end = at if at is not None else uow.now()

            def ranked(sums: Sums) -> Any:
                revenue = sums.sum(p.total_minor)
                totals = (
                    select(
                        p.customer_id,
                        revenue.label("monetary"),
                        func.count(func.distinct(case((kept, p.order_id)))).label("frequency"),
                        func.max(case((kept, p.purchased_at))).label("last"),
                    )
                    .where(p.cancelled_at.is_(None), p.purchased_at < end)
                    .group_by(p.customer_id)
                    .having(revenue > 0)
                    .subquery()
                )
                days = whole_days(totals.c.last, literal(end, UTCDateTime()), conn.dialect.name)
                scored = select(
                    totals.c.customer_id,
                    totals.c.monetary,
                    totals.c.frequency,
                    days.label("recency_days"),
                ).subquery()
                return conn.execute(_rfm_ranks(scored)).all()

            rows = (
                _rolled_rfm(conn, end) if _all_before(conn, end) else with_exact_sums(conn, ranked)
            )
        result = []
        for row in rows:
            n = int(row.n)
            r = intelligence.score(int(row.r_rank), n)
            f = intelligence.score(int(row.f_rank), n)
            m = intelligence.score(int(row.m_rank), n)
            result.append(
                CustomerSegment(
                    customer_id=int(row.customer_id),
                    name=row.name,
                    recency_days=int(row.recency_days),
                    frequency=int(row.frequency),
                    monetary=from_minor(int(row.monetary)),
                    r=r,
                    f=f,
                    m=m,
                    segment=intelligence.segment(r, f, m),
                )
            )
        return result

    def rfm_segments(self, *, as_of: datetime | None = None) -> list[SegmentSummary]:
        """One row per segment of the table, in its order (empty ones with zeros): how many
        customers :meth:`rfm` puts in it and their net revenue."""
        rows = self.rfm(as_of=as_of)
        counts = dict.fromkeys(intelligence.SEGMENT_NAMES, 0)
        revenue = dict.fromkeys(intelligence.SEGMENT_NAMES, Decimal("0.00"))
        for row in rows:
            counts[row.segment] += 1
            revenue[row.segment] += row.monetary
        return [
            SegmentSummary(segment=name, customers=counts[name], revenue=revenue[name])
            for name in intelligence.SEGMENT_NAMES
        ]

    def reorder_suggestions(
        self, *, days: int = 30, as_of: datetime | None = None
    ) -> list[ReorderSuggestion]:
        """Active products with their sales pace over the ``days`` days before ``as_of``
        (default now) and what to buy: velocity = net units sold in ``[as_of - days, as_of)``
        (less their returns, cancelled lines left out) / ``days``, exactly; days of cover =
        stock / velocity (``None`` when nothing sold); suggested quantity =
        ``max(0, ceil(reorder_point + velocity * days - stock))`` with the product's own
        reorder point or the shop's ``low_stock_default``. Fewest days of cover first,
        products that sold nothing last (then by name and id)."""
        self._scope.require("reports.read")
        span = v.whole_number(days, "days", minimum=1, maximum=MAX_REORDER_DAYS)
        at = v.optional_timestamp(as_of, "as_of")
        with self._scope(write=False) as uow:
            conn = uow.conn
            end = at if at is not None else uow.now()
            try:
                start: datetime | None = end - timedelta(days=span)
            except OverflowError:  # before year 1: every sale counts
                start = None
            default = current_settings(conn).low_stock_default
            joined, units = _window_units(conn, start, end)
            rows = conn.execute(
                select(
                    products.c.id,
                    products.c.name,
                    products.c.stock,
                    func.coalesce(products.c.reorder_point, default),
                    units,
                )
                .select_from(joined)
                .where(products.c.active)
            ).all()
            result = []
            for product_id, name, stock, point, sold in rows:
                velocity, cover, quantity = intelligence.reorder_figures(
                    int(sold), span, int(stock), int(point)
                )
                result.append(
                    ReorderSuggestion(
                        product_id=int(product_id),
                        name=name,
                        stock=int(stock),
                        daily_velocity=velocity,
                        days_of_cover=cover,
                        reorder_point=int(point),
                        suggested_quantity=quantity,
                    )
                )
        result.sort(key=intelligence.reorder_order)
        return result


MAX_PERIODS = 50_000
"""The longest series ``sales_over_time`` builds (137 years of days)."""
_PERIOD_DAYS = {"day": 1, "week": 7, "month": 28}


def _refuse_too_many_periods(first: date, last: date, bucket: Bucket) -> None:
    periods = (last - first).days // _PERIOD_DAYS[bucket]
    if periods > MAX_PERIODS:
        raise ValidationError(
            "bucket",
            f"the range holds about {periods:,} {bucket}s; at most {MAX_PERIODS:,} are shown "
            "at once: choose a longer bucket or a shorter range",
        )


# Reading the rollups ---------------------------------------------------------------------


def _zone(conn: Connection) -> ZoneInfo:
    return calendar.zone(current_settings(conn).timezone)


def _days(table: Table, parts: calendar.Split) -> list[ColumnElement[bool]]:
    """The whole days of a split, and only rows that count a live line."""
    return _day_range(table, parts.first, parts.last)


def _day_range(table: Table, first: date | None, last: date | None) -> list[ColumnElement[bool]]:
    """Days ``first..last`` of a day rollup (``None``: unbounded), only rows with a live line."""
    where = [table.c.lines > 0]
    if first is not None:
        where.append(table.c.day >= first)
    if last is not None:
        where.append(table.c.day <= last)
    return where


def _edge(edge: calendar.Edge) -> list[ColumnElement[bool]]:
    return [P.cancelled_at.is_(None), *in_range(P.purchased_at, edge.start, edge.end)]


P = purchases.c


def _rolled_series(
    conn: Connection,
    lo: datetime | None,
    hi: datetime | None,
    tz: ZoneInfo,
    bucket: Bucket,
    product_id: int | None,
) -> dict[date, tuple[int, int, int]]:
    """Revenue, units and lines per period (its first day): the whole days from the
    rollups, each edge's raw rows added to its day's period."""
    dialect = conn.dialect.name
    parts = calendar.split(lo, hi, tz)
    table: Table = sales_days if product_id is None else product_sales_days
    found: dict[date, tuple[int, int, int]] = {}
    if parts.has_days:
        period = day_period(table.c.day, bucket, dialect).label("period")
        where = _days(table, parts)
        if product_id is not None:
            where.append(table.c.product_id == product_id)

        def by_period(exact: bool) -> list[Any]:
            query = (
                select(
                    period,
                    money_sum(table.c.revenue_minor, dialect, exact=exact).label("revenue"),
                    func.sum(table.c.units).label("units"),
                    func.sum(table.c.lines).label("lines"),
                )
                .where(*where)
                .group_by(literal_column("period"))
            )
            return list(conn.execute(query))

        for r in fast_first(conn, by_period, ["revenue"]):
            found[as_date(r.period)] = (int(r.revenue), int(r.units), int(r.lines))
    for edge in parts.edges:
        where = _edge(edge)
        if product_id is not None:
            where.append(P.product_id == product_id)
        r = conn.execute(
            select(
                money_sum(P.total_minor, dialect).label("revenue"),
                func.sum(NET_UNITS).label("units"),
                func.count().label("lines"),
            ).where(*where)
        ).one()
        if int(r.lines):
            key = calendar.period_of(edge.day, bucket)
            old = found.get(key, (0, 0, 0))
            found[key] = (old[0] + int(r.revenue), old[1] + int(r.units), old[2] + int(r.lines))
    return found


def _rolled_sales(conn: Connection, lo: datetime | None, hi: datetime | None) -> Any:
    """The sales figures of ``sales_summary`` for the whole shop: whole days from the
    rollups, the edges from the raw rows; buyers from the customer rollups for all time."""
    dialect = conn.dialect.name
    parts = calendar.split(lo, hi, _zone(conn))
    d = sales_days.c
    day_part = select(
        d.revenue_minor.label("revenue"),
        d.units.label("units"),
        d.returned.label("returned"),
        d.lines.label("lines"),
        d.orders.label("orders"),
    ).where(*_days(sales_days, parts))
    edges = [
        select(
            P.total_minor.label("revenue"),
            NET_UNITS.label("units"),
            P.returned_quantity.label("returned"),
            literal_column("1").label("lines"),
            literal_column("0").label("orders"),
        ).where(*_edge(edge))
        for edge in parts.edges
    ]
    both = union_all(day_part, *edges).subquery()

    def totals(exact: bool) -> list[Any]:
        query = select(
            money_sum(both.c.revenue, dialect, exact=exact).label("revenue"),
            func.sum(both.c.units).label("units"),
            func.sum(both.c.returned).label("returned"),
            func.sum(both.c.lines).label("purchases"),
            func.sum(both.c.orders).label("orders"),
        )
        return [conn.execute(query).one()]

    (sums,) = fast_first(conn, totals, ["revenue"])
    orders = _int(sums.orders)
    for edge in parts.edges:  # an order's lines share its time: it lies in one edge
        orders += int(
            conn.execute(select(func.count(func.distinct(P.order_id))).where(*_edge(edge))).scalar()
            or 0
        )
    return _Sales(
        sums.revenue, sums.units, sums.returned, sums.purchases, orders, _buyers(conn, lo, hi)
    )


def _buyers(conn: Connection, lo: datetime | None, hi: datetime | None) -> int:
    """Customers with a live line in ``[lo, hi)``.

    From the customers' rollups when the range holds one end of the history: a range that
    reaches past the newest live sale (the dashboard's last 30 days) counts the customers
    whose last live purchase is at or after ``lo``, one that starts before the oldest those
    whose first is before ``hi`` (an index range on ``customer_sales`` either way, however
    long the history). Only a range inside the history counts distinct buyers in the raw
    rows."""
    c = customer_sales.c
    where: list[ColumnElement[bool]] = [c.lines > 0]
    if hi is None or not _any_live(conn, P.purchased_at >= hi):
        if lo is not None:
            where.append(c.last_at >= lo)
    elif lo is None or not _any_live(conn, P.purchased_at < lo):
        where.append(c.first_at < hi)
    else:
        return _int(
            conn.execute(
                select(func.count(func.distinct(P.customer_id))).where(*_live(lo, hi))
            ).scalar()
        )
    return _int(
        conn.execute(select(func.count()).select_from(customer_sales).where(*where)).scalar()
    )


def _any_live(conn: Connection, where: ColumnElement[bool]) -> bool:
    """Whether a live line matches ``where`` (one index probe)."""
    probe = select(P.id).where(P.cancelled_at.is_(None), where).limit(1)
    return conn.execute(probe).first() is not None


class _Sales(NamedTuple):
    revenue: Any
    units: Any
    returned: Any
    purchases: Any
    orders: Any
    buyers: Any


def _figures_of(table: Table, where: list[ColumnElement[bool]]) -> Any:
    c = table.c
    return select(
        c.product_id.label("product_id"),
        c.lines.label("lines"),
        c.units.label("units"),
        c.revenue_minor.label("revenue"),
    ).where(*where)


def _product_totals(
    conn: Connection,
    lo: datetime | None,
    hi: datetime | None,
    *,
    exact: bool = True,
) -> Any:
    """Per product with a live line in ``[lo, hi)``: purchase_count (lines), units, revenue
    (a subquery): all time from ``product_sales``, else the whole months from
    ``product_sales_months``, the other whole days from ``product_sales_days`` and the
    edges from the raw rows, added up in SQL. ``exact``: see
    :func:`fast_first`."""
    dialect = conn.dialect.name
    if lo is None and hi is None:
        t = product_sales.c
        return (
            select(
                t.product_id,
                t.lines.label("purchase_count"),
                t.units.label("units"),
                t.revenue_minor.label("revenue"),
            )
            .where(t.lines > 0)
            .subquery()
        )
    parts = calendar.split(lo, hi, _zone(conn))
    pieces: list[Any] = []
    if parts.has_days:
        whole = calendar.month_split(parts.first, parts.last)
        if whole.months is not None:
            m = product_sales_months.c
            where = [m.lines > 0]
            if whole.months[0] is not None:
                where.append(m.month >= whole.months[0])
            if whole.months[1] is not None:
                where.append(m.month < whole.months[1])
            pieces.append(_figures_of(product_sales_months, where))
        pieces.extend(
            _figures_of(product_sales_days, _day_range(product_sales_days, first, last))
            for first, last in whole.days
        )
    pieces.extend(
        select(
            P.product_id.label("product_id"),
            literal_column("1").label("lines"),
            NET_UNITS.label("units"),
            P.total_minor.label("revenue"),
        ).where(*_edge(edge))
        for edge in parts.edges
    )
    if not pieces:  # an empty range
        pieces.append(
            select(
                P.product_id.label("product_id"),
                literal_column("1").label("lines"),
                NET_UNITS.label("units"),
                P.total_minor.label("revenue"),
            ).where(false())
        )
    both = union_all(*pieces).subquery()
    return (
        select(
            both.c.product_id,
            func.sum(both.c.lines).label("purchase_count"),
            func.sum(both.c.units).label("units"),
            money_sum(both.c.revenue, dialect, exact=exact).label("revenue"),
        )
        .group_by(both.c.product_id)
        .subquery()
    )


def _window_units(conn: Connection, lo: datetime | None, hi: datetime) -> tuple[Any, Any]:
    """``products`` joined to what each sold in ``[lo, hi)``, and the column of its net
    units there.

    The whole days are a subquery per product on the covering index ``(product_id, day,
    lines, units)`` of ``product_sales_days``: a few dozen index entries each, with no
    sort or hash of the window's rows (a ``GROUP BY`` over 30 days of 10,000 products
    sorts 260,000 rows). The partial days at the edges are raw rows, grouped once."""
    parts = calendar.split(lo, hi, _zone(conn))
    d = product_sales_days.c
    units: Any = literal_column("0")
    if parts.has_days:
        units = func.coalesce(
            select(func.sum(d.units))
            .where(d.product_id == products.c.id, *_days(product_sales_days, parts))
            .scalar_subquery(),
            0,
        )
    joined: Any = products
    if parts.edges:
        raw = union_all(
            *(
                select(P.product_id.label("product_id"), NET_UNITS.label("units")).where(
                    *_edge(edge)
                )
                for edge in parts.edges
            )
        ).subquery()
        edges = (
            select(raw.c.product_id, func.sum(raw.c.units).label("units"))
            .group_by(raw.c.product_id)
            .subquery()
        )
        joined = products.outerjoin(edges, edges.c.product_id == products.c.id)
        units = units + func.coalesce(edges.c.units, 0)
    return joined, units.label("units")


def _rolled_ranking(conn: Connection, limit: int) -> Any:
    """The best customers of all time from their rollups: the first ``limit`` by revenue,
    ranked among themselves (a rank depends only on the rows before it)."""
    c = customer_sales.c
    top = (
        select(c.customer_id, c.lines, c.orders, c.units, c.revenue_minor)
        .where(c.lines > 0)
        .order_by(desc(c.revenue_minor), c.customer_id)
        .limit(limit)
        .subquery()
    )
    query = (
        select(
            func.rank().over(order_by=desc(top.c.revenue_minor)).label("rank"),
            customers.c.id,
            customers.c.name,
            customers.c.email,
            top.c.lines.label("purchase_count"),
            top.c.orders.label("order_count"),
            top.c.units.label("units"),
            top.c.revenue_minor.label("revenue"),
        )
        .join_from(top, customers, customers.c.id == top.c.customer_id)
        .order_by(desc(top.c.revenue_minor), customers.c.id)
    )
    return conn.execute(query).all()


def _all_before(conn: Connection, end: datetime) -> bool:
    """Whether every live sale is before ``end`` (the customer rollups then hold rfm's
    figures as of ``end``)."""
    last = conn.execute(select(func.max(customer_sales.c.last_at))).scalar()
    if last is None:
        return True
    if isinstance(last, str):
        last = datetime.fromisoformat(last)
    return bool(last.replace(tzinfo=UTC) < end)


def _rolled_rfm(conn: Connection, end: datetime) -> Any:
    c = customer_sales.c
    dialect = conn.dialect.name
    days = whole_days(c.last_kept_at, literal(end, UTCDateTime()), dialect)
    scored = (
        select(
            c.customer_id,
            c.revenue_minor.label("monetary"),
            c.kept_orders.label("frequency"),
            days.label("recency_days"),
        )
        .where(c.revenue_minor > 0)
        .subquery()
    )
    return conn.execute(_rfm_ranks(scored)).all()


def _rfm_ranks(scored: Any) -> Any:
    """Each customer of ``scored`` (customer_id, monetary, frequency, recency_days) with
    their ranks from worst to best (ties share the lowest) and how many there are."""
    s = scored.c
    return (
        select(
            s.customer_id,
            customers.c.name,
            s.recency_days,
            s.frequency,
            s.monetary,
            func.rank().over(order_by=desc(s.recency_days)).label("r_rank"),
            func.rank().over(order_by=s.frequency).label("f_rank"),
            func.rank().over(order_by=s.monetary).label("m_rank"),
            func.count().over().label("n"),
        )
        .join_from(scored, customers, customers.c.id == s.customer_id)
        .order_by(s.customer_id)
    )
