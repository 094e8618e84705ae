"""Developer sessions. `nox -s lint types docs` for the fast checks; see docs/contributing.md."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "types", "docs", "tests", "e2e"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The library on SQLite, PostgreSQL and MariaDB, the app, and the docs' examples."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "2", *session.posargs)


@nox.session
def e2e(session: nox.Session) -> None:
    """Browser tests: Playwright in Debian's Chromium, in a process of their own."""
    session.install("-e", ".[test]")
    session.run("pytest", "tests/browser", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.install("import-linter", "-e", ".")
    session.run("lint-imports", "--no-cache")


@nox.session
def types(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("mypy", "--strict", "crpm_core", "crpm_ui")


@nox.session
def docs(session: nox.Session) -> None:
    """The docs site, strictly: a broken link, snippet or reference fails the build."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks at a small size; `nox -s bench -- --full` for the sizes in the docs."""
    session.install("-e", ".[test]")
    full = "--full" in session.posargs
    session.run("python", "bench/bench_purchases.py", "--purchases", "5000" if full else "1000")
    size = ["--purchases", "1000000"] if full else ["--purchases", "50000", "--customers", "2000"]
    session.run("python", "bench/bench_reports.py", *size)
    orders = ["--orders", "2000", "--repeat", "5"] if full else ["--orders", "200", "--repeat", "3"]
    session.run("python", "bench/bench_orders.py", *orders)
    intelligence = (
        [] if full else ["--customers", "2000", "--products", "500", "--purchases", "20000"]
    )
    session.run("python", "bench/bench_intelligence.py", *intelligence)
