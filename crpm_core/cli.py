"""The ``crpm`` command line: CSV import and export, reports, orders, receipts and demo data.

Every command takes ``--db URL`` (before or after the command); without it ``crpm`` uses
``$CRPM_DATABASE_URL``, else the SQLite file ``./crpm.db``, as ``crpm_core.connect()`` does::

    crpm import customers customers.csv
    crpm import purchases sales.csv --move-stock
    crpm export purchases -            # "-" is standard output (standard input for import)
    crpm report top-customers --start 2024-01-01 --end 2025-01-01 --format json
    crpm report products --format pdf -o products.pdf
    crpm order show 42
    crpm receipt 42 -o receipt-42.pdf   # "-o -" writes the PDF to standard output
    crpm demo

Times: ``purchased_at`` in an imported file must carry a time zone (``2024-05-01T09:30:00Z``,
``...+02:00``); a time without one is refused, not guessed. ``--start``/``--end`` of reports
take a date or a date and time; without a zone they mean UTC. ``--start`` is inclusive,
``--end`` exclusive.

This module only parses arguments and formats results: the work is done by
:mod:`crpm_core.transfer` and the ``CRPM`` handle. Expected errors (every
``crpm_core.errors.CRPMError``, a missing file, an unreachable database) are printed as one
line on standard error with exit status 1; usage errors exit with 2.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import IO, Any

import attrs
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

import crpm_core
from crpm_core import backup, demo, errors, tabular, transfer
from crpm_core.api import CRPM
from crpm_core.domain import (
    CustomerRanking,
    CustomerSegment,
    Order,
    PeriodSales,
    Product,
    ProductPerformance,
    ReorderSuggestion,
    SalesSummary,
    Settings,
    User,
)
from crpm_core.transfer import KINDS, Progress

PROG = "crpm"
REPORTS: dict[str, type[Any]] = {
    "summary": SalesSummary,
    "top-customers": CustomerRanking,
    "products": ProductPerformance,
    "over-time": PeriodSales,
    "rfm": CustomerSegment,
    "reorder": ReorderSuggestion,
}
FORMATS = ("table", "csv", "json", "pdf")
INTERVAL_REPORTS = ("summary", "top-customers", "products", "over-time")
"""The reports of a period (--start/--end), printable as PDF too."""

IMPORT_EPILOG = """\
file formats (UTF-8; a header line first, its columns in any order):
  customers  name,email,phone
  products   sku,name,price,stock
  purchases  customer_email,product_sku,quantity,unit_price,purchased_at

Purchases name their customer by email (compared ignoring case) and their product by SKU.
purchased_at is ISO 8601 and must carry a time zone: 2024-05-01T09:30:00Z or
2024-05-01T11:30:00+02:00. A time without a zone is refused, never guessed.

All or nothing: every row is checked before anything is written. The first bad row (a
value the shop would refuse, an email or SKU already in the file or the database, an
unknown customer or product) is reported with its line and column, and nothing is
imported. Imported products get an "initial" stock movement equal to their stock.

Stock, for purchases only:
  --history-only  (the default) record the purchases as history, at the file's unit prices
                  and times; stock and the stock ledger are not touched.
  --move-stock    also sell them: each product's stock drops by the units in the file and
                  the ledger gets one "sale" movement per product for the whole import. The
                  file is refused if it sells more of a product than is in stock, or names
                  an inactive customer or product.

A leading ' that `crpm export` put before a cell (see crpm export --help) is removed.
"""

EXPORT_EPILOG = """\
The files have the same headers as `crpm import` reads, so an export imports again.
Purchases: only live ones (cancelled purchases are left out); times are ISO 8601 in UTC.

Exports are meant for spreadsheets: a cell starting with = + - @, a tab or a carriage
return (a formula to a spreadsheet) is written with a leading ' (OWASP's advice against
CSV injection), and so is a cell starting with '. So a phone number +353 1 555 0101 is
written '+353 1 555 0101. `crpm import` removes exactly that ', so the round trip is
lossless. --raw writes the cells untouched, for programs.
"""

REPORT_EPILOG = """\
Money is printed exactly (12.50); in JSON it is a string. --start and --end take a date
(2024-05-01) or a date and time (2024-05-01T09:30, 2024-05-01T09:30+02:00); without a zone
they are UTC. --start is inclusive, --end exclusive. Cancelled purchases never count.

--format pdf prints the report for paper: the shop's name and the period as its title, a bar
chart (products: the best and the least sellers), then the table, with money in the shop's
currency (crm.settings). It needs -o FILE.pdf (-o - writes the PDF to standard output).
-o FILE also writes the other formats to a file instead of standard output.

rfm and reorder take --as-of (default now) instead of --start/--end and print as a table,
CSV or JSON. rfm scores every customer with net revenue before --as-of 1 (worst) to 5 (best)
on recency, frequency and money and names their segment. reorder: daily velocity (net units
sold in the --days days before --as-of, per day) and days of cover are exact fractions,
printed to 4 decimal places; an empty days of cover means nothing sold.
"""

ORDER_EPILOG = """\
The order number is the order's id (what `crpm receipt` takes and a receipt shows); the
shop's own number, when the order has one, is shown as ref. Times are in the shop's time
zone and money in its currency (crm.settings). Line totals are net of returned units.
"""

USER_EPILOG = """\
Passwords are at least 10 characters and stored only as Argon2 hashes. `crpm user add` and
`crpm user passwd` read the password from standard input when it is not a terminal (one
line: `printf '%s\\n' "$PASSWORD" | crpm user add ada --role owner`), else ask twice without
echoing it. Roles: owner (everything), manager (no deletes, users, settings or backups),
clerk (customers, products and sales). Every command is recorded in the audit trail as
cli:<your login>.
"""

RECEIPT_EPILOG = """\
The receipt shows the shop's name, the order number (and ref), the time it was placed in the
shop's time zone, the customer, each line with the units returned, the total in the shop's
currency, and CANCELLED for a cancelled order. Names in any Latin, Greek or Cyrillic script
print as themselves (the PDF embeds DejaVu Sans).
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``crpm`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "import" and args.move_stock and args.kind != "purchases":
        parser.error("--move-stock applies only to purchases")
    if args.command == "report" and args.format == "pdf" and args.output is None:
        args.report_parser.error(
            "--format pdf writes a file: give -o FILE.pdf (or -o - for standard output)"
        )
    try:
        result: int = args.run(args)
        return result
    except errors.CRPMError as exc:
        return _fail(_explain(exc, args))
    except FileNotFoundError as exc:
        return _fail(f"{exc.filename}: no such file")
    except (IsADirectoryError, PermissionError) as exc:
        return _fail(f"{exc.filename}: {exc.strerror}")
    except (ArgumentError, NoSuchModuleError) as exc:
        return _fail(f"not a usable database URL: {exc}")
    except (OperationalError, InterfaceError) as exc:
        return _fail(f"the database cannot be used: {_first_line(exc.orig or exc)}")
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; a running import was rolled back", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `crpm export ... - | head`
        _silence_stdout()
        return 1
    except Exception as exc:  # a defect: one line, never a traceback (CRPM_DEBUG=1 shows it)
        if os.environ.get("CRPM_DEBUG"):
            raise
        return _fail(
            f"unexpected {type(exc).__name__}: {_first_line(exc)} (CRPM_DEBUG=1 shows more)"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="CRPM for small shops: import, export, reports, orders, receipts and "
        "demo data.",
        epilog="Run `crpm COMMAND --help` for the details of a command.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {crpm_core.__version__}")
    parser.add_argument("--db", metavar="URL", default=None, help=_DB_HELP)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help=_DB_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    raw = argparse.RawDescriptionHelpFormatter

    imp = commands.add_parser(
        "import",
        parents=[common],
        help="import customers, products or purchases from a CSV file",
        description="Import a CSV file into the database, all or nothing.",
        epilog=IMPORT_EPILOG,
        formatter_class=raw,
    )
    imp.add_argument("kind", choices=KINDS)
    imp.add_argument("file", metavar="FILE.csv", help="the file to read, - for standard input")
    stock = imp.add_mutually_exclusive_group()
    stock.add_argument(
        "--history-only",
        dest="move_stock",
        action="store_false",
        help="purchases: record history only; stock and ledger untouched (default)",
    )
    stock.add_argument(
        "--move-stock",
        dest="move_stock",
        action="store_true",
        help="purchases: also take the units from stock, with ledger movements",
    )
    imp.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    imp.set_defaults(run=_import, move_stock=False)

    exp = commands.add_parser(
        "export",
        parents=[common],
        help="export customers, products, purchases or stock movements to a CSV file",
        description="Write every customer, product, live purchase or stock movement to a CSV "
        "file (movements are the stock ledger, for reading; they do not import).",
        epilog=EXPORT_EPILOG,
        formatter_class=raw,
    )
    exp.add_argument("kind", choices=(*KINDS, "movements"))
    exp.add_argument("file", metavar="FILE.csv", help="the file to write, - for standard output")
    exp.add_argument("--raw", action="store_true", help="no leading ' before formula-like cells")
    exp.set_defaults(run=_export)

    rep = commands.add_parser(
        "report",
        parents=[common],
        help="sales reports as a table, CSV, JSON or PDF",
        description="Sales reports.",
        epilog=REPORT_EPILOG,
        formatter_class=raw,
    )
    reports = rep.add_subparsers(dest="report", metavar="REPORT", required=True)
    for name, helptext in (
        ("summary", "revenue, units, purchases, buyers, stock on hand"),
        ("top-customers", "customers by revenue, highest first"),
        ("products", "every product, best seller first"),
        ("over-time", "revenue and units per day, week or month (UTC)"),
        ("rfm", "customers scored on recency, frequency and money, with their segment"),
        ("reorder", "active products: sales pace, days of cover and what to reorder"),
    ):
        one = reports.add_parser(
            name,
            parents=[common],
            help=helptext,
            description=f"{helptext[0].upper()}{helptext[1:]}.",
            epilog=REPORT_EPILOG,
            formatter_class=raw,
        )
        if name in ("rfm", "reorder"):
            one.add_argument("--as-of", type=_when, default=None, help="at this time (now)")
        else:
            one.add_argument("--start", type=_when, help="from this date or time (inclusive)")
            one.add_argument("--end", type=_when, help="until this date or time (exclusive)")
        if name == "reorder":
            one.add_argument(
                "--days", type=_positive, default=30, help="the sales of the last N days (30)"
            )
        if name == "top-customers":
            one.add_argument("--limit", type=_positive, default=10, help="how many (10)")
        if name == "products":
            one.add_argument("--limit", type=_positive, default=None, help="only the first N")
        if name == "over-time":
            one.add_argument("--bucket", choices=("day", "week", "month"), default="day")
        formats = FORMATS if name in INTERVAL_REPORTS else ("table", "csv", "json")
        one.add_argument("--format", choices=formats, default="table")
        one.add_argument(
            "-o",
            "--output",
            metavar="FILE",
            default=None,
            help="write to FILE (- for standard output); needed by --format pdf",
        )
        one.set_defaults(report_parser=one)
    rep.set_defaults(run=_report)

    ordr = commands.add_parser(
        "order",
        parents=[common],
        help="look at an order",
        description="Orders: several lines sold together, with their returns.",
        epilog=ORDER_EPILOG,
        formatter_class=raw,
    )
    order_commands = ordr.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = order_commands.add_parser(
        "show",
        parents=[common],
        help="an order's number, date, customer, lines, returns, total and status",
        description="Print an order: its number and ref, when it was placed, the customer, "
        "each line with the units returned, the total and its status.",
        epilog=ORDER_EPILOG,
        formatter_class=raw,
    )
    show.add_argument("order_id", metavar="ORDER_ID", type=_order_number)
    show.set_defaults(run=_order_show)

    rec = commands.add_parser(
        "receipt",
        parents=[common],
        help="print an order's receipt as a PDF",
        description="Write the receipt of an order as a PDF file.",
        epilog=RECEIPT_EPILOG,
        formatter_class=raw,
    )
    rec.add_argument("order_id", metavar="ORDER_ID", type=_order_number)
    rec.add_argument(
        "-o",
        "--output",
        metavar="FILE.pdf",
        required=True,
        help="the file to write, - for standard output",
    )
    rec.set_defaults(run=_receipt)

    usr = commands.add_parser(
        "user",
        parents=[common],
        help="staff accounts: add, list, change a password, issue an API token",
        description="Staff accounts of the app and the API (roles: owner, manager, clerk).",
        epilog=USER_EPILOG,
        formatter_class=raw,
    )
    user_commands = usr.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = user_commands.add_parser(
        "add", parents=[common], help="add a user (the password is read, never an argument)"
    )
    add.add_argument("username", metavar="USERNAME")
    add.add_argument("--role", choices=("owner", "manager", "clerk"), required=True)
    add.set_defaults(run=_user_add)
    lst = user_commands.add_parser("list", parents=[common], help="every user and their role")
    lst.set_defaults(run=_user_list)
    pwd = user_commands.add_parser("passwd", parents=[common], help="set a user's password")
    pwd.add_argument("username", metavar="USERNAME")
    pwd.set_defaults(run=_user_passwd)
    tok = user_commands.add_parser(
        "token", parents=[common], help="issue an API token (printed once, stored hashed)"
    )
    tok.add_argument("username", metavar="USERNAME")
    tok.add_argument("--name", required=True, help="what the token is for, like 'web shop'")
    tok.set_defaults(run=_user_token)

    dem = commands.add_parser(
        "demo",
        parents=[common],
        help="fill an empty database with demo data",
        description="Fill an empty database with demo customers, products and a year of sales.",
    )
    dem.add_argument("--force", action="store_true", help="add the demo data to a used database")
    dem.add_argument("--customers", type=_positive, default=300)
    dem.add_argument("--purchases", type=_positive, default=3000)
    dem.add_argument("--seed", type=int, default=7)
    dem.set_defaults(run=_demo)
    _add_backup_commands(commands, common)
    return parser


_DB_HELP = "database URL (default: $CRPM_DATABASE_URL, else sqlite:///crpm.db)"


# Commands ---------------------------------------------------------------------------------


def _import(args: argparse.Namespace) -> int:
    bar = _bar(f"import {args.kind}") if not args.no_progress else None
    source: str | IO[bytes] = sys.stdin.buffer if args.file == "-" else args.file
    try:
        with _connect(args) as crm:
            done = transfer.import_csv(
                crm, args.kind, source, move_stock=args.move_stock, progress=bar
            )
    finally:
        if bar is not None:
            bar.close()
    what = f"imported {done.rows:,} {args.kind} from {_name(args.file, 'standard input')}"
    if args.kind == "purchases":
        what += " (stock moved)" if done.stock_moved else " (history only: stock untouched)"
    print(what)
    return 0


def _export(args: argparse.Namespace) -> int:
    target: str | IO[str] = sys.stdout if args.file == "-" else args.file
    with _connect(args) as crm:
        if args.kind == "movements":
            count = transfer.export_movements(crm, target, guard_formulas=not args.raw)
        else:
            count = transfer.export_csv(crm, args.kind, target, guard_formulas=not args.raw)
    if args.file == "-":
        sys.stdout.flush()
    where = _name(args.file, "standard output")
    print(f"exported {count:,} {args.kind} to {where}", file=sys.stderr)
    return 0


def _report(args: argparse.Namespace) -> int:
    with _connect(args) as crm:
        if args.format == "pdf" and args.report == "products":  # the least sellers are drawn too
            result: SalesSummary | list[Any] = crm.reports.product_performance(
                start=args.start, end=args.end
            )
        else:
            result = run_report(crm, args.report, args)
        shop = crm.settings.get() if args.format == "pdf" else None
    if shop is not None:
        from crpm_core.printing import report  # fpdf2 and its fonts: only for a PDF

        pdf = report.render(
            args.report,
            result,
            settings=shop,
            start=args.start,
            end=args.end,
            bucket=getattr(args, "bucket", "day"),
            limit=getattr(args, "limit", None),
        )
        _write_bytes(args.output, pdf)
        print(
            f"wrote the {args.report} report to {_name(args.output, 'standard output')}",
            file=sys.stderr,
        )
    elif args.output is None or args.output == "-":
        write_report(sys.stdout, REPORTS[args.report], result, args.format)
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            write_report(out, REPORTS[args.report], result, args.format)
    return 0


def run_report(crm: CRPM, name: str, args: argparse.Namespace) -> SalesSummary | list[Any]:
    """Call the library's report ``name`` with the command's options."""
    if name == "rfm":
        return crm.reports.rfm(as_of=args.as_of)
    if name == "reorder":
        return crm.reports.reorder_suggestions(days=args.days, as_of=args.as_of)
    span = {"start": args.start, "end": args.end}
    if name == "summary":
        return crm.reports.sales_summary(**span)
    if name == "top-customers":
        return crm.reports.top_customers(limit=args.limit, **span)
    if name == "products":
        rows = crm.reports.product_performance(**span)
        return rows if args.limit is None else rows[: args.limit]
    return crm.reports.sales_over_time(bucket=args.bucket, **span)


def _order_show(args: argparse.Namespace) -> int:
    with _connect(args) as crm:
        order = crm.orders.get(args.order_id)
        shop = crm.settings.get()
        buyer = crm.customers.get(order.customer_id)
        goods = {
            pid: crm.products.get(pid) for pid in sorted({ln.product_id for ln in order.lines})
        }
    sys.stdout.write(format_order(order, shop, f"{buyer.name} <{buyer.email}>", goods))
    return 0


def format_order(order: Order, shop: Settings, customer: str, goods: dict[int, Product]) -> str:
    """An order as ``crpm order show`` prints it; ``goods`` maps product ids to products."""
    from crpm_core.printing import local_time, money  # imports fpdf2: only when printing

    returned = sum(line.returned_quantity for line in order.lines)
    if order.cancelled_at is not None:
        status = f"cancelled on {local_time(order.cancelled_at, shop.timezone)}"
    elif returned:
        status = f"sold; {returned:,} unit{'s' if returned != 1 else ''} returned"
    else:
        status = "sold"
    facts = [
        ("order", str(order.id)),
        ("ref", order.ref or "-"),
        ("placed", local_time(order.placed_at, shop.timezone)),
        ("customer", f"{customer} (customer {order.customer_id})"),
        ("status", status),
    ]
    if order.note:
        facts.append(("note", order.note))
    text = "".join(f"{label:<9} {value}\n" for label, value in facts)
    header = ["line", "product", "sku", "qty", "returned", "unit price", "total"]
    cells = []
    for line in order.lines:
        product = goods.get(line.product_id)
        name = product.name if product is not None else f"product {line.product_id}"
        if line.cancelled and order.cancelled_at is None:
            name += " (cancelled)"
        cells.append(
            [
                str(line.id),
                name,
                (product.sku if product is not None else None) or "",
                f"{line.quantity:,}",
                f"{line.returned_quantity:,}" if line.returned_quantity else "",
                money(line.unit_price, shop.currency),
                money(line.total, shop.currency),
            ]
        )
    text += "\n" + _table(header, cells, right={0, 3, 4, 5, 6})
    text += f"{'total':<9} {money(order.total, shop.currency)}\n"
    return text


def _receipt(args: argparse.Namespace) -> int:
    with _connect(args) as crm:
        pdf = crm.orders.receipt_pdf(args.order_id)
    _write_bytes(args.output, pdf)
    where = _name(args.output, "standard output")
    print(f"wrote the receipt of order {args.order_id} to {where}", file=sys.stderr)
    return 0


def _write_bytes(target: str, data: bytes) -> None:
    """Write a whole document to the file ``target``, or to standard output for ``-``."""
    if target == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    with open(target, "wb") as out:
        out.write(data)


def _demo(args: argparse.Namespace) -> int:
    with _connect(args) as crm:
        if not args.force and not demo.is_empty(crm):
            return _fail(
                "this database already has customers or products; demo data goes only into "
                "an empty one (--force adds it anyway)"
            )
        bar = _bar("demo")
        try:
            made = demo.fill(
                crm,
                customers=args.customers,
                purchases=args.purchases,
                seed=args.seed,
                progress=None if bar is None else bar.counter(),
            )
        finally:
            if bar is not None:
                bar.close()
    print(
        f"added {made.customers:,} customers, {made.products:,} products and "
        f"{made.purchases:,} purchases"
    )
    return 0


# Report formatting ------------------------------------------------------------------------


def write_report(out: IO[str], cls: type[Any], result: SalesSummary | list[Any], fmt: str) -> None:
    """Print a report as an aligned table, CSV (one header line) or JSON.

    The columns are the result class's fields. Money is exact text; in JSON money is a
    string, times are ISO 8601, counts are numbers. A summary is one row (one JSON object).
    """
    columns = [f.name for f in attrs.fields(cls)]
    rows = [result] if isinstance(result, SalesSummary) else [_decimal_fractions(r) for r in result]
    if fmt == "json":
        data = [{c: _json_value(getattr(r, c)) for c in columns} for r in rows]
        single = isinstance(result, SalesSummary)
        out.write(json.dumps(data[0] if single else data, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":  # the one CSV writer: text guarded against formulas, numbers as they are
        values = ([getattr(r, c) for c in columns] for r in rows)
        tabular.write_csv(out, columns, values, lineterminator="\n")
    elif isinstance(result, SalesSummary):
        cells = [[c.replace("_", " "), _table_value(getattr(result, c))] for c in columns]
        out.write(_table(["figure", "value"], cells, right={1}))
    else:
        cells = [[_table_value(getattr(r, c)) for c in columns] for r in rows]
        numeric = {i for i, f in enumerate(attrs.fields(cls)) if f.type in _NUMERIC}
        out.write(_table([c.replace("_", " ") for c in columns], cells, right=numeric))
        if not rows:
            out.write("(nothing in this period)\n")


_NUMERIC = {"int", "Decimal", "Fraction", "Fraction | None", int, Decimal}
FRACTION_PLACES = Decimal("0.0001")


def _decimal_fractions(row: Any) -> Any:
    """``row`` with its exact fractions (reorder's velocity, days of cover) as decimals."""
    changes = {
        f.name: (Decimal(value.numerator) / value.denominator).quantize(FRACTION_PLACES)
        for f in attrs.fields(type(row))
        if isinstance(value := getattr(row, f.name), Fraction)
    }
    return attrs.evolve(row, **changes) if changes else row


def _json_value(value: object) -> object:
    if isinstance(value, Decimal | datetime):
        return tabular.cell(value)  # money as exact text, times ISO 8601
    return value


def _table_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    return tabular.cell(value)


def _table(header: list[str], rows: list[list[str]], *, right: set[int]) -> str:
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = []
        for i, cell in enumerate(cells):
            gap = " " * (widths[i] - _width(cell))
            padded.append(gap + cell if i in right else cell + gap)
        return "  ".join(padded).rstrip() + "\n"

    rule = "  ".join("-" * w for w in widths) + "\n"
    return line(header) + rule + "".join(line(r) for r in rows)


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


# Progress bar -----------------------------------------------------------------------------


class ProgressBar:
    """A one-line progress bar, redrawn at most every ``interval`` seconds, erased on close."""

    def __init__(
        self,
        stream: IO[str],
        label: str,
        *,
        width: int = 24,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.label = label
        self.width = width
        self.interval = interval
        self.clock = clock
        self._last_draw = -float("inf")
        self._shown = 0

    def __call__(self, progress: Progress) -> None:
        now = self.clock()
        if now - self._last_draw < self.interval and progress.fraction != 1.0:
            return
        self._last_draw = now
        self.draw(progress)

    def draw(self, progress: Progress) -> None:
        rows = f"{progress.rows:,} rows"
        if progress.fraction is None:
            text = f"{self.label}: {progress.phase} {rows}"
        else:
            done = round(self.width * progress.fraction)
            bar = "#" * done + "." * (self.width - done)
            text = f"{self.label}: {progress.phase:<8} [{bar}] {progress.fraction:4.0%} {rows}"
        self.stream.write("\r" + text.ljust(self._shown))
        self.stream.flush()
        self._shown = len(text)

    def counter(self) -> Callable[[int, int], None]:
        """Adapt to a ``progress(done, total)`` callback, as ``demo.fill`` takes."""

        def report(done: int, total: int) -> None:
            self(Progress("writing", done, done / total if total else None))

        return report

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
            self._shown = 0


def _bar(label: str) -> ProgressBar | None:
    """A bar on standard error when it is a terminal."""
    return ProgressBar(sys.stderr, label) if sys.stderr.isatty() else None


def _user_add(args: argparse.Namespace) -> int:
    password = _read_password()
    with _connect(args) as crm:
        user = crm.users.add(username=args.username, password=password, role=args.role)
    print(f"added {user.username} ({user.role})")
    return 0


def _user_list(args: argparse.Namespace) -> int:
    with _connect(args) as crm:
        people = crm.users.list(limit=1000).items
    rows = [[u.username, u.role, "active" if u.active else "inactive"] for u in people]
    sys.stdout.write(_table(["username", "role", "status"], rows, right=set()))
    if not rows:
        print("(no users yet: crpm user add USERNAME --role owner)")
    return 0


def _user_passwd(args: argparse.Namespace) -> int:
    password = _read_password("New password: ")
    with _connect(args) as crm:
        user = crm.users.set_password(_user_named(crm, args.username).id, password)
    print(f"changed the password of {user.username}")
    return 0


def _user_token(args: argparse.Namespace) -> int:
    with _connect(args) as crm:
        token = crm.users.issue_token(_user_named(crm, args.username).id, name=args.name)
    print(token)
    print("(shown once: store it now; only its hash is kept)", file=sys.stderr)
    return 0


# Helpers ----------------------------------------------------------------------------------


def _connect(args: argparse.Namespace) -> CRPM:
    """The database's handle, acting (and audited) as ``cli:<login>``."""
    return crpm_core.connect(args.db).as_operator(f"cli:{_login()}")


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a container)
        return f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _read_password(prompt: str = "Password: ") -> str:
    """From standard input when it is not a terminal (one line), else asked twice."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise errors.ValidationError("password", "the two passwords differ")
    return first


def _user_named(crm: CRPM, username: str) -> User:
    return crm.users.get_by_username(username)


def _when(text: str) -> datetime:
    """An ISO date or date and time for --start/--end; UTC when it has no zone."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date or date and time like 2024-05-01 or 2024-05-01T09:30"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _order_number(text: str) -> int:
    """An order number as ``crpm order show`` and ``crpm receipt`` take it: the order's id."""
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an order number (the order's id, a whole number)"
        ) from None


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return number


def _explain(exc: errors.CRPMError, args: argparse.Namespace) -> str:
    if isinstance(exc, transfer.RowError) and args.command == "import":
        message = f"{_name(args.file, 'standard input')}: {exc}; nothing was imported"
        if isinstance(exc, transfer.StockShortage):
            message += " (--history-only imports purchases without moving stock)"
        return message
    return str(exc)


def _name(file: str, dash: str) -> str:
    return dash if file == "-" else file


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 1


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


# Backup and restore -------------------------------------------------------------------------

BACKUP_EPILOG = """\
The archive is a zip of one JSON Lines file per table and a manifest (the schema revision,
every table's row count and SHA-256). It is one consistent snapshot of the database, taken
while the shop keeps selling, and holds everything: customers, products, orders and
purchases, returns, the stock ledger, users with their password hashes and API tokens' hashes,
the audit trail and the settings. Keep it as safe as the database: it is written readable by
its owner only. A backup adds no audit row. Owners only.

--sqlite-copy writes instead a copy of a SQLite database file through SQLite's online backup
API (also consistent while the shop sells); it opens as a CRPM database as it is.

Moving a shop: crpm backup shop.zip --db sqlite:///crpm.db
               crpm restore shop.zip --db postgresql://shop@db.example.org/shop
"""

RESTORE_EPILOG = """\
The target must be empty: a database with no tables, or with CRPM's schema and no rows (any
backend: SQLite, PostgreSQL, MariaDB/MySQL). The whole archive is checked first (its
manifest, every file and checksum, its schema revision); a damaged archive, one from a newer
CRPM, or a target that is not empty is refused and nothing is written. The rows then go in
in one transaction with their ids; the next record gets a fresh id. An archive from an older
CRPM is upgraded to this one's schema on the way in. The restore adds one audit row
(action restore). --check only checks the archive.
"""


def _add_backup_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    bak = commands.add_parser(
        "backup",
        parents=[common],
        help="write a backup of the whole database to one file",
        description="Write one portable archive of the whole database (a zip of JSON Lines).",
        epilog=BACKUP_EPILOG,
        formatter_class=raw,
    )
    bak.add_argument("file", metavar="FILE", help="the archive to write (replaced when complete)")
    bak.add_argument(
        "--sqlite-copy",
        action="store_true",
        help="SQLite only: copy the database file instead, through the online backup API",
    )
    bak.set_defaults(run=_backup)
    res = commands.add_parser(
        "restore",
        parents=[common],
        help="restore a backup into an empty database",
        description="Load a backup archive into an empty database of any backend.",
        epilog=RESTORE_EPILOG,
        formatter_class=raw,
    )
    res.add_argument("file", metavar="FILE", help="the archive `crpm backup` wrote")
    res.add_argument("--check", action="store_true", help="only check the archive; write nothing")
    res.set_defaults(run=_restore)
    chk = commands.add_parser(
        "check",
        parents=[common],
        help="check that stock equals the ledger and the rollups equal the sales",
        description="Compare every product's stock with the sum of its ledger, and every "
        "rollup the reports read (per day, per product, per customer) with the stored sales. "
        "Prints one line per difference and exits 1 when there is any; exits 0 when all agree.",
    )
    chk.set_defaults(run=_check)


def _check(args: argparse.Namespace) -> int:
    with _connect(args) as crm:
        found = crm.check()
    for line in found:
        print(line)
    if found:
        print(f"{len(found):,} difference{'s' if len(found) != 1 else ''}", file=sys.stderr)
        return 1
    print("OK: stock equals the ledger and the rollups equal the sales")
    return 0


def _backup(args: argparse.Namespace) -> int:
    with _connect(args) as crm:
        if args.sqlite_copy:
            backup.sqlite_copy(crm, args.file)
            print(f"copied the SQLite database to {args.file}")
            return 0
        made = backup.write(crm, args.file)
    print(
        f"wrote a backup of {made.rows:,} rows in {len(made.tables)} tables "
        f"(schema {made.schema_revision}) to {args.file}"
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    if args.check:
        made = backup.check(args.file)
        print(
            f"{args.file} is a sound backup: {made.rows:,} rows in {len(made.tables)} tables "
            f"(schema {made.schema_revision}), taken {made.created_at:%Y-%m-%d %H:%M:%S} UTC "
            f"from {made.source_backend or 'an unknown backend'}"
        )
        return 0
    url = args.db if args.db is not None else crpm_core.default_url()
    made = backup.restore(args.file, url, actor=f"cli:{_login()}")
    where = make_url(url).render_as_string(hide_password=True)
    print(
        f"restored {made.rows:,} rows in {len(made.tables)} tables (schema "
        f"{made.schema_revision}, taken {made.created_at:%Y-%m-%d %H:%M:%S} UTC) into {where}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
