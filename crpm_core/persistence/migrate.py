"""Bring a database to the current schema with Alembic, safely from many processes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from crpm_core.persistence.database import Database
from crpm_core.persistence.dialects import migration_lock

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.transaction(write=False) as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (default: the newest); a no-op when current."""
    if revision == "head" and current_revision(db) == head_revision():
        return
    cfg = alembic_config()
    with db.transaction(write=True) as conn, migration_lock(conn):
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(db: Database, revision: str) -> None:
    """Step the schema back to ``revision`` (``"base"`` removes every CRPM table)."""
    cfg = alembic_config()
    with db.transaction(write=True) as conn, migration_lock(conn):
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
