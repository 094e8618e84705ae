"""The domain: frozen values, money and validation. Imports no storage or UI code."""

from crpm_core.domain.models import (
    MOVEMENT_KINDS,
    Customer,
    MovementKind,
    Page,
    Product,
    Purchase,
    PurchaseLine,
    StockMovement,
)
from crpm_core.domain.money import from_minor, parse_money, to_minor

__all__ = [
    "MOVEMENT_KINDS",
    "Customer",
    "MovementKind",
    "Page",
    "Product",
    "Purchase",
    "PurchaseLine",
    "StockMovement",
    "from_minor",
    "parse_money",
    "to_minor",
]
