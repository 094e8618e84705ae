"""``crpm-ui``: start the CRPM app in the browser (or a native window).

crpm-ui [--db URL] [--host 127.0.0.1] [--port 8080] [--demo] [--native]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import sys
from collections.abc import Sequence

import crpm_core
from crpm_core import demo

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


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.native and (problem := native_problem()) is not None:
        return _fail(problem, 2)

    url = args.db if args.db else crpm_core.default_url()
    try:
        crm = crpm_core.connect(url)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _fail(f"cannot open the database {url!r}: {reason}", 1)

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

    from nicegui import app, ui

    from crpm_ui.app import LANGUAGE, setup

    setup(crm)
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
        storage_secret=secrets.token_urlsafe(32),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
