"""The values CRPM hands out: frozen, comparable, free of any storage detail."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Generic, Literal, TypeVar

import attrs

T = TypeVar("T")

MovementKind = Literal["initial", "restock", "sale", "cancel", "adjustment", "return"]
MOVEMENT_KINDS: tuple[MovementKind, ...] = (
    "initial",
    "restock",
    "sale",
    "cancel",
    "adjustment",
    "return",
)


@attrs.frozen
class Customer:
    id: int
    name: str
    email: str
    phone: str | None
    active: bool
    created_at: datetime


@attrs.frozen
class Product:
    id: int
    sku: str | None
    name: str
    price: Decimal
    stock: int
    active: bool
    created_at: datetime
    reorder_point: int | None = None
    """Low stock at or below this; ``None``: the shop's ``low_stock_default``."""

    def is_low(self, low_stock_default: int) -> bool:
        """Active and at or below its reorder point (its own, else the shop's default);
        ``crm.products.low_stock()`` asks the database the same question."""
        point = low_stock_default if self.reorder_point is None else self.reorder_point
        return self.active and self.stock <= point


@attrs.frozen
class Purchase:
    """One line of an order: ``total`` is net of returns, ``(quantity - returned_quantity) *
    unit_price``."""

    id: int
    customer_id: int
    product_id: int
    quantity: int
    unit_price: Decimal
    total: Decimal
    purchased_at: datetime
    cancelled_at: datetime | None
    order_id: int = 0
    returned_quantity: int = 0

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def returnable(self) -> int:
        """Units that may still come back (none once the line is cancelled)."""
        return 0 if self.cancelled else self.quantity - self.returned_quantity


@attrs.frozen
class Order:
    """A sale of one or more lines to one customer; ``total`` is the sum of its lines' totals
    (net of returns); ``ref`` the shop's own order number, when it has one."""

    id: int
    ref: str | None
    customer_id: int
    placed_at: datetime
    lines: tuple[Purchase, ...]
    total: Decimal
    cancelled_at: datetime | None
    note: str | None

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


@attrs.frozen
class PurchaseLine:
    """A purchase as a history shows it: with the product's name."""

    purchase_id: int
    purchased_at: datetime
    customer_id: int
    product_id: int
    product_name: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    cancelled: bool
    customer_name: str = ""
    returned_quantity: int = 0
    order_id: int = 0


@attrs.frozen
class StockMovement:
    """One change of a product's stock; a product's changes sum to its stock."""

    id: int
    product_id: int
    at: datetime
    kind: MovementKind
    change: int
    stock_after: int
    note: str | None
    purchase_id: int | None = None
    actor: str = "system"
    """Who moved the stock (the acting user of the unit of work)."""


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing: ``total`` counts every match, ``items`` this page's."""

    items: Sequence[T]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


Bucket = Literal["day", "week", "month"]


@attrs.frozen
class SalesSummary:
    """Totals of live (not cancelled) purchases in ``[start, end)``, plus stock on hand now."""

    start: datetime | None
    end: datetime | None
    revenue: Decimal
    units_sold: int
    purchase_count: int
    buyer_count: int
    average_order_value: Decimal
    cancelled_count: int
    stock_units: int
    stock_value: Decimal
    restocked_units: int
    order_count: int = 0
    """Orders with at least one live line in the range."""
    returned_units: int = 0
    """Units of the range's sales that came back."""


@attrs.frozen
class CustomerRanking:
    rank: int
    customer_id: int
    name: str
    email: str
    purchase_count: int
    units: int
    revenue: Decimal
    order_count: int = 0


@attrs.frozen
class ProductPerformance:
    rank: int
    product_id: int
    sku: str | None
    name: str
    units_sold: int
    revenue: Decimal
    purchase_count: int
    stock: int
    active: bool


@attrs.frozen
class PeriodSales:
    period_start: datetime
    revenue: Decimal
    units_sold: int
    purchase_count: int


@attrs.frozen
class CustomerSegment:
    """A customer's RFM scores (1 worst .. 5 best) and segment (``crm.reports.rfm``)."""

    customer_id: int
    name: str
    recency_days: int
    """Whole days from the last order counted in ``frequency`` to ``as_of``."""
    frequency: int
    """Orders not cancelled that keep at least one unit not returned."""
    monetary: Decimal
    """Net revenue before ``as_of``."""
    r: int
    f: int
    m: int
    segment: str


@attrs.frozen
class SegmentSummary:
    """One segment of the RFM table: how many customers and their net revenue."""

    segment: str
    customers: int
    revenue: Decimal


@attrs.frozen
class ReorderSuggestion:
    """What to buy (``crm.reports.reorder_suggestions``). ``daily_velocity`` and
    ``days_of_cover`` are exact fractions (``daily_velocity * days`` is the net units sold);
    ``days_of_cover`` is ``None`` when nothing was sold."""

    product_id: int
    name: str
    stock: int
    daily_velocity: Fraction
    days_of_cover: Fraction | None
    reorder_point: int
    """The product's own reorder point, else the shop's ``low_stock_default``."""
    suggested_quantity: int


@attrs.frozen
class Settings:
    """The shop's settings: its name on receipts, its currency (ISO 4217), its time zone
    (IANA) for days, weeks and months, and the stock at or below which a product without a
    reorder point of its own counts as low."""

    shop_name: str
    currency: str
    timezone: str
    low_stock_default: int


@attrs.frozen
class User:
    """A member of staff. The password never leaves the core, not even as its hash."""

    id: int
    username: str
    role: str
    active: bool
    created_at: datetime


@attrs.frozen
class AuditEntry:
    """One write, as the audit trail keeps it: who (``actor``), what (``action``, the
    method's name), on which record (``entity``, ``entity_id``), and ``changes``: field →
    ``[before, after]``."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    changes: dict[str, list[object]]
