"""The domain: frozen values, money and validation. Imports no storage or UI code."""

from crpm_core.domain import rules, search
from crpm_core.domain.models import (
    MOVEMENT_KINDS,
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
)
from crpm_core.domain.money import from_minor, parse_money, to_minor

__all__ = [
    "MOVEMENT_KINDS",
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
    "from_minor",
    "parse_money",
    "rules",
    "search",
    "to_minor",
]
