"""The rules of the shop's intelligence reports: RFM scores and segments, reorder quantities.

Pure functions; the database computes the aggregates and ranks (``crm.reports.rfm`` and
``crm.reports.reorder_suggestions``), these turn them into scores, segments and quantities.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crpm_core.domain.models import ReorderSuggestion

MAX_SCORE = 5

Range = tuple[int, int]
"""An inclusive range of scores."""

ANY: Range = (1, MAX_SCORE)

SEGMENTS: tuple[tuple[str, Range, Range, Range], ...] = (
    # segment, R, F, M: the first row that matches wins
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    ("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    ("New Customers", (4, 5), (1, 1), (1, 1)),
    ("Promising", (3, 4), (1, 1), (1, 1)),
    ("Needs Attention", (2, 3), (2, 3), (2, 3)),
    ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    ("At Risk", (1, 2), (2, 5), (2, 5)),
    ("About To Sleep", (2, 3), (1, 2), (1, 2)),
    ("Lost", (1, 1), (1, 1), (1, 1)),
    ("Hibernating", (1, 2), (1, 2), (1, 2)),
    ("Others", ANY, ANY, ANY),
)
"""The segment table of the contract, in its order."""

SEGMENT_NAMES: tuple[str, ...] = tuple(row[0] for row in SEGMENTS)


def score(rank: int, n: int) -> int:
    """The score (1..5) of a rank among ``n`` (1: the worst; ties share the lowest rank):
    ``p = (rank - 1) / (n - 1)`` (0 when ``n`` is 1), ``min(5, 1 + floor(5 * p))``, exactly."""
    if n < 1 or not 1 <= rank <= n:
        raise ValueError(f"rank {rank} of {n}")
    if n == 1:
        return 1
    return min(MAX_SCORE, 1 + (MAX_SCORE * (rank - 1)) // (n - 1))


def segment(r: int, f: int, m: int) -> str:
    """The first segment of :data:`SEGMENTS` whose ranges hold ``(r, f, m)``."""
    for name, rr, fr, mr in SEGMENTS:
        if rr[0] <= r <= rr[1] and fr[0] <= f <= fr[1] and mr[0] <= m <= mr[1]:
            return name
    raise AssertionError("Others matches every score")  # pragma: no cover


def daily_velocity(net_units: int, days: int) -> Fraction:
    """Net units sold per day, exactly (``daily_velocity * days == net_units``)."""
    return Fraction(net_units, days)


def days_of_cover(stock: int, velocity: Fraction) -> Fraction | None:
    """How many days the stock lasts at ``velocity``; ``None`` when nothing sells."""
    return None if velocity <= 0 else Fraction(stock) / velocity


def suggested_quantity(reorder_point: int, velocity: Fraction, days: int, stock: int) -> int:
    """``max(0, ceil(reorder_point + velocity * days - stock))``: enough for ``days`` more
    days of sales and to stay above the reorder point."""
    return max(0, math.ceil(reorder_point + velocity * days - stock))


def reorder_figures(
    net_units: int, days: int, stock: int, reorder_point: int
) -> tuple[Fraction, Fraction | None, int]:
    """The velocity, days of cover and suggested quantity of a product that sold
    ``net_units`` over a window of ``days`` days: the three rules above for that window,
    in whole numbers (``velocity * days`` is ``net_units``, so the quantity needs no
    fraction, and the cover is ``stock * days / net_units``)."""
    velocity = Fraction(net_units, days)
    cover = None if net_units <= 0 else Fraction(stock * days, net_units)
    return velocity, cover, max(0, reorder_point + net_units - stock)


_NO_COVER = Fraction(0)


def reorder_order(row: ReorderSuggestion) -> tuple[bool, float, Fraction, str, int]:
    """The order of the reorder list: fewest days of cover first, products that sold
    nothing last, then by name and id.

    The float of the cover decides almost every comparison cheaply; the exact fraction
    behind it breaks the ties a float cannot tell apart, so the order stays exact."""
    cover = row.days_of_cover
    if cover is None:
        return (True, 0.0, _NO_COVER, row.name, row.product_id)
    return (False, cover.numerator / cover.denominator, cover, row.name, row.product_id)
