"""Reports: read-only SQL aggregates handed back as frozen rows.

Every figure is computed by the database (``SUM``, ``COUNT``, ``GROUP BY``, ``RANK()``);
no report loads purchases into Python to add them up. Cancelled purchases never count, and
every figure is net of returns: a line's revenue is ``(quantity - returned_quantity) * unit
price`` (its stored ``total_minor``), its units ``quantity - returned_quantity``; a return
lowers the figures of the period of the original sale.
Ranges are ``[start, end)`` in UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, and_, case, desc, func, literal, literal_column, select
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
    from_minor,
    intelligence,
)
from crpm_core.domain import validation as v
from crpm_core.errors import ValidationError
from crpm_core.persistence import dialects, mappers
from crpm_core.persistence.dialects import Sums, UTCDateTime, whole_days, with_exact_sums
from crpm_core.persistence.tables import customers, products, purchases, stock_movements
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
            s = with_exact_sums(conn, sales)
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
        p = purchases.c

        def performance(sums: Sums) -> Any:
            totals = (
                select(
                    p.product_id,
                    func.count().label("purchase_count"),
                    func.sum(NET_UNITS).label("units"),
                    sums.sum(p.total_minor).label("revenue"),
                )
                .where(*_live(lo, hi))
                .group_by(p.product_id)
                .subquery()
            )
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
            rows = with_exact_sums(conn, performance)
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
        """Revenue and units per UTC day, ISO week (from Monday) or month, oldest first.

        Periods without sales are included with zeros, from the period of ``start`` (or the
        first sale) to the period before ``end`` (or the last sale)."""
        self._scope.require("reports.read")
        if bucket not in BUCKETS:
            raise ValidationError("bucket", "must be day, week or month")
        lo, hi = _range(start, end)
        if lo is not None and hi is not None:
            _refuse_too_many_periods(lo, hi, bucket)
        p = purchases.c
        conditions = _live(lo, hi)
        if product_id is not None:
            conditions.append(p.product_id == v.record_id(product_id, "product_id"))
        with self._scope(write=False) as uow:
            conn = uow.conn
            period = dialects.period_start(p.purchased_at, bucket, conn.dialect.name)

            def series_rows(sums: Sums) -> Any:
                query: Select[Any] = (
                    select(
                        period.label("period"),
                        sums.sum(p.total_minor).label("revenue"),
                        func.sum(NET_UNITS).label("units"),
                        func.count().label("purchases"),
                    )
                    .where(and_(*conditions))
                    .group_by(literal_column("period"))
                    .order_by(literal_column("period"))
                )
                return conn.execute(query).all()

            rows = with_exact_sums(conn, series_rows)
        found = {
            dialects.as_utc_datetime(r.period): PeriodSales(
                period_start=dialects.as_utc_datetime(r.period),
                revenue=from_minor(r.revenue),
                units_sold=int(r.units),
                purchase_count=int(r.purchases),
            )
            for r in rows
        }
        if not found and (lo is None or hi is None):
            return []
        first = floor_period(lo, bucket) if lo is not None else min(found)
        last = (
            floor_period(hi - timedelta(microseconds=1), bucket) if hi is not None else max(found)
        )
        _refuse_too_many_periods(first, last, bucket)
        series = []
        at = first
        while at <= last:
            series.append(found.get(at) or PeriodSales(at, Decimal("0.00"), 0, 0))
            try:
                at = next_period(at, bucket)
            except OverflowError:  # the last period of year 9999
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
                s = scored.c
                query = (
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
                return conn.execute(query).all()

            rows = with_exact_sums(conn, ranked)
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
        p = purchases.c
        with self._scope(write=False) as uow:
            conn = uow.conn
            end = at if at is not None else uow.now()
            try:
                start: datetime | None = end - timedelta(days=span)
            except OverflowError:  # before year 1: every sale counts
                start = None
            default = current_settings(conn).low_stock_default
            sold = (
                select(p.product_id, func.sum(NET_UNITS).label("units"))
                .where(p.cancelled_at.is_(None), *in_range(p.purchased_at, start, end))
                .group_by(p.product_id)
                .subquery()
            )
            rows = conn.execute(
                select(
                    products.c.id,
                    products.c.name,
                    products.c.stock,
                    func.coalesce(products.c.reorder_point, default).label("point"),
                    func.coalesce(sold.c.units, 0).label("units"),
                )
                .select_from(products.outerjoin(sold, sold.c.product_id == products.c.id))
                .where(products.c.active)
            ).all()
        result = []
        for row in rows:
            stock, point = int(row.stock), int(row.point)
            velocity = intelligence.daily_velocity(int(row.units), span)
            result.append(
                ReorderSuggestion(
                    product_id=int(row.id),
                    name=row.name,
                    stock=stock,
                    daily_velocity=velocity,
                    days_of_cover=intelligence.days_of_cover(stock, velocity),
                    reorder_point=point,
                    suggested_quantity=intelligence.suggested_quantity(
                        point, velocity, span, stock
                    ),
                )
            )
        result.sort(key=intelligence.reorder_order)
        return result


MAX_PERIODS = 50_000
"""The longest series ``sales_over_time`` builds (137 years of days)."""
_PERIOD_DAYS = {"day": 1, "week": 7, "month": 28}


def _refuse_too_many_periods(first: datetime, last: datetime, bucket: Bucket) -> None:
    periods = (last - first).days // _PERIOD_DAYS[bucket]
    if periods > MAX_PERIODS:
        raise ValidationError(
            "bucket",
            f"the range holds about {periods:,} {bucket}s; at most {MAX_PERIODS:,} are shown "
            "at once: choose a longer bucket or a shorter range",
        )


def floor_period(at: datetime, bucket: Bucket) -> datetime:
    """The start (UTC midnight) of the period ``at`` falls in."""
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def next_period(at: datetime, bucket: Bucket) -> datetime:
    if bucket == "day":
        return at + timedelta(days=1)
    if bucket == "week":
        return at + timedelta(days=7)
    return (at.replace(day=28) + timedelta(days=4)).replace(day=1)
