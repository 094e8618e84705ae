"""Throw-away databases for a test run: one per backend, created and dropped by the run.

Which backends run: ``$CRPM_TEST_BACKENDS`` (default ``sqlite,postgresql,mariadb``).
Servers: ``$CRPM_TEST_POSTGRES_URL`` and ``$CRPM_TEST_MARIADB_URL`` (admin URLs; defaults are
the loopback servers of the dev machine). A backend that is asked for but does not answer
fails the run loudly: tests are never skipped to look green.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from crpm_core.persistence.dialects import normalize_url

ALL_BACKENDS = ("sqlite", "postgresql", "mariadb")
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
MARIADB_ADMIN = "mysql://root@127.0.0.1:3306/test"


def selected_backends() -> list[str]:
    raw = os.environ.get("CRPM_TEST_BACKENDS", ",".join(ALL_BACKENDS))
    chosen = [b.strip() for b in raw.split(",") if b.strip()]
    unknown = set(chosen) - set(ALL_BACKENDS)
    if unknown:
        raise RuntimeError(f"unknown CRPM_TEST_BACKENDS entries: {sorted(unknown)}")
    return chosen


def _unique_name() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"crpm_test_{worker}_{uuid.uuid4().hex[:10]}"


@contextmanager
def temporary_database(backend: str, tmp_dir: Path) -> Iterator[URL]:
    """Create a new empty database on ``backend`` and drop it afterwards."""
    name = _unique_name()
    if backend == "sqlite":
        path = tmp_dir / f"{name}.db"
        yield make_url(f"sqlite:///{path}")
        return
    if backend == "postgresql":
        admin = normalize_url(os.environ.get("CRPM_TEST_POSTGRES_URL", POSTGRES_ADMIN))
        create = f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"
        drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    elif backend == "mariadb":
        admin = normalize_url(os.environ.get("CRPM_TEST_MARIADB_URL", MARIADB_ADMIN))
        create = f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        drop = f"DROP DATABASE IF EXISTS {name}"
    else:
        raise ValueError(backend)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(create))
    except Exception as exc:
        engine.dispose()
        raise RuntimeError(
            f"the {backend} server at {admin.render_as_string()} does not answer ({exc}); "
            "start it (bash .ci/run does) or set CRPM_TEST_BACKENDS to leave it out"
        ) from exc
    try:
        yield admin.set(database=name)
    finally:
        with engine.connect() as conn:
            conn.execute(text(drop))
        engine.dispose()
