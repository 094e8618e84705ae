"""Numbers, money and times as the pages show them. CSV downloads are written by
:func:`crpm_core.tabular.csv_bytes`, the one CSV writer and formula guard of the project."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from crpm_core.tabular import csv_bytes

__all__ = ["csv_bytes", "date", "money", "when"]


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def when(value: datetime) -> str:
    """A UTC timestamp to the minute, as every table shows it."""
    return value.strftime("%Y-%m-%d %H:%M")


def date(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")
