"""Alembic environment: runs on the connection (and transaction) CRPM hands it."""

from __future__ import annotations

from alembic import context

from crpm_core.persistence.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - CRPM always passes its connection
    raise RuntimeError("run CRPM migrations through crpm_core.persistence.migrate")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
