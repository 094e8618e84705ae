"""Backup, restore and moving a shop between databases.

>>> import tempfile, pathlib, crpm_core
>>> from crpm_core import backup
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with crpm_core.connect(f"sqlite:///{folder / 'shop.db'}") as crm:
...     _ = crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
...     backup.write(crm, folder / "shop.zip").rows  # the customer and its audit row
2
>>> backup.restore(folder / "shop.zip", f"sqlite:///{folder / 'moved.db'}").rows
2

:func:`write` takes one consistent snapshot of every table of the schema while the shop
keeps selling (repeatable read on PostgreSQL and MariaDB, a read transaction on SQLite in
WAL mode) and streams it into a zip of JSON Lines files with a manifest (schema revision,
row counts, SHA-256 of every file). :func:`restore` loads such an archive into an empty
database of any backend, ids kept, all or nothing, after checking the whole archive; an
archive from an older CRPM is upgraded on the way in. :func:`check` checks an archive
without writing anything. :func:`sqlite_copy` copies a SQLite database file through
SQLite's online backup API. Refusals are :class:`RestoreRefused`.
"""

from crpm_core.backup._format import FORMAT, FORMAT_VERSION, Manifest, RestoreRefused, TableEntry
from crpm_core.backup._restore import check, restore
from crpm_core.backup._snapshot import sqlite_copy, tables, write

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Manifest",
    "RestoreRefused",
    "TableEntry",
    "check",
    "restore",
    "sqlite_copy",
    "tables",
    "write",
]
