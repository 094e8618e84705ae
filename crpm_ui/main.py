"""``crpm-ui``: start the CRPM app in the browser (or a native window).

crpm-ui [--db URL] [--host 127.0.0.1] [--port 8080] [--allowed-host NAME ...]
        [--session-hours 8] [--demo] [--native]

Everyone logs in (see docs/security.md). Every file the app makes is its owner's only: the
process runs with umask 077.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import sys
from collections.abc import Sequence

import crpm_core
from crpm_core import CRPM, demo
from crpm_ui import security

__all__ = ["main", "native_problem", "parse_args", "screen_available"]

PROG = "crpm-ui"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Start CRPM, the shop's customers, products and purchases app."
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL (default: $CRPM_DATABASE_URL, else the SQLite file ./crpm.db)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8080, help="port (default: %(default)s)")
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        metavar="NAME",
        help="a host name the app answers to (repeat for several; default: the --host "
        "address, localhost and 127.0.0.1); others get 400",
    )
    parser.add_argument(
        "--session-hours",
        type=float,
        default=8.0,
        metavar="HOURS",
        help="log out a browser idle this long (default: %(default)s)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="fill an empty database with demo data first"
    )
    parser.add_argument(
        "--native", action="store_true", help="open a native window instead of a browser tab"
    )
    return parser.parse_args(argv)


def screen_available(environ: dict[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether a graphical session is there to show a browser or a window in."""
    env = os.environ if environ is None else environ
    plat = sys.platform if platform is None else platform
    if plat.startswith(("win", "darwin")):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def native_problem(
    environ: dict[str, str] | None = None, platform: str | None = None
) -> str | None:
    """Why a native window cannot open here, or ``None`` if it can."""
    plat = sys.platform if platform is None else platform
    if importlib.util.find_spec("webview") is None:
        return (
            "--native needs pywebview, which is not installed. "
            "Install it with: pip install 'crpm[native]' (or run without --native)."
        )
    if not screen_available(environ, plat):
        return "--native needs a screen, and none was found (no DISPLAY or WAYLAND_DISPLAY)."
    if plat.startswith("linux") and not any(
        importlib.util.find_spec(name) is not None for name in ("gi", "qtpy")
    ):
        return (
            "--native needs a GUI toolkit for pywebview (GTK via PyGObject, or Qt via qtpy), "
            "and none is installed. Run without --native to use the browser."
        )
    return None


DEMO_USER = "demo"
FIRST_OWNER_HINT = (
    "No user account exists yet. Create the first owner, then log in:\n"
    "    crpm user add NAME --role owner{db}\n"
    "(or start with --demo to get a demo owner)."
)


def ensure_login(crm: CRPM, *, make_demo_owner: bool, db_option: str = "") -> None:
    """Print how to log in: the demo owner made now (its password, once), or how to make
    the first owner when there is no user yet."""
    if crm.users.list(limit=1).total:
        return
    if make_demo_owner:
        password = secrets.token_urlsafe(12)
        crm.users.add(username=DEMO_USER, password=password, role="owner")
        print(f"Log in as {DEMO_USER} with password {password}", flush=True)
        print("(shown only this once; change it with: crpm user passwd demo)", flush=True)
    else:
        print(FIRST_OWNER_HINT.format(db=db_option), flush=True)


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.native and (problem := native_problem()) is not None:
        return _fail(problem, 2)

    if args.session_hours <= 0 or args.session_hours > 24 * 366:
        return _fail("--session-hours must be more than 0 and at most a year", 2)
    os.umask(0o077)  # the database, its -wal/-shm, the secret and NiceGUI's storage: 0600
    url = args.db if args.db else crpm_core.default_url()
    try:
        crm = crpm_core.connect(url)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _fail(f"cannot open the database {url!r}: {reason}", 1)
    security.every(security.sqlite_files(crm.url))
    try:
        secret, _ = security.load_secret(crm.url)
    except OSError as exc:
        crm.close()
        return _fail(f"cannot keep the session secret: {exc}", 1)

    if args.demo:
        if demo.is_empty(crm):
            print("Filling the empty database with demo data ...", flush=True)
            made = demo.fill(crm)
            print(
                f"Added {made.customers} customers, {made.products} products and "
                f"{made.purchases} purchases.",
                flush=True,
            )
        else:
            print("The database already holds data; --demo added nothing.", flush=True)
    ensure_login(crm, make_demo_owner=args.demo, db_option=f" --db {args.db}" if args.db else "")

    from nicegui import app, ui
    from nicegui.storage import Storage

    from crpm_ui.app import LANGUAGE, setup

    if Storage.path.is_dir():  # files an older version made readable by others
        security.every(Storage.path.glob("storage-*.json"))
    hosts = args.allowed_host or security.default_hosts(args.host)
    setup(
        crm,
        hardening=security.Hardening(allowed_hosts=tuple(hosts)),
        idle_hours=args.session_hours,
    )
    app.on_shutdown(crm.close)

    show = not args.native and screen_available()
    print(f"CRPM is running at http://{args.host}:{args.port}  (Ctrl+C to stop)", flush=True)
    if not show and not args.native:
        print("No screen found: open that address in a browser.", flush=True)
    ui.run(
        host=args.host,
        port=args.port,
        title="CRPM",
        language=LANGUAGE,
        favicon="🛒",
        show=show,
        native=args.native,
        reload=False,
        show_welcome_message=False,
        storage_secret=secret,
        # Starlette's session cookie is always HttpOnly; Lax keeps it off cross-site posts.
        session_middleware_kwargs={"same_site": "lax", "https_only": False},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
