"""crpm_core: customers, products, purchases and the reports of a shop.

>>> import crpm_core
>>> with crpm_core.connect("sqlite://") as crm:
...     ada = crm.customers.add(name="Ada Lovelace", email="ada@example.org")
...     crm.customers.get(ada.id).name
'Ada Lovelace'
"""

from crpm_core import errors
from crpm_core.api import CRPM, Transaction, connect, default_url
from crpm_core.domain import (
    AuditEntry,
    Customer,
    CustomerRanking,
    CustomerSegment,
    Order,
    Page,
    PeriodSales,
    Product,
    ProductPerformance,
    Purchase,
    PurchaseLine,
    ReorderSuggestion,
    SalesSummary,
    SegmentSummary,
    Settings,
    StockMovement,
    User,
)
from crpm_core.services._common import UNSET

__all__ = [
    "CRPM",
    "UNSET",
    "AuditEntry",
    "Customer",
    "CustomerRanking",
    "CustomerSegment",
    "Order",
    "Page",
    "PeriodSales",
    "Product",
    "ProductPerformance",
    "Purchase",
    "PurchaseLine",
    "ReorderSuggestion",
    "SalesSummary",
    "SegmentSummary",
    "Settings",
    "StockMovement",
    "Transaction",
    "User",
    "connect",
    "default_url",
    "errors",
]

__version__ = "0.1.0"
