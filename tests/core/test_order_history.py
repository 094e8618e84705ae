"""A realistic multi-line history through the command line: a few thousand orders of 1-8 lines
bought by customers with real international names, imported from CSV files with
``crpm import``, then partly returned and cancelled through the library. Every report
(``crpm report summary|top-customers|products|over-time``) must equal a plain-Python
recomputation from the generated data, net of returns; and ``crpm export`` must give files
that import into a fresh database with identical reports (the round trip is lossless)."""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy.engine import URL

from crpm_core import CRPM
from crpm_core.cli import main
from tests.databases import temporary_database

SEED = 20260329
ORDERS = 2500
ZERO = Decimal("0.00")
START = datetime(2025, 1, 1, tzinfo=UTC)
INITIAL_STOCK = 5000

# Given names and surnames that go together, with the apostrophes, accents and scripts of
# real customers (the importer and every report must carry them unchanged).
PEOPLE = {
    "ie": (["Siobhán", "Seán", "Aoife", "Pádraig", "Zoë"], ["O'Brien", "Ó Briain", "Mac Giolla"]),
    "fr": (["François", "Élodie", "Chloé", "Jérôme"], ["D'Arcy", "Lefèvre", "Bérubé"]),
    "de": (["Jürgen", "Jörg", "Käthe", "Björn"], ["Müller", "Weiß", "Schröder"]),
    "pl": (["Łukasz", "Małgorzata", "Zoë"], ["Wiśniewski", "Łukasiewicz", "Żak"]),
    "cz": (["Antonín", "Jiří", "Růžena"], ["Dvořák", "Novák", "Čapek"]),
    "es": (["José", "María José", "Íñigo", "Begoña"], ["Núñez", "Ibáñez", "Peña"]),
    "pt": (["João", "Conceição", "Gonçalo"], ["Gonçalves", "Magalhães", "Simões"]),
    "tr": (["Çağrı", "Gülşen", "Ömer"], ["Öztürk", "Çelik", "Yılmaz"]),
    "no": (["Søren", "Åsa", "Øyvind", "Æsa"], ["Kierkegård", "Øberg", "Ærø"]),
    "is": (["Þórunn", "Guðrún", "Ævar"], ["Þórsdóttir", "Guðmundsson"]),
    "it": (["Niccolò", "Annalù"], ["D'Angelo", "Dell'Acqua", "Lo Iacono"]),
    "gr": (["Νίκος", "Ελένη"], ["Παπαδόπουλος", "Οικονόμου"]),
    "ru": (["Анна", "Пётр"], ["Иванова", "Щербаков"]),
    "vn": (["Nguyễn Văn", "Trần Thị"], ["An", "Hương"]),
    "jp": (["太郎", "花子"], ["山田", "佐藤"]),
}
GOODS = [
    "Crème brûlée mix",
    "Pâté de campagne",
    "Café de Olla",
    "Smørrebrød board",
    "Κρασί",
    "Чай",
    "Glühwein",
    "Jalapeño salt",
    "Açaí bowl",
    "Ristretto 'Milano'",
    "Müsli",
    "Piñata",
]


@attrs.define
class Line:
    order: int
    email: str
    sku: str
    quantity: int
    unit_price: Decimal
    at: datetime
    returned: int = 0
    cancelled: bool = False
    id: int = 0

    @property
    def units(self) -> int:
        return self.quantity - self.returned

    @property
    def revenue(self) -> Decimal:
        return self.unit_price * self.units


@attrs.define
class History:
    customers: dict[str, str]  # email (as stored) -> name
    products: dict[str, tuple[str, Decimal]]  # sku -> (name, price)
    lines: list[Line]
    refs: list[str]


def _generate(rng: random.Random, folder: Path) -> History:
    """Write customers.csv, products.csv and purchases.csv; return what they hold."""
    customers: dict[str, str] = {}
    for i in range(400):
        given, family = rng.choice(list(PEOPLE.values()))
        name = f"{rng.choice(given)} {rng.choice(family)}"
        customers[f"Buyer.{i}@Example.org" if i % 7 == 0 else f"buyer{i}@example.org"] = name
    customers["ania@example.pl"] = 'Kowalska, Anna "Ania"'  # a comma and quotes: CSV quoting
    products: dict[str, tuple[str, Decimal]] = {}
    for i in range(48):
        price = Decimal(rng.randint(25, 25_000)) / 100
        products[f"SKU-{i:03d}"] = (f"{GOODS[i % len(GOODS)]} {i}", price)

    lines: list[Line] = []
    refs = []
    emails, skus = list(customers), list(products)
    zones = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5)), UTC]
    for n in range(ORDERS):
        refs.append(f"ORD-{n:05d}")
        at = START + timedelta(seconds=rng.randint(0, 364 * 86_400))
        if n % 50 == 0:
            at = at.replace(hour=0, minute=0, second=0)  # sold on the stroke of midnight
        email = rng.choice(emails)
        for _ in range(rng.randint(1, 8)):
            sku = rng.choice(skus)
            price = products[sku][1]
            if rng.random() < 0.1:  # a discount at the till
                price = (price * Decimal("0.85")).quantize(Decimal("0.01"), ROUND_HALF_UP)
            qty = rng.choice([1, 1, 1, 2, 2, 3, 4, 6, 12])
            line = Line(n, email, sku, qty, price, at)
            if rng.random() < 0.03:
                line.returned = rng.randint(1, qty)  # already returned in the old system
            lines.append(line)

    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["name", "email", "phone"])
        for i, (email, name) in enumerate(customers.items()):
            out.writerow([name, email, f"+353 1 555 {i:04d}" if i % 3 else ""])
    with (folder / "products.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["sku", "name", "price", "stock"])
        for sku, (name, price) in products.items():
            out.writerow([sku, name, price, INITIAL_STOCK])
    with (folder / "purchases.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "customer_email",
                "product_sku",
                "quantity",
                "unit_price",
                "purchased_at",
                "order_ref",
                "returned_quantity",
            ]
        )
        for line in lines:
            zone = zones[line.order % len(zones)]
            who = line.email.upper() if line.order % 11 == 0 else line.email  # any case
            out.writerow(
                [
                    who,
                    line.sku,
                    line.quantity,
                    line.unit_price,
                    line.at.astimezone(zone).isoformat(),
                    refs[line.order],
                    line.returned or "",
                ]
            )
    return History(customers, products, lines, refs)


def _crpm(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> str:
    capsys.readouterr()
    status = main([*argv, "--db", url])
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def _reports(capsys: pytest.CaptureFixture[str], url: str) -> dict[str, Any]:
    """Every report as ``crpm report … --format json`` prints it."""

    def report(*argv: str) -> Any:
        return json.loads(_crpm(capsys, url, "report", *argv, "--format", "json"))

    return {
        "summary": report("summary"),
        "spring": report("summary", "--start", "2025-03-01", "--end", "2025-06-15T12:00"),
        "top-customers": report("top-customers", "--limit", "5000"),
        "products": report("products"),
        **{b: report("over-time", "--bucket", b) for b in ("day", "week", "month")},
    }


def _floor(at: datetime, bucket: str) -> datetime:
    day = datetime(at.year, at.month, at.day, tzinfo=UTC)
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if bucket == "month" else day


def _after(period: datetime, bucket: str) -> datetime:
    if bucket == "day":
        return period + timedelta(days=1)
    if bucket == "week":
        return period + timedelta(days=7)
    return datetime(period.year + period.month // 12, period.month % 12 + 1, 1, tzinfo=UTC)


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _summary(history: History, lo: datetime | None, hi: datetime | None) -> dict[str, Any]:
    inside = [x for x in history.lines if (lo is None or lo <= x.at) and (hi is None or x.at < hi)]
    live = [x for x in inside if not x.cancelled]
    revenue = sum((x.revenue for x in live), ZERO)
    orders = len({x.order for x in live})
    left: dict[str, int] = defaultdict(lambda: INITIAL_STOCK)
    for x in history.lines:
        if not x.cancelled:
            left[x.sku] -= x.units
    stock = {sku: left[sku] for sku in history.products}
    average = (revenue / orders).quantize(Decimal("0.01"), ROUND_HALF_UP) if orders else ZERO
    return {
        "start": None if lo is None else lo.isoformat(),
        "end": None if hi is None else hi.isoformat(),
        "revenue": _money(revenue),
        "units_sold": sum(x.units for x in live),
        "purchase_count": len(live),
        "buyer_count": len({x.email.lower() for x in live}),
        "average_order_value": _money(average),
        "cancelled_count": len(inside) - len(live),
        "stock_units": sum(stock.values()),
        "stock_value": _money(sum((history.products[s][1] * n for s, n in stock.items()), ZERO)),
        "restocked_units": 0,
        "order_count": orders,
        "returned_units": sum(x.returned for x in live),
    }


def _expected(history: History) -> dict[str, Any]:
    """Every report recomputed from the generated data and the changes made since."""
    live = [x for x in history.lines if not x.cancelled]
    names = {email.lower(): (email, name) for email, name in history.customers.items()}

    buyers: dict[str, list[Line]] = defaultdict(list)
    for x in live:
        buyers[x.email.lower()].append(x)
    top = []
    for key, mine in buyers.items():
        email, name = names[key]
        revenue = sum((x.revenue for x in mine), ZERO)
        top.append(
            {
                "name": name,
                "email": email,
                "purchase_count": len(mine),
                "units": sum(x.units for x in mine),
                "revenue": _money(revenue),
                "order_count": len({x.order for x in mine}),
                "_revenue": revenue,
            }
        )
    for row in top:
        row["rank"] = 1 + sum(1 for r in top if r["_revenue"] > row["_revenue"])
    top.sort(key=lambda r: -r["_revenue"])

    sold: dict[str, list[Line]] = defaultdict(list)
    for x in live:
        sold[x.sku].append(x)
    products = []
    for sku, (name, _) in history.products.items():
        mine = sold[sku]
        units = sum(x.units for x in mine)
        products.append(
            {
                "sku": sku,
                "name": name,
                "units_sold": units,
                "revenue": _money(sum((x.revenue for x in mine), ZERO)),
                "purchase_count": len(mine),
                "stock": INITIAL_STOCK - units,
                "active": True,
                "_key": (units, sum((x.revenue for x in mine), ZERO)),
            }
        )
    for row in products:
        row["rank"] = 1 + sum(1 for r in products if r["_key"] > row["_key"])
    products.sort(key=lambda r: (-r["_key"][0], -r["_key"][1]))

    series: dict[str, list[dict[str, Any]]] = {}
    for bucket in ("day", "week", "month"):
        per: dict[datetime, list[Line]] = defaultdict(list)
        for x in live:
            per[_floor(x.at, bucket)].append(x)
        rows = []
        at, last = min(per), max(per)
        while at <= last:
            mine = per.get(at, [])
            rows.append(
                {
                    "period_start": at,
                    "revenue": _money(sum((x.revenue for x in mine), ZERO)),
                    "units_sold": sum(x.units for x in mine),
                    "purchase_count": len(mine),
                }
            )
            at = _after(at, bucket)
        series[bucket] = rows
    spring = (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 6, 15, 12, tzinfo=UTC))
    return {
        "summary": _summary(history, None, None),
        "spring": _summary(history, *spring),
        "top-customers": top,
        "products": products,
        **series,
    }


def _comparable(reports: dict[str, Any]) -> dict[str, Any]:
    """The reports without what names rows by database id (ids differ between databases),
    with times as aware datetimes and ties in a stable order."""
    out: dict[str, Any] = {}
    for name, value in reports.items():
        if isinstance(value, dict):
            out[name] = value
            continue
        rows = []
        for row in value:
            row = {k: v for k, v in row.items() if k not in ("customer_id", "product_id")}
            if "period_start" in row:
                row["period_start"] = datetime.fromisoformat(row["period_start"])
            rows.append(row)
        if name == "top-customers":
            rows.sort(key=lambda r: (r["rank"], r["email"]))
        if name == "products":
            rows.sort(key=lambda r: (r["rank"], r["sku"]))
        out[name] = rows
    return out


def _expected_comparable(history: History) -> dict[str, Any]:
    expected = _expected(history)
    for name in ("top-customers", "products"):
        rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in expected[name]]
        key = "email" if name == "top-customers" else "sku"
        expected[name] = sorted(rows, key=lambda r: (r["rank"], r[key]))
    return expected


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same backend."""
    with temporary_database(backend, tmp_path) as url:
        yield url.render_as_string(hide_password=False)


@pytest.mark.slow
def test_a_real_history_imported_by_the_cli_reports_as_recomputed_and_round_trips(
    crm: CRPM,
    db_url: URL,
    fresh_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rng = random.Random(SEED)
    history = _generate(rng, tmp_path)
    url = db_url.render_as_string(hide_password=False)
    for kind in ("customers", "products"):
        assert "imported" in _crpm(capsys, url, "import", kind, str(tmp_path / f"{kind}.csv"))
    done = _crpm(
        capsys, url, "import", "purchases", str(tmp_path / "purchases.csv"), "--move-stock"
    )
    assert f"imported {len(history.lines):,} purchases" in done and "stock moved" in done

    # The file's lines, grouped by order_ref, became its orders, in the file's order.
    stored = {}
    offset = 0
    while True:
        page = crm.orders.list(offset=offset, limit=1000)
        stored.update({o.ref: o for o in page.items})
        offset += len(page.items)
        if offset >= page.total:
            break
    assert sorted(stored) == sorted(history.refs)
    by_order: dict[int, list[Line]] = defaultdict(list)
    for x in history.lines:
        by_order[x.order].append(x)
    for n, ref in enumerate(history.refs):
        order = stored[ref]
        assert [(p.quantity, p.unit_price, p.returned_quantity) for p in order.lines] == [
            (x.quantity, x.unit_price, x.returned) for x in by_order[n]
        ]
        assert order.total == sum((x.revenue for x in by_order[n]), ZERO)
        for x, p in zip(by_order[n], order.lines, strict=True):
            x.id = p.id

    # Returns and cancels at the counter, through the library.
    picked = rng.sample(range(ORDERS), 240)
    for n in picked[:60]:
        crm.orders.cancel(stored[history.refs[n]].id)
        for x in by_order[n]:
            x.cancelled = True
    for n in picked[60:120]:
        x = rng.choice(by_order[n])
        crm.purchases.cancel(x.id)
        x.cancelled = True
    for n in picked[120:]:
        x = rng.choice(by_order[n])
        if x.units:
            qty = rng.randint(1, x.units)
            assert crm.purchases.return_items(x.id, qty, note="changed mind").returned_quantity == (
                x.returned + qty
            )
            x.returned += qty
    for n in picked[60:120]:  # a line of an order with every line cancelled: the order too
        if all(x.cancelled for x in by_order[n]):
            assert crm.orders.get(stored[history.refs[n]].id).cancelled_at is not None

    reports = _comparable(_reports(capsys, url))
    assert reports == _expected_comparable(history)

    # Export, import into a fresh database: the same reports, the same export.
    files = {}
    for kind in ("customers", "products", "purchases"):
        files[kind] = tmp_path / f"exported-{kind}.csv"
        _crpm(capsys, url, "export", kind, str(files[kind]))
    for kind in ("customers", "products", "purchases"):
        _crpm(capsys, fresh_url, "import", kind, str(files[kind]))
    again = _comparable(_reports(capsys, fresh_url))
    for name in ("summary", "spring"):  # cancelled lines are not exported: none to count
        for figures in (reports[name], again[name]):
            figures.pop("cancelled_count")
    assert again == reports
    _crpm(capsys, fresh_url, "export", "purchases", str(tmp_path / "again.csv"))
    exported = files["purchases"].read_text(encoding="utf-8")
    header = exported.splitlines()[0].split(",")
    assert header[-3:] == ["order_ref", "returned_quantity", "order_number"]
    # the same rows, grouped into the same orders (the numbers are each database's own ids)
    assert _grouped(tmp_path / "again.csv") == _grouped(files["purchases"])
    assert exported.count("\n") == 1 + sum(1 for x in history.lines if not x.cancelled)


def _grouped(path: Path) -> list[list[tuple[str, ...]]]:
    """The rows of a purchases export without their order numbers, in their orders."""
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[1:]
    orders: dict[str, list[tuple[str, ...]]] = {}
    for row in rows:
        orders.setdefault(row[-1], []).append(tuple(row[:-1]))
    return sorted(orders.values())


def test_an_order_without_a_number_round_trips_as_one_order(
    crm: CRPM, db_url: URL, fresh_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An order placed at the counter has no ``ref``; exported and imported again it must
    still be one order of two lines (the round trip is lossless), not two orders."""
    zoe = crm.customers.add(name="Zoë Ó Briain-Łukasiewicz", email="zoe@example.ie").id
    tea = crm.products.add(name="Чай", price="2.00", stock=10, sku="TEA").id
    mug = crm.products.add(name="Mug", price="5.00", stock=10, sku="MUG").id
    crm.orders.place(customer_id=zoe, lines=[(tea, 1), (mug, 1)])
    url = db_url.render_as_string(hide_password=False)
    for kind in ("customers", "products", "purchases"):
        _crpm(capsys, url, "export", kind, str(tmp_path / f"{kind}.csv"))
        _crpm(capsys, fresh_url, "import", kind, str(tmp_path / f"{kind}.csv"))
    before = _comparable(_reports(capsys, url))
    after = _comparable(_reports(capsys, fresh_url))
    assert (
        (after["summary"]["order_count"], after["summary"]["average_order_value"])
        == (
            before["summary"]["order_count"],
            before["summary"]["average_order_value"],
        )
        == (1, "7.00")
    )
    assert after == before
