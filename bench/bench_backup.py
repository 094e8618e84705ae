"""Backup and restore at scale: ``crpm_core.backup`` against the backends' own tools.

    python bench/bench_backup.py                                # 1,000,000 purchases
    python bench/bench_backup.py --purchases 100000 --backends sqlite

1. Fills a fresh database (not timed) with 10,000 customers, 1,000 products, one order per two
   purchases, N purchases and their N sale rows in the stock ledger.
2. In a fresh process each (so the peak memory is the operation's own): ``backup.write`` to a
   zip, then ``backup.restore`` of it into a new empty database of the same backend; prints
   the seconds, the archive's MB and the process's peak RSS.
3. The same with the backend's own tools: on SQLite ``sqlite3 DB .dump | gzip -1`` and
   ``gunzip | sqlite3 NEW`` (and CRPM's ``--sqlite-copy``, the online backup API); on
   PostgreSQL ``pg_dump -Fc -Z1`` and ``pg_restore --single-transaction``; and the ratios.

Target: memory flat (the peak RSS the same at 20,000 and at 1,000,000 purchases: rows are
streamed). The ratios to the backends' own tools (C programs that copy the stored bytes,
where CRPM reads every value through SQLAlchemy and writes it as typed JSON) are reported,
not targeted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

import crpm_core
from crpm_core import backup
from crpm_core.persistence import dialects
from crpm_core.persistence.tables import customers, orders, products, purchases, stock_movements

PG_ADMIN = os.environ.get(
    "CRPM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CHUNK = 20_000


def fill(url: str, n: int, seed: int = 1) -> None:
    """A shop of ``n`` purchases, written straight into the tables (this is not timed)."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with crpm_core.connect(url) as crm, crm.db.transaction() as conn:
        people = [
            {
                "id": i,
                "name": f"Customer {i} O'Brien",
                "email": f"c{i}@example.com",
                "email_key": f"c{i}@example.com",
                "phone": f"+353 1 555 {i:04d}",
                "active": True,
                "created_at": start,
                "search_key": f"customer {i} o'brien",
            }
            for i in range(1, 10_001)
        ]
        dialects.insert_many(conn, customers, people)
        prices = {i: rng.randrange(50, 20_000) for i in range(1, 1_001)}
        goods = [
            {
                "id": i,
                "sku": f"SKU-{i:05d}",
                "name": f"Product {i} — Ünïcode",
                "price_minor": prices[i],
                "stock": 1_000_000,
                "active": True,
                "created_at": start,
                "reorder_point": None,
                "search_key": f"product {i}",
            }
            for i in prices
        ]
        dialects.insert_many(conn, products, goods)
        step = timedelta(seconds=60)
        for first in range(0, n, CHUNK):
            batch = range(first + 1, min(n, first + CHUNK) + 1)
            when = {p: start + step * p for p in batch}
            placed = [
                {
                    "id": (p + 1) // 2,
                    "ref": None,
                    "customer_id": rng.randrange(1, 10_001),
                    "placed_at": when[p],
                    "cancelled_at": None,
                    "note": None,
                }
                for p in batch
                if p % 2 == 1
            ]
            buyer = {o["id"]: o["customer_id"] for o in placed}
            lines = []
            moves = []
            for p in batch:
                item = rng.randrange(1, 1_001)
                quantity = rng.randrange(1, 4)
                lines.append(
                    {
                        "id": p,
                        "customer_id": buyer.get((p + 1) // 2, 1),
                        "product_id": item,
                        "quantity": quantity,
                        "unit_price_minor": prices[item],
                        "total_minor": prices[item] * quantity,
                        "purchased_at": when[p],
                        "cancelled_at": None,
                        "stock_moved": True,
                        "order_id": (p + 1) // 2,
                        "returned_quantity": 0,
                    }
                )
                moves.append(
                    {
                        "id": p,
                        "product_id": item,
                        "at": when[p],
                        "kind": "sale",
                        "change": -quantity,
                        "stock_after": 0,
                        "note": None,
                        "purchase_id": p,
                        "actor": "bench",
                    }
                )
            dialects.insert_many(conn, orders, placed)
            dialects.insert_many(conn, purchases, lines)
            dialects.insert_many(conn, stock_movements, moves)


def child(operation: str, url: str, archive: str) -> None:
    """Run one timed operation in this process; print seconds and peak RSS as JSON."""
    started = time.perf_counter()
    if operation == "backup":
        with crpm_core.connect(url, migrate_schema=False) as crm:
            rows = backup.write(crm, archive).rows
    elif operation == "restore":
        rows = backup.restore(archive, url).rows
    else:
        with crpm_core.connect(url, migrate_schema=False) as crm:
            backup.sqlite_copy(crm, archive)
            rows = 0
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": rows}))


def timed_child(operation: str, url: str, archive: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", operation, url, str(archive)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def timed_shell(command: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, shell=True, check=True)
    return time.perf_counter() - started


def new_postgres() -> tuple[str, Any]:
    name = f"crpm_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(dialects.normalize_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", drop


def mb(path: Path) -> float:
    return path.stat().st_size / 1e6


def run(backend: str, n: int, folder: Path) -> dict[str, Any]:
    cleanup: list[Any] = []
    try:
        if backend == "sqlite":
            source, target = (
                f"sqlite:///{folder / 'source.db'}",
                f"sqlite:///{folder / 'target.db'}",
            )
        else:
            source, drop_source = new_postgres()
            target, drop_target = new_postgres()
            cleanup += [drop_source, drop_target]
        started = time.perf_counter()
        fill(source, n)
        print(
            f"{backend}: filled {n:,} purchases in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        archive = folder / f"{backend}.zip"
        made = timed_child("backup", source, archive)
        loaded = timed_child("restore", target, archive)
        result: dict[str, Any] = {
            "backend": backend,
            "rows": made["rows"],
            "backup_s": made["seconds"],
            "backup_peak_mb": made["peak_mb"],
            "archive_mb": mb(archive),
            "restore_s": loaded["seconds"],
            "restore_peak_mb": loaded["peak_mb"],
        }
        if backend == "sqlite":
            db = folder / "source.db"
            dump = folder / "dump.sql.gz"
            result["native_backup_s"] = timed_shell(f"sqlite3 {db} .dump | gzip -1 > {dump}")
            result["native_mb"] = mb(dump)
            result["native_restore_s"] = timed_shell(
                f"gunzip -c {dump} | sqlite3 {folder / 'native.db'}"
            )
            result["native"] = "sqlite3 .dump | gzip -1; gunzip | sqlite3"
            copy = timed_child("copy", source, folder / "copy.db")
            result["sqlite_copy_s"] = copy["seconds"]
            result["sqlite_copy_mb"] = mb(folder / "copy.db")
        else:
            dump = folder / "dump.pgc"
            plain, drop_native = new_postgres()
            cleanup.append(drop_native)
            result["native_backup_s"] = timed_shell(f"pg_dump -Fc -Z1 -f {dump} '{source}'")
            result["native_mb"] = mb(dump)
            result["native_restore_s"] = timed_shell(
                f"pg_restore --single-transaction --no-owner -d '{plain}' {dump}"
            )
            result["native"] = "pg_dump -Fc -Z1; pg_restore --single-transaction"
        result["backup_ratio"] = result["backup_s"] / result["native_backup_s"]
        result["restore_ratio"] = result["restore_s"] / result["native_restore_s"]
        return result
    finally:
        for step in cleanup:
            step()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores (shared: numbers are noisy), Python "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d}, load {os.getloadavg()[0]:.1f}"
    )
    for backend in args.backends.split(","):
        folder = Path(tempfile.mkdtemp(prefix="crpm-bench-backup-"))
        try:
            result = run(backend, args.purchases, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(
            json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()})
        )


if __name__ == "__main__":
    main()
