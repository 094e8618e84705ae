"""CSV: import all-or-nothing, export for spreadsheets, and what a bad row looks like."""

import io

import crpm_core
from crpm_core import transfer

with crpm_core.connect("sqlite:///shop.db") as crm:
    transfer.import_customers(
        crm,
        io.StringIO(
            "name,email,phone\n"
            "Zoë O'Brien,zoe@example.ie,+353 1 555 0101\n"
            "José Álvarez,jose@ejemplo.es,\n"
        ),
    )
    transfer.import_products(crm, io.StringIO("sku,name,price,stock\nTEA,Green tea,6.50,20\n"))
    transfer.import_purchases(
        crm,
        io.StringIO(
            "customer_email,product_sku,quantity,unit_price,purchased_at\n"
            "zoe@example.ie,TEA,2,6.00,2026-01-31T09:30:00Z\n"
        ),
        move_stock=True,  # also take the units from stock (default: history only)
    )
    print(crm.products.list(search="TEA").items[0].stock)  # 18

    # A bad row: nothing is written, and the error names the line and the column.
    try:
        transfer.import_customers(crm, io.StringIO("name,email,phone\nAnn,ann@x.com,\nBob,nope,\n"))
    except transfer.RowError as e:
        print(e.line, e.column, e.message)  # 3 email must contain exactly one @
    print(crm.customers.list().total)  # 2

    out = io.StringIO()
    transfer.export_customers(crm, out)
    print(out.getvalue().splitlines()[1])  # Zoë O'Brien,zoe@example.ie,'+353 1 555 0101
