"""``crpm-ui``: start the CRPM app in the browser (or a native window).

crpm-ui [--db URL] [--host 127.0.0.1] [--port 8080] [--allowed-host NAME ...]
        [--session-hours 8] [--demo] [--native]

Everyone logs in (see docs/security.md). Every file the app makes is its owner's only: the
process runs with umask 077. ``--native`` opens the app in a window of its own (pywebview
with Qt WebEngine: ``pip install "crpm[native]"``); closing the window stops the server.
Several processes behind a load balancer share their sessions through Redis
(``NICEGUI_REDIS_URL``) and one ``CRPM_SECRET``: see docs/deployment.md.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import os
import secrets
import socket
import sys
from collections.abc import Sequence

import crpm_core
from crpm_core import CRPM, demo
from crpm_ui import security

__all__ = [
    "free_port",
    "main",
    "native_environment",
    "native_problem",
    "parse_args",
    "port_problem",
    "redis_problem",
    "screen_available",
]

PROG = "crpm-ui"
DEFAULT_PORT = 8080
WINDOW_SIZE = (1280, 860)
"""The native window's size in pixels (width, height)."""
QT_BINDINGS = ("PyQt6", "PySide6", "PyQt5")


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
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port (default: {DEFAULT_PORT}; with --native, a free one)",
    )
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


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package that is missing or broken
        return False


def _qt_webengine() -> str | None:
    """The first installed Qt binding that has Qt WebEngine, or ``None``."""
    for binding in QT_BINDINGS:
        if _has_module(binding) and _has_module(f"{binding}.QtWebEngineWidgets"):
            return binding
    return None


def native_problem(
    environ: dict[str, str] | None = None, platform: str | None = None
) -> str | None:
    """Why a native window cannot open here, or ``None`` if it can."""
    plat = sys.platform if platform is None else platform
    if not _has_module("webview"):
        return (
            "--native needs pywebview, which is not installed. "
            "Install it with: pip install 'crpm[native]' (or run without --native)."
        )
    if not screen_available(environ, plat):
        return "--native needs a screen, and none was found (no DISPLAY or WAYLAND_DISPLAY)."
    if plat.startswith("linux") and not (
        _has_module("gi") or (_has_module("qtpy") and _qt_webengine() is not None)
    ):
        return (
            "--native needs a GUI toolkit for pywebview (Qt WebEngine, or GTK via PyGObject), "
            "and none is installed. Install it with: pip install 'crpm[native]' "
            "(or run without --native to use the browser)."
        )
    return None


def native_environment(environ: dict[str, str], *, is_root: bool) -> dict[str, str]:
    """What the native window's process needs set (only what is not set already): Qt when
    GTK's bindings are missing, and Chromium's sandbox off for root (it refuses to start
    sandboxed as root)."""
    wanted: dict[str, str] = {}
    if not _has_module("gi") and _qt_webengine() is not None:
        wanted["PYWEBVIEW_GUI"] = "qt"
    if is_root:
        wanted["QTWEBENGINE_CHROMIUM_FLAGS"] = "--no-sandbox"
    return {k: v for k, v in wanted.items() if not environ.get(k)}


def port_problem(host: str, port: int) -> str | None:
    """Why the app cannot listen on ``host:port``, or ``None`` if it can (checked the way
    the server binds: with ``SO_REUSEADDR``, so a port in ``TIME_WAIT`` is not "in use")."""
    if not 0 < port < 65536:
        return f"--port must be between 1 and 65535, not {port}"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (is CRPM already running?); "
                    "stop what uses it or choose another with --port"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def free_port(host: str) -> int:
    """A port nothing listens on at ``host`` now (for the native window)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def redis_problem(url: str) -> str | None:
    """Why the shared storage at ``url`` (``NICEGUI_REDIS_URL``) cannot be used, or ``None``."""
    if not _has_module("redis"):
        return (
            "NICEGUI_REDIS_URL is set, but the redis package is not installed. "
            "Install it with: pip install 'crpm[servers]' (or unset NICEGUI_REDIS_URL)."
        )
    import redis

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=5) as client:
            client.ping()
    except (redis.RedisError, ValueError) as exc:
        return f"cannot reach Redis at NICEGUI_REDIS_URL ({exc})"
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
    if args.port is None:
        args.port = free_port(args.host) if args.native else DEFAULT_PORT
    if (problem := port_problem(args.host, args.port)) is not None:
        return _fail(problem, 1)
    redis_url = os.environ.get("NICEGUI_REDIS_URL")
    if redis_url and (problem := redis_problem(redis_url)) is not None:
        return _fail(problem, 1)
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
    from crpm_ui.auth import RedisSessions

    if Storage.path.is_dir():  # files an older version made readable by others
        security.every(Storage.path.glob("storage-*.json"))
    hosts = args.allowed_host or security.default_hosts(args.host)
    setup(
        crm,
        hardening=security.Hardening(allowed_hosts=tuple(hosts)),
        idle_hours=args.session_hours,
        # Several processes: the live sessions are shared where NiceGUI's storage is.
        sessions=RedisSessions(redis_url, Storage.redis_key_prefix) if redis_url else None,
    )
    app.on_shutdown(crm.close)
    if args.native:
        is_root = hasattr(os, "geteuid") and os.geteuid() == 0
        os.environ.update(native_environment(dict(os.environ), is_root=is_root))

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
        window_size=WINDOW_SIZE if args.native else None,
        reload=False,
        show_welcome_message=False,
        storage_secret=secret,
        # Starlette's session cookie is always HttpOnly; Lax keeps it off cross-site posts.
        session_middleware_kwargs={"same_site": "lax", "https_only": False},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
