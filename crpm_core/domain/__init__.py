"""The domain: frozen values, money and validation. Imports no storage or UI code."""

from crpm_core.domain import rules, search, staff
from crpm_core.domain.models import (
    MOVEMENT_KINDS,
    AuditEntry,
    Bucket,
    Customer,
    CustomerRanking,
    MovementKind,
    Order,
    Page,
    PeriodSales,
    Product,
    ProductPerformance,
    Purchase,
    PurchaseLine,
    SalesSummary,
    Settings,
    StockMovement,
    User,
)
from crpm_core.domain.money import from_minor, parse_money, to_minor

__all__ = [
    "MOVEMENT_KINDS",
    "AuditEntry",
    "Bucket",
    "Customer",
    "CustomerRanking",
    "MovementKind",
    "Order",
    "Page",
    "PeriodSales",
    "Product",
    "ProductPerformance",
    "Purchase",
    "PurchaseLine",
    "SalesSummary",
    "Settings",
    "StockMovement",
    "User",
    "from_minor",
    "parse_money",
    "rules",
    "search",
    "staff",
    "to_minor",
]
