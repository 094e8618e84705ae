"""``crpm-ui``: start the app (a minimal page until the full UI lands)."""

from __future__ import annotations

import argparse

from nicegui import app, run, ui

import crpm_core
from crpm_core import demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="crpm-ui", description="Start the CRPM app.")
    parser.add_argument("--db", help="database URL (default: $CRPM_DATABASE_URL or ./crpm.db)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--demo", action="store_true", help="fill an empty database with demo data")
    args = parser.parse_args(argv)

    crm = crpm_core.connect(args.db)
    if args.demo and demo.is_empty(crm):
        print("Filling the database with demo data ...")
        demo.fill(crm)
    app.on_shutdown(crm.close)

    @ui.page("/")
    async def index() -> None:
        page = await run.io_bound(crm.customers.list, limit=50)
        ui.label("CRPM: customers").classes("text-h5")
        ui.table(
            columns=[
                {"name": "name", "label": "Name", "field": "name"},
                {"name": "email", "label": "Email", "field": "email"},
                {"name": "phone", "label": "Phone", "field": "phone"},
            ],
            rows=[{"name": c.name, "email": c.email, "phone": c.phone or ""} for c in page],
        )

    print(f"CRPM is running at http://{args.host}:{args.port}")
    ui.run(host=args.host, port=args.port, show=False, reload=False, title="CRPM")


if __name__ in {"__main__", "__mp_main__"}:
    main()
