"""CSV import and export (crpm_core.transfer) on every backend, with a real shop's data."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from crpm_core import CRPM, Product, errors, transfer
from crpm_core.persistence.tables import purchases, stock_movements
from crpm_core.transfer import Progress, RowError, StockShortage
from tests.helpers import ledger_sum, snapshot

DATA = Path(__file__).parent.parent / "data"
NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)

FIRST = ["Zoë", "José", "Łucja", "Øyvind", "Siobhán", "山田", "Nguyễn", "Renée", "Ayşe", "Chidi"]
LAST = ["O'Brien", "Álvarez-Núñez", "Kowalska", "Ødegård", "Ní Bhriain", "太郎", "Thị Minh"]
PHONES = [
    "+353 1 555 {n:04d}",
    "+34 91 123 {n:04d}",
    "(212) 555-{n:04d}",
    "+81 3-1234-{n:04d}",
    "0{n:04d}.12.34.56",
    "+49 30 1234{n:04d}",
    "+44 20 7946 {n:04d}",
    "08-123 {n:04d}",
    "",
]
ZONES = [
    UTC,
    timezone(timedelta(hours=2)),
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=30)),
]


@attrs.frozen
class Shop:
    """CSV files of a shop and what importing them must give."""

    customers: Path
    products: Path
    purchases: Path
    customer_count: int
    product_count: int
    purchase_count: int
    revenue: Decimal
    units: dict[str, int]  # by SKU
    stock: dict[str, int]  # by SKU, as in the products file


def email_of(i: int) -> str:
    # Every third address is stored in mixed case; purchases always name it in lower case.
    local = f"customer.{i}"
    return f"{local.title() if i % 3 == 0 else local}@Example.com"


def write_csv(path: Path, header: list[str], rows: Iterator[list[str]] | list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def make_shop(
    folder: Path, *, customers: int = 5_000, products: int = 200, sales: int = 20_000
) -> Shop:
    rng = random.Random(20240601)
    folder.mkdir(parents=True, exist_ok=True)
    people = [
        [
            f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            email_of(i),
            rng.choice(PHONES).format(n=i % 10_000),
        ]
        for i in range(customers)
    ]
    goods = [
        [f"SKU-{i:04d}", f"Crème brûlée kit №{i}", f"{rng.randrange(1, 50_000) / 100:.2f}", "500"]
        for i in range(products)
    ]
    units: Counter[str] = Counter()
    revenue = Decimal(0)
    rows = []
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for _ in range(sales):
        sku = f"SKU-{rng.randrange(products):04d}"
        qty = rng.randrange(1, 4)
        price = Decimal(rng.randrange(1, 50_000)) / 100
        at = (start + timedelta(seconds=rng.randrange(366 * 86400))).astimezone(rng.choice(ZONES))
        units[sku] += qty
        revenue += price * qty
        rows.append(
            [email_of(rng.randrange(customers)).lower(), sku, str(qty), str(price), at.isoformat()]
        )
    return Shop(
        customers=write_csv(folder / "customers.csv", ["name", "email", "phone"], people),
        products=write_csv(folder / "products.csv", ["sku", "name", "price", "stock"], goods),
        purchases=write_csv(
            folder / "purchases.csv",
            ["customer_email", "product_sku", "quantity", "unit_price", "purchased_at"],
            rows,
        ),
        customer_count=customers,
        product_count=products,
        purchase_count=sales,
        revenue=revenue,
        units=dict(units),
        stock={g[0]: int(g[3]) for g in goods},
    )


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return make_shop(tmp_path_factory.mktemp("shop"))


def csv_text(header: str, *lines: str) -> io.StringIO:
    return io.StringIO("\n".join([header, *lines]) + "\n")


CUSTOMERS = "name,email,phone"
PRODUCTS = "sku,name,price,stock"
PURCHASES = "customer_email,product_sku,quantity,unit_price,purchased_at"


def revenue_in_db(crm: CRPM) -> Decimal:
    with crm.db.transaction(write=False) as conn:
        cents = conn.execute(select(func.coalesce(func.sum(purchases.c.total_minor), 0)))
        return Decimal(int(cents.scalar_one())) / 100


def products_by_sku(crm: CRPM) -> dict[str | None, Product]:
    return {p.sku: p for p in crm.products.list(limit=1000).items}


# Real data -------------------------------------------------------------------------------


def test_real_names_and_phone_formats_import_as_written(crm: CRPM) -> None:
    result = transfer.import_customers(crm, DATA / "customers_real.csv", now=NOW)
    with (DATA / "customers_real.csv").open(encoding="utf-8", newline="") as f:
        expected = list(csv.DictReader(f))
    assert result == transfer.ImportResult("customers", len(expected))
    got = crm.customers.list(limit=100, order_by="id").items
    assert [(c.name, c.email, c.phone) for c in got] == [
        (row["name"].strip(), row["email"], row["phone"] or None) for row in expected
    ]
    assert got[0].name == "Zoë O'Brien" and got[0].phone == "+353 1 555 0101"
    assert got[2].name == "山田 太郎"
    assert got[3].name == "Nguyễn, Thị Minh Khai"  # a quoted comma
    assert got[-2].name == "'Ohana Café"  # a leading ' before a letter is kept
    assert all(c.created_at == NOW and c.active for c in got)


def test_a_shop_of_thousands_imports_as_history(crm: CRPM, shop: Shop) -> None:
    seen: list[Progress] = []
    assert transfer.import_customers(crm, shop.customers).rows == shop.customer_count
    assert transfer.import_products(crm, shop.products).rows == shop.product_count
    result = transfer.import_purchases(crm, shop.purchases, progress=seen.append)

    assert result == transfer.ImportResult("purchases", shop.purchase_count, stock_moved=False)
    assert crm.customers.list(limit=1).total == shop.customer_count
    assert crm.purchases.list(limit=1).total == shop.purchase_count
    assert revenue_in_db(crm) == shop.revenue
    for sku, product in products_by_sku(crm).items():
        assert product.stock == shop.stock[sku]
        assert ledger_sum(crm, product.id) == product.stock
    # History only: the ledger holds the initial movements and nothing else.
    with crm.db.transaction(write=False) as conn:
        kinds = dict(
            conn.execute(
                select(stock_movements.c.kind, func.count()).group_by(stock_movements.c.kind)
            ).all()
        )
    assert kinds == {"initial": shop.product_count}
    # Progress: every row is checked (up to 100 % of the file), then written.
    checking = [p for p in seen if p.phase == "checking"]
    writing = [p for p in seen if p.phase == "writing"]
    assert seen == checking + writing and len(checking) > 2 and writing
    assert all(p.fraction is not None and 0 < p.fraction <= 1 for p in seen)
    assert [p.rows for p in checking] == sorted(p.rows for p in checking)
    assert checking[-1] == Progress("checking", shop.purchase_count, 1.0)
    assert writing[-1] == Progress("writing", shop.purchase_count, 1.0)


def test_move_stock_sells_and_keeps_the_ledger_summing_to_stock(crm: CRPM, shop: Shop) -> None:
    transfer.import_customers(crm, shop.customers)
    transfer.import_products(crm, shop.products)
    result = transfer.import_purchases(crm, shop.purchases, move_stock=True, now=NOW)

    assert result.stock_moved and result.rows == shop.purchase_count
    for sku, product in products_by_sku(crm).items():
        sold = shop.units.get(sku, 0)
        assert product.stock == shop.stock[sku] - sold
        assert ledger_sum(crm, product.id) == product.stock
        moves = crm.reports.stock_movements(product_id=product.id).items
        sales = [m for m in moves if m.kind == "sale"]
        if sold:
            (sale,) = sales  # one movement per product per import
            assert (sale.change, sale.stock_after, sale.at) == (-sold, product.stock, NOW)
            assert sale.note is not None and sale.note.startswith("import from purchases.csv: ")
            assert sale.purchase_id is None
        else:
            assert sales == []


# All or nothing --------------------------------------------------------------------------


def _customers_with(bad_line: int, bad: list[str], count: int = 5_000) -> io.StringIO:
    rows = [[f"Zoë O'Brien {i}", email_of(i), "+353 1 555 0101"] for i in range(count)]
    rows[bad_line - 2] = bad  # line 1 is the header
    out = io.StringIO()
    csv.writer(out).writerows([["name", "email", "phone"], *rows])
    out.seek(0)
    return out


@pytest.mark.parametrize(
    ("bad", "column", "reason"),
    [
        (["José Álvarez-Núñez", "jose.example.es", ""], "email", "exactly one @"),
        (["   ", "blank@example.com", ""], "name", "must not be empty"),
        (["山田 太郎", "taro@example.jp", "call me maybe"], "phone", "digits"),
        (["Ayşe Yılmaz", "ayse@example.com", "+90 12"], "phone", "7 to 15 digits"),
        (["Customer 0 again", "CUSTOMER.0@example.COM", ""], "email", "repeats line 2"),
    ],
)
def test_a_bad_row_in_the_middle_names_line_and_column_and_writes_nothing(
    crm: CRPM, bad: list[str], column: str, reason: str
) -> None:
    crm.customers.add(name="Already Here", email="already@example.com")
    before = snapshot(crm)
    with pytest.raises(RowError) as caught:
        transfer.import_customers(crm, _customers_with(2_501, bad))
    assert (caught.value.line, caught.value.column, caught.value.field) == (2_501, column, column)
    assert reason in caught.value.message
    assert str(caught.value).startswith(f"line 2501, column {column}: ")
    assert isinstance(caught.value, errors.ValidationError)
    assert snapshot(crm) == before


def test_an_email_already_in_the_database_in_another_case_is_a_bad_row(crm: CRPM) -> None:
    crm.customers.add(name="Zoë O'Brien", email="Zoe.OBrien@Example.ie")
    before = snapshot(crm)
    data = csv_text(CUSTOMERS, "Zoë,zoe@example.ie,", "Zoë again,ZOE.obrien@example.IE,")
    with pytest.raises(RowError) as caught:
        transfer.import_customers(crm, data)
    assert (caught.value.line, caught.value.column) == (3, "email")
    assert "already used" in caught.value.message
    assert snapshot(crm) == before


def test_duplicate_skus_in_the_file_or_the_database_are_bad_rows(crm: CRPM) -> None:
    crm.products.add(name="Mug", price="9.99", sku="MUG-1")
    before = snapshot(crm)
    with pytest.raises(RowError) as in_file:
        transfer.import_products(
            crm, csv_text(PRODUCTS, "TEA-1,Tea,6.50,3", "TEA-2,Tea,6.50,3", "TEA-1,Tea,1,1")
        )
    assert (in_file.value.line, in_file.value.column) == (4, "sku")
    assert "repeats line 2" in in_file.value.message
    with pytest.raises(RowError) as in_db:
        transfer.import_products(crm, csv_text(PRODUCTS, "TEA-1,Tea,6.50,3", "MUG-1,Mug,1,1"))
    assert (in_db.value.line, in_db.value.column) == (3, "sku")
    assert snapshot(crm) == before


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("nobody@example.com,SKU-1,1,2.50,2024-05-01T10:00:00Z", "customer_email", "no customer"),
        ("not-an-email,SKU-1,1,2.50,2024-05-01T10:00:00Z", "customer_email", "exactly one @"),
        ("zoe@example.ie,SKU-404,1,2.50,2024-05-01T10:00:00Z", "product_sku", "no product"),
        ("zoe@example.ie,,1,2.50,2024-05-01T10:00:00Z", "product_sku", "must not be empty"),
        ("zoe@example.ie,SKU-1,0,2.50,2024-05-01T10:00:00Z", "quantity", "at least 1"),
        ("zoe@example.ie,SKU-1,1.5,2.50,2024-05-01T10:00:00Z", "quantity", "not a whole number"),
        ("zoe@example.ie,SKU-1,2,2.505,2024-05-01T10:00:00Z", "unit_price", "two decimal"),
        ("zoe@example.ie,SKU-1,2,-1,2024-05-01T10:00:00Z", "unit_price", "negative"),
        ("zoe@example.ie,SKU-1,2,2.50,2024-05-01T10:00:00", "purchased_at", "no time zone"),
        ("zoe@example.ie,SKU-1,2,2.50,2024-05-01", "purchased_at", "no time zone"),
        ("zoe@example.ie,SKU-1,2,2.50,yesterday", "purchased_at", "ISO 8601"),
        ("zoe@example.ie,SKU-1,2", "unit_price", "3 of 5 fields"),
    ],
)
def test_bad_purchase_rows(crm: CRPM, row: str, column: str, reason: str) -> None:
    crm.customers.add(name="Zoë O'Brien", email="Zoe@Example.ie")
    crm.products.add(name="Tea", price="6.50", stock=10, sku="SKU-1")
    before = snapshot(crm)
    good = "ZOE@EXAMPLE.IE,SKU-1,1,6.50,2024-05-01T10:00:00+02:00"
    with pytest.raises(RowError) as caught:
        transfer.import_purchases(crm, csv_text(PURCHASES, good, good, row, good))
    assert (caught.value.line, caught.value.column) == (4, column)
    assert reason in caught.value.message
    assert snapshot(crm) == before


def test_move_stock_refuses_the_whole_file_when_stock_would_go_negative(crm: CRPM) -> None:
    crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    tea = crm.products.add(name="Tea", price="6.50", stock=5, sku="TEA")
    crm.products.add(name="Mug", price="9.99", stock=50, sku="MUG")
    before = snapshot(crm)
    data = csv_text(
        PURCHASES,
        "zoe@example.ie,TEA,2,6.50,2024-05-01T10:00:00Z",
        "zoe@example.ie,MUG,9,9.99,2024-05-01T10:00:00Z",
        "zoe@example.ie,TEA,3,6.50,2024-05-01T10:00:00Z",
        "zoe@example.ie,TEA,1,6.50,2024-05-01T10:00:00Z",
    )
    with pytest.raises(StockShortage) as caught:
        transfer.import_purchases(crm, data, move_stock=True)
    assert (caught.value.line, caught.value.column) == (5, "quantity")
    assert (caught.value.sku, caught.value.requested, caught.value.available) == ("TEA", 6, 5)
    assert snapshot(crm) == before
    # The same file as history only is fine and leaves stock alone.
    data.seek(0)
    assert transfer.import_purchases(crm, data).rows == 4
    assert crm.products.get(tea.id).stock == 5 and ledger_sum(crm, tea.id) == 5


def test_move_stock_refuses_inactive_parties_history_does_not(crm: CRPM) -> None:
    gone = crm.customers.add(name="Renée D'Angelo", email="renee@example.fr")
    crm.customers.deactivate(gone.id)
    crm.products.add(name="Tea", price="6.50", stock=5, sku="TEA")
    before = snapshot(crm)
    data = csv_text(PURCHASES, "renee@example.fr,TEA,1,6.50,2023-05-01T10:00:00Z")
    with pytest.raises(RowError) as caught:
        transfer.import_purchases(crm, data, move_stock=True)
    assert (caught.value.line, caught.value.column) == (2, "customer_email")
    assert "inactive" in caught.value.message
    assert snapshot(crm) == before
    data.seek(0)
    assert transfer.import_purchases(crm, data).rows == 1


def test_a_failure_while_writing_rolls_everything_back(crm: CRPM, shop: Shop) -> None:
    transfer.import_customers(crm, shop.customers)
    transfer.import_products(crm, shop.products)
    before = snapshot(crm)

    def fail_once_writing(progress: Progress) -> None:
        if progress.phase == "writing":
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        transfer.import_purchases(crm, shop.purchases, move_stock=True, progress=fail_once_writing)
    assert snapshot(crm) == before


# Times -----------------------------------------------------------------------------------


def test_midnight_utc_is_the_first_instant_of_its_day(crm: CRPM) -> None:
    crm.customers.add(name="山田 太郎", email="taro@example.jp")
    crm.products.add(name="Matcha whisk", price="15.00", stock=10, sku="WHISK")
    data = csv_text(
        PURCHASES,
        "taro@example.jp,WHISK,1,15.00,2024-03-01T00:00:00Z",
        "taro@example.jp,WHISK,2,15.00,2024-03-01T09:00:00+09:00",  # the same instant
        "taro@example.jp,WHISK,4,15.00,2024-02-29T23:59:59.999999+00:00",
    )
    transfer.import_purchases(crm, data)
    midnight = datetime(2024, 3, 1, tzinfo=UTC)
    times = sorted(line.purchased_at for line in crm.purchases.list().items)
    assert times == [midnight - timedelta(microseconds=1), midnight, midnight]
    assert crm.purchases.list(start=midnight).total == 2  # start is inclusive
    assert crm.purchases.list(end=midnight).total == 1  # end is exclusive
    days = crm.reports.sales_over_time(bucket="day", start=midnight - timedelta(days=1))
    assert [(d.period_start, d.units_sold) for d in days] == [
        (midnight - timedelta(days=1), 4),
        (midnight, 3),
    ]


# Export and round trip ------------------------------------------------------------------


TRICKY = [
    ('=HYPERLINK("http://evil.example","click")', "formula@example.com", "+353 1 555 0101"),
    ("+cmd|' /C calc'!A0", "plus@example.com", "-0 555 0102 33"),
    ("-2+3", "minus@example.com", "(212) 555-0123"),
    ("@SUM(A1:A9)", "at@example.com", None),
    ("'quoted already", "quote@example.com", "+1 (212) 555-0199"),
    ("Zoë O'Brien", "+tag@example.com", None),
]


def test_exports_neutralise_formulas_and_round_trip_exactly(crm: CRPM) -> None:
    for name, email, phone in TRICKY:
        crm.customers.add(name=name, email=email, phone=phone)
    out = io.StringIO()
    assert transfer.export_customers(crm, out) == len(TRICKY)
    cells = [cell for row in csv.reader(io.StringIO(out.getvalue())) for cell in row]
    assert cells[:3] == ["name", "email", "phone"]
    assert all(cell[:1] not in transfer.FORMULA_STARTS for cell in cells)
    assert '\'=HYPERLINK("http://evil.example","click")' in cells
    assert (
        "'+353 1 555 0101" in cells and "''quoted already" in cells and "'+tag@example.com" in cells
    )
    raw = io.StringIO()
    transfer.export_customers(crm, raw, guard_formulas=False)
    assert "+353 1 555 0101" in raw.getvalue() and "'+353" not in raw.getvalue()

    crm_customers = [(c.name, c.email, c.phone) for c in crm.customers.list(order_by="id")]
    _wipe_and_import(crm, {"customers": out.getvalue()})
    assert [(c.name, c.email, c.phone) for c in crm.customers.list(order_by="id")] == crm_customers


def _wipe_and_import(crm: CRPM, files: dict[str, str]) -> None:
    from tests.helpers import wipe

    wipe(crm)
    for kind in ("customers", "products", "purchases"):
        if kind in files:
            transfer.import_csv(crm, kind, io.StringIO(files[kind]))  # type: ignore[arg-type]


def test_export_then_import_then_export_is_identical(crm: CRPM, tmp_path: Path) -> None:
    transfer.import_customers(crm, DATA / "customers_real.csv")
    for name, email, phone in TRICKY:
        crm.customers.add(name=name, email=email, phone=phone)
    transfer.import_products(
        crm,
        csv_text(PRODUCTS, "=SKU,=1+1 Crème,0.10,7", "TEA-1,Green tea 100g,6.50,40", ",No SKU,1,0"),
    )
    zoe = crm.customers.list(search="zoe.obrien").items[0]
    tea = crm.products.list(search="TEA-1").items[0]
    data = csv_text(
        PURCHASES,
        "ZOE.OBRIEN@EXAMPLE.IE,TEA-1,2,6.00,2024-03-01T00:00:00Z",
        "jose.alvarez@ejemplo.es,=SKU,1,0.10,2024-06-30T23:30:00.123456-02:00",
        "+tag@example.com,TEA-1,3,6.50,2024-12-31T23:59:59+00:00",
    )
    transfer.import_purchases(crm, data)
    cancelled = crm.purchases.record(customer_id=zoe.id, product_id=tea.id, quantity=1)
    crm.purchases.cancel(cancelled.id)

    first = {kind: tmp_path / f"{kind}.csv" for kind in transfer.KINDS}
    counts = {kind: transfer.export_csv(crm, kind, first[kind]) for kind in transfer.KINDS}
    assert counts == {"customers": 19 + len(TRICKY), "products": 3, "purchases": 3}
    lines = (
        {(c.name, c.email, c.phone) for c in crm.customers.list(limit=100).items},
        {(p.sku, p.name, p.price, p.stock) for p in crm.products.list().items},
    )
    history = sorted(
        (x.customer_name, x.product_name, x.quantity, x.unit_price, x.purchased_at)
        for x in crm.purchases.list().items
        if not x.cancelled
    )

    _wipe_and_import(
        crm, {kind: first[kind].read_text(encoding="utf-8") for kind in ("customers",)}
    )
    transfer.import_products(crm, first["products"])
    with first["purchases"].open("rb") as binary:
        transfer.import_purchases(crm, binary)
    again = {kind: io.StringIO() for kind in transfer.KINDS}
    for kind in transfer.KINDS:
        transfer.export_csv(crm, kind, again[kind])
        assert again[kind].getvalue() == first[kind].read_bytes().decode("utf-8"), kind
    assert lines == (
        {(c.name, c.email, c.phone) for c in crm.customers.list(limit=100).items},
        {(p.sku, p.name, p.price, p.stock) for p in crm.products.list().items},
    )
    assert history == sorted(
        (x.customer_name, x.product_name, x.quantity, x.unit_price, x.purchased_at)
        for x in crm.purchases.list().items
    )
    assert ("=1+1 Crème", Decimal("0.10")) in {(p.name, p.price) for p in crm.products.list()}
    assert not list(tmp_path.glob("*.partial"))


def test_export_of_thousands_streams_in_id_order(crm: CRPM, shop: Shop, tmp_path: Path) -> None:
    transfer.import_customers(crm, shop.customers)
    transfer.import_products(crm, shop.products)
    transfer.import_purchases(crm, shop.purchases)
    target = tmp_path / "purchases.csv"
    target.write_text("old content\n", encoding="utf-8")
    assert transfer.export_purchases(crm, target) == shop.purchase_count
    with shop.purchases.open(encoding="utf-8", newline="") as f:
        given_rows = list(csv.reader(f))
    with target.open(encoding="utf-8", newline="") as f:
        exported = list(csv.reader(f))
    # the export adds the optional columns (no order numbers here, nothing returned)
    assert exported[0] == [*given_rows[0], "order_ref", "returned_quantity", "order_number"]
    assert len(exported) == len(given_rows)
    for number, (mine, theirs) in enumerate(zip(exported[1:], given_rows[1:], strict=True), 1):
        assert mine[5:] == ["", "0", str(number)]  # each line its own order here
        assert mine[0].casefold() == theirs[0] and mine[1:3] == theirs[1:3]
        assert Decimal(mine[3]) == Decimal(theirs[3])
        assert datetime.fromisoformat(mine[4]) == datetime.fromisoformat(theirs[4])
        assert mine[4].endswith("+00:00")


# Inputs ----------------------------------------------------------------------------------


class Pipe(io.RawIOBase):
    """A byte stream that cannot seek, like standard input from a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("form", ["path", "bytes with BOM", "text", "pipe"])
def test_sources_paths_files_and_pipes(crm: CRPM, tmp_path: Path, form: str) -> None:
    text = "email ,Name,PHONE\r\nzoe@example.ie,Zoë O'Brien,'+353 1 555 0101\r\n"
    data = text.encode("utf-8")
    source: object
    if form == "path":
        source = tmp_path / "c.csv"
        (tmp_path / "c.csv").write_bytes(data)
    elif form == "bytes with BOM":
        source = io.BytesIO(b"\xef\xbb\xbf" + data)
    elif form == "text":
        source = io.StringIO(text)
    else:
        source = io.BufferedReader(Pipe(data))
    assert transfer.import_customers(crm, source).rows == 1  # type: ignore[arg-type]
    (zoe,) = crm.customers.list().items
    assert (zoe.name, zoe.email, zoe.phone) == ("Zoë O'Brien", "zoe@example.ie", "+353 1 555 0101")


@pytest.mark.parametrize(
    ("content", "line", "column", "reason"),
    [
        ("", 1, None, "the file is empty"),
        ("name,email\nZoë,zoe@example.ie\n", 1, "phone", "column is missing"),
        ("name,email,phone,age\n", 1, "age", "unknown column"),
        ("name,email,email\n", 1, "email", "twice"),
        ("name,email,phone\nZoë,zoe@example.ie,,extra\n", 2, None, "4 fields"),
        ('name,email,phone\n"Zoë"x,zoe@example.ie,\n', 2, None, "not valid CSV"),
    ],
)
def test_broken_files(crm: CRPM, content: str, line: int, column: str | None, reason: str) -> None:
    with pytest.raises(RowError) as caught:
        transfer.import_customers(crm, io.StringIO(content))
    assert (caught.value.line, caught.value.column) == (line, column)
    assert reason in caught.value.message
    assert crm.customers.list().total == 0


def test_a_file_that_is_not_utf8_is_refused(crm: CRPM) -> None:
    data = "name,email,phone\nZoë,zoe@example.ie,\n".encode("latin-1")
    with pytest.raises(RowError, match="not UTF-8"):
        transfer.import_customers(crm, io.BytesIO(data))
    assert crm.customers.list().total == 0


def test_blank_lines_are_skipped_and_lines_still_counted(crm: CRPM) -> None:
    data = csv_text(CUSTOMERS, "", "Zoë,zoe@example.ie,", "", "Bad,bad-email,")
    with pytest.raises(RowError) as caught:
        transfer.import_customers(crm, data)
    assert caught.value.line == 5


def test_products_get_an_initial_movement_equal_to_their_stock(crm: CRPM) -> None:
    result = transfer.import_products(
        crm, csv_text(PRODUCTS, "TEA,Green tea,6.50,40", "MUG,Ceramic mug,9.99,0"), now=NOW
    )
    assert result.rows == 2
    for product in crm.products.list().items:
        (move,) = crm.reports.stock_movements(product_id=product.id).items
        assert (move.kind, move.change, move.stock_after, move.at) == (
            "initial",
            product.stock,
            product.stock,
            NOW,
        )
    assert {(p.sku, p.price, p.stock) for p in crm.products.list()} == {
        ("TEA", Decimal("6.50"), 40),
        ("MUG", Decimal("9.99"), 0),
    }


def test_unknown_kind_is_a_validation_error(crm: CRPM) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        transfer.import_csv(crm, "orders", io.StringIO(""))  # type: ignore[arg-type]
    assert caught.value.field == "kind"


# The formula guard, alone ---------------------------------------------------------------


@given(st.text())
def test_unguard_undoes_guard_for_every_string(cell: str) -> None:
    guarded = transfer.guard(cell)
    assert transfer.unguard(guarded) == cell
    assert guarded[:1] not in transfer.FORMULA_STARTS


@pytest.mark.parametrize(
    ("cell", "guarded"),
    [
        ("=1+2", "'=1+2"),
        ("+353 1 555 0101", "'+353 1 555 0101"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'Ohana", "''Ohana"),
        ("Zoë O'Brien", "Zoë O'Brien"),
        ("", ""),
    ],
)
def test_guard_follows_owasp(cell: str, guarded: str) -> None:
    assert transfer.guard(cell) == guarded
    assert transfer.unguard(guarded) == cell


@pytest.mark.parametrize("move_stock", [False, True])
def test_cancelling_an_imported_purchase_gives_back_only_stock_it_took(
    crm: CRPM, move_stock: bool
) -> None:
    buyer = crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    tea = crm.products.add(name="Tea", price="3.50", stock=10, sku="TEA")
    data = io.StringIO(
        "customer_email,product_sku,quantity,unit_price,purchased_at\n"
        "zoe@example.ie,TEA,4,3.00,2026-01-31T00:00:00Z\n"
    )
    transfer.import_purchases(crm, data, move_stock=move_stock)
    stock_after_import = 6 if move_stock else 10
    assert crm.products.get(tea.id).stock == stock_after_import
    [line] = crm.purchases.history(buyer.id)
    crm.purchases.cancel(line.purchase_id)
    assert crm.products.get(tea.id).stock == 10
    assert ledger_sum(crm, tea.id) == 10
    assert crm.reports.sales_summary().revenue == Decimal("0.00")


def test_the_stock_ledger_exports_oldest_first_and_sums_to_stock(crm: CRPM) -> None:
    buyer = crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    tea = crm.products.add(name="=Tea (formula-like)", price="3.50", stock=10, sku="TEA")
    mug = crm.products.add(name="Mug", price="9.99", stock=2)
    sale = crm.purchases.record(customer_id=buyer.id, product_id=tea.id, quantity=4)
    crm.products.restock(tea.id, 5, note="delivery #7")
    crm.purchases.cancel(sale.id)
    out = io.StringIO()
    assert transfer.export_movements(crm, out) == 5
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["kind"], r["change"]) for r in rows if r["product_sku"] == "TEA"] == [
        ("initial", "10"),
        ("sale", "-4"),
        ("restock", "5"),
        ("cancel", "4"),
    ]
    assert rows[0]["product_name"] == "'=Tea (formula-like)"  # neutralised for spreadsheets
    assert {r["purchase_id"] for r in rows if r["kind"] in ("sale", "cancel")} == {str(sale.id)}
    assert sum(int(r["change"]) for r in rows if r["product_sku"] == "TEA") == 15
    only_mug = io.StringIO()
    assert transfer.export_movements(crm, only_mug, product_id=mug.id, guard_formulas=False) == 1
    assert "Mug" in only_mug.getvalue() and "Tea" not in only_mug.getvalue()
    later = io.StringIO()
    assert transfer.export_movements(crm, later, start=datetime.now(UTC) + timedelta(days=1)) == 0
