"""Table rows that several pages show the same way (pages never import each other)."""

from __future__ import annotations

from typing import Any

from crpm_core import StockMovement
from crpm_ui.formatting import when

__all__ = ["movement_row"]


def movement_row(m: StockMovement, zone: str | None = None) -> dict[str, Any]:
    """One stock movement as the products and analytics tables show it (its time in UTC, or
    in the IANA ``zone``)."""
    return {
        "id": m.id,
        "at": when(m.at, zone),
        "kind": m.kind.capitalize(),
        "change": f"{m.change:+d}",
        "stock_after": m.stock_after,
        "note": m.note or "",
        "actor": m.actor,
    }
