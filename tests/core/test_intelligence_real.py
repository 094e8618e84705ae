"""RFM on a real shop's history: the CDNOW sample (2,357 customers, 6,919 purchases of
1997-98, shipped in the ``lifetimes`` package on PyPI; see tests/data/cdnow/README.md),
imported as purchases and scored by ``crm.reports.rfm``, against a plain-Python reading of
the contract's rule on the raw file, on every backend.

Each CDNOW purchase becomes one order of one line: quantity 1 of a "CD order" priced at the
dollars paid, so the money is exact and each purchase is one order (CDNOW's own rows are
purchases, several CDs each). Customers buy several times on one day; recency is in whole
days, so the ties are real.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from crpm_core import CRPM, transfer
from crpm_core.domain import intelligence
from tests.core.test_intelligence import contract_score, contract_segment

DATA = Path(__file__).parent.parent / "data" / "cdnow" / "CDNOW_sample.txt"

Purchase = tuple[str, datetime, Decimal]
"""customer, when, dollars"""


def read_cdnow() -> list[Purchase]:
    rows = []
    for line in DATA.read_text(encoding="ascii").splitlines():
        _, sample_id, day, _cds, dollars = line.split()
        at = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC)
        rows.append((sample_id, at, Decimal(dollars)))
    return rows


def reference(purchases: list[Purchase], as_of: datetime) -> dict[str, tuple[int, int, int, str]]:
    """The contract's rule, plainly: per customer with net revenue > 0 before ``as_of``,
    ``(recency_days, frequency, r*100 + f*10 + m, segment)``."""
    seen: dict[str, list[Purchase]] = {}
    for p in purchases:
        if p[1] < as_of:
            seen.setdefault(p[0], []).append(p)
    facts = {}
    for who, mine in seen.items():
        money = sum((p[2] for p in mine), Decimal(0))
        if money > 0:
            last = max(p[1] for p in mine)
            facts[who] = ((as_of - last) // timedelta(days=1), len(mine), money)
    n = len(facts)

    def rank(value: object, values: list[object]) -> int:  # ties share the lowest rank
        return 1 + sum(1 for v in values if v < value)  # type: ignore[operator]

    recencies = [-r for r, _, _ in facts.values()]  # most days is worst: order by -days
    frequencies = [f for _, f, _ in facts.values()]
    monies = [m for _, _, m in facts.values()]
    result = {}
    for who, (days, freq, money) in facts.items():
        r = contract_score(rank(-days, recencies), n)  # type: ignore[arg-type]
        f = contract_score(rank(freq, frequencies), n)  # type: ignore[arg-type]
        m = contract_score(rank(money, monies), n)  # type: ignore[arg-type]
        result[who] = (days, freq, r * 100 + f * 10 + m, contract_segment(r, f, m))
    return result


def _load(crm: CRPM, purchases: list[Purchase]) -> None:
    people = sorted({p[0] for p in purchases})
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["name", "email", "phone"])
    w.writerows([f"CDNOW customer {who}", f"c{who}@cdnow.example", ""] for who in people)
    transfer.import_customers(crm, io.StringIO(out.getvalue()))
    crm.products.add(name="CD order", price="1.00", stock=0, sku="CD")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["customer_email", "product_sku", "quantity", "unit_price", "purchased_at"])
    w.writerows(
        [f"c{who}@cdnow.example", "CD", 1, f"{dollars:.2f}", at.strftime("%Y-%m-%dT%H:%M:%SZ")]
        for who, at, dollars in purchases
    )
    transfer.import_purchases(crm, io.StringIO(out.getvalue()))


def test_rfm_segments_of_the_cdnow_sample_match_the_contract(crm: CRPM) -> None:
    purchases = read_cdnow()
    assert len(purchases) == 6919 and len({p[0] for p in purchases}) == 2357
    _load(crm, purchases)
    # the day after the last purchase, and a day in the middle of the history (a purchase
    # that day is not before it; many customers have not bought yet)
    for as_of in (datetime(1998, 7, 1, tzinfo=UTC), datetime(1997, 10, 1, tzinfo=UTC)):
        expected = reference(purchases, as_of)
        rows = crm.reports.rfm(as_of=as_of)
        got = {
            r.name.removeprefix("CDNOW customer "): (
                r.recency_days,
                r.frequency,
                r.r * 100 + r.f * 10 + r.m,
                r.segment,
            )
            for r in rows
        }
        assert len(rows) == len(expected) > 1000
        assert got == expected
        counts = Counter(segment for *_, segment in expected.values())
        summary = crm.reports.rfm_segments(as_of=as_of)
        assert [s.segment for s in summary] == list(intelligence.SEGMENT_NAMES)
        assert {s.segment: s.customers for s in summary if s.customers} == dict(counts)
        revenue = sum((p[2] for p in purchases if p[1] < as_of), Decimal(0))
        assert sum((s.revenue for s in summary), Decimal(0)) == revenue
        # a real history reaches most of the table
        assert len(counts) >= 8, counts
