"""CSV import and export of customers, products and purchases.

>>> import io, crpm_core
>>> from crpm_core import transfer
>>> with crpm_core.connect("sqlite://") as crm:
...     data = io.StringIO("name,email,phone\\nZoë O'Brien,zoe@example.ie,\\n")
...     transfer.import_customers(crm, data)
...     out = io.StringIO()
...     transfer.export_customers(crm, out)
...     out.getvalue()
ImportResult(kind='customers', rows=1, stock_moved=False)
1
"name,email,phone\\r\\nZoë O'Brien,zoe@example.ie,\\r\\n"

Formats (UTF-8, a byte order mark is accepted; the header may list the columns in any order):

- customers ``name,email,phone`` (phone may be empty)
- products ``sku,name,price,stock`` (sku may be empty; price like ``12.50``; stock whole)
- purchases ``customer_email,product_sku,quantity,unit_price,purchased_at``: the customer by
  email (any case), the product by SKU, the unit price paid, and the time in ISO 8601 **with a
  time zone** (``2024-05-01T09:30:00Z``, ``2024-05-01 11:30+02:00``). A time without a zone
  is refused, never guessed. An optional last column ``order_ref`` holds the shop's external
  order number: rows with the same number are one order (of one customer), and a number
  already stored refuses the file, so importing the same sales twice never doubles them.

Imports are all or nothing, in two phases. *Checking* runs in a read transaction (the shop
keeps selling meanwhile): every row goes through the same row builders and rules as
``crm.customers.add``, ``crm.products.add`` and a sale, duplicates (emails ignoring case, SKUs,
order numbers) are looked for in the file and the database, and the first bad row raises
:class:`RowError` with its true line and column. *Writing* runs in one write transaction,
under a lock that serialises large imports, through the same ledger writer as a sale; a record
another user changed in between refuses the file with a ``Conflict``. Rows wait on disk
between the phases, so memory holds only the lookup maps, never the rows. New records are
stamped with the handle's clock, and ledger rows with its acting user.

Imported products get an ``initial`` stock movement equal to their stock, as
``crm.products.add`` does. Imported purchases are history at the file's price and time. With
``move_stock=False`` (the default) stock and the stock ledger are left alone. With
``move_stock=True`` they are sales: customers and products must be active, the file may not
sell more of a product than is in stock (:class:`StockShortage`, nothing is written), each
product's stock drops by the units sold, and the ledger gets **one ``sale`` movement per
product per import** (``purchase_id`` empty, note ``import from FILE: N purchases``), so a
product's ledger still sums to its stock.

Exports stream one query and write the same headers (with ``order_ref``), so an export imports
again (cancelled purchases are left out: the format has no column for them). Exports are meant
to be opened in spreadsheets, so by default a cell starting with ``= + - @``, tab or carriage
return gets a leading ``'`` (OWASP's advice against formula injection), and so does a cell
starting with ``'``. Imports remove exactly one such ``'`` again (see :func:`guard` and
:func:`unguard`), so a round trip is lossless: ``+353 1 555 0101`` is written ``'+353 1 555
0101`` and read back as it was. ``guard_formulas=False`` writes the values untouched, for
programs.
"""

from __future__ import annotations

from datetime import datetime

from crpm_core.api import Services
from crpm_core.transfer import _exporting, _importing
from crpm_core.transfer._files import Source, Target
from crpm_core.transfer._formats import (
    COLUMNS,
    FORMULA_STARTS,
    KINDS,
    OPTIONAL_COLUMNS,
    ImportResult,
    Kind,
    Progress,
    ProgressCallback,
    RowError,
    StockShortage,
    guard,
    unguard,
)

__all__ = [
    "COLUMNS",
    "FORMULA_STARTS",
    "KINDS",
    "OPTIONAL_COLUMNS",
    "ImportResult",
    "Kind",
    "Progress",
    "ProgressCallback",
    "RowError",
    "Source",
    "StockShortage",
    "Target",
    "export_csv",
    "export_customers",
    "export_movements",
    "export_products",
    "export_purchases",
    "guard",
    "import_csv",
    "import_customers",
    "import_products",
    "import_purchases",
    "unguard",
]


def import_csv(
    crm: Services,
    kind: Kind,
    source: Source,
    *,
    move_stock: bool = False,
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import a CSV file of ``kind`` ("customers", "products" or "purchases"), all or nothing.

    ``source`` is a path or an open file (text or binary; read from where it stands).
    ``progress`` is called now and then with a :class:`Progress`. ``now`` (aware) stamps the
    new records and ledger movements; default the current time. ``move_stock`` only matters
    for purchases. Raises :class:`RowError` (a ``ValidationError``) for the first bad row.
    """
    return _importing.run(crm, kind, source, move_stock=move_stock, progress=progress, now=now)


def import_customers(
    crm: Services,
    source: Source,
    *,
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import ``name,email,phone`` rows; an email in use (any case) is a bad row."""
    return import_csv(crm, "customers", source, progress=progress, now=now)


def import_products(
    crm: Services,
    source: Source,
    *,
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import ``sku,name,price,stock`` rows, each with an ``initial`` stock movement."""
    return import_csv(crm, "products", source, progress=progress, now=now)


def import_purchases(
    crm: Services,
    source: Source,
    *,
    move_stock: bool = False,
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import ``customer_email,product_sku,quantity,unit_price,purchased_at`` rows as history;
    with ``move_stock=True`` also as sales that take stock (see the module's docs)."""
    return import_csv(crm, "purchases", source, move_stock=move_stock, progress=progress, now=now)


def export_csv(crm: Services, kind: Kind, target: Target, *, guard_formulas: bool = True) -> int:
    """Write every record of ``kind`` (live purchases only) to ``target``, a path or an open
    text file; a path is replaced only once everything is written. Returns the row count."""
    return _exporting.run(crm, kind, target, guard_formulas=guard_formulas)


def export_customers(crm: Services, target: Target, *, guard_formulas: bool = True) -> int:
    return export_csv(crm, "customers", target, guard_formulas=guard_formulas)


def export_products(crm: Services, target: Target, *, guard_formulas: bool = True) -> int:
    return export_csv(crm, "products", target, guard_formulas=guard_formulas)


def export_purchases(crm: Services, target: Target, *, guard_formulas: bool = True) -> int:
    return export_csv(crm, "purchases", target, guard_formulas=guard_formulas)


def export_movements(
    crm: Services,
    target: Target,
    *,
    product_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    guard_formulas: bool = True,
) -> int:
    """Stream the stock ledger (the sales report's "stock updates") as CSV, oldest first:
    ``at,product_sku,product_name,kind,change,stock_after,note,purchase_id``. For reading
    and spreadsheets; it is not an import format. Returns the number of movements."""
    return _exporting.run_movements(
        crm, target, product_id=product_id, start=start, end=end, guard_formulas=guard_formulas
    )
