"""``crpm-ui --native``: the app in a window of its own, under a real X server (Xvfb).

Needs what ``.ci/run`` installs: Debian's ``xvfb`` with Qt's X libraries, and
``pip install "crpm[native]"`` (pywebview with Qt WebEngine). Missing pieces fail the test
with what to install; it is never skipped.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageGrab

import crpm_core
from tests.native import x11

REPO = Path(__file__).resolve().parents[2]
SCREEN = (1440, 960)
PRIMARY = (0x15, 0x65, 0xC0)  # the theme's primary blue: the "Log in" button
OWNER = ("zoe.obrien", "owner-password-1")


def _missing(what: str) -> None:
    pytest.fail(f"{what} (bash .ci/run installs it)", pytrace=False)


@pytest.fixture
def display() -> Iterator[str]:
    """A fresh X server of its own (the first free display number) for this test."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        _missing("Xvfb is missing: apt-get install xvfb")
    assert xvfb is not None
    read_end, write_end = os.pipe()
    size = f"{SCREEN[0]}x{SCREEN[1]}x24"
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=[write_end],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 30)
        number = os.read(read_end, 32).decode().strip() if ready else ""
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(timeout=15)


WINDOW_WITHIN = 300
"""Seconds to wait for the window: Qt WebEngine starts slowly on a busy two-core machine."""


def _window(display: str, title: str, app: subprocess.Popen[bytes], log: Path) -> int:
    started = time.monotonic()
    while time.monotonic() < started + WINDOW_WITHIN:
        if app.poll() is not None:
            pytest.fail(f"crpm-ui --native exited with {app.returncode}:\n{log.read_text()}")
        found = [wid for wid, name in x11.window_titles(display).items() if name == title]
        if found:
            print(f"the window opened after {time.monotonic() - started:.1f} s")
            return found[0]
        time.sleep(0.5)
    pytest.fail(
        f"no window titled {title!r} within {WINDOW_WITHIN} s (windows: "
        f"{x11.window_titles(display)}):\n{log.read_text()}"
    )


def _looks_like_the_login_page(shot: Image.Image) -> bool:
    """Rendered, not blank: many colours (anti-aliased text), mostly the page's white, and
    a wide patch of the primary blue (the "Log in" button)."""
    rgb = shot.convert("RGB")
    colours = rgb.getcolors(maxcolors=1 << 20) or []
    counts = dict((colour, count) for count, colour in colours)
    total = rgb.width * rgb.height
    return (
        len(colours) >= 50
        and counts.get((255, 255, 255), 0) > total // 4
        and counts.get(PRIMARY, 0) > 3000
    )


def test_native_window_shows_the_login_page_and_closing_it_stops_the_server(
    display: str, tmp_path: Path
) -> None:
    try:
        import webview  # noqa: F401
        from PyQt6 import QtWebEngineWidgets  # noqa: F401
    except ImportError as exc:
        _missing(f"the native extra is missing ({exc}): pip install 'crpm[native]'")
    db = tmp_path / "shop.db"
    with crpm_core.connect(f"sqlite:///{db}") as crm:
        crm.users.add(username=OWNER[0], password=OWNER[1], role="owner")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTEST_CURRENT_TEST", "CRPM_SECRET", "NICEGUI_REDIS_URL")
        and not k.startswith(("QTWEBENGINE_", "PYWEBVIEW_"))  # crpm-ui sets what it needs
    }
    env["DISPLAY"] = display
    env.pop("WAYLAND_DISPLAY", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    log = tmp_path / "app.log"
    command = [sys.executable, "-m", "crpm_ui.main", "--native", "--db", f"sqlite:///{db}"]
    with log.open("wb") as out:
        app = subprocess.Popen(
            command,  # no --port: a native window's server takes a free one
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        window = _window(display, "CRPM", app, log)
        running = re.search(r"CRPM is running at http://127\.0\.0\.1:(\d+)", log.read_text())
        assert running is not None, log.read_text()
        port = int(running.group(1))

        # The server behind the window serves the login page to everyone not logged in.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as answer:
            assert answer.url.endswith("/login")
            assert "Log in to CRPM" in answer.read().decode()

        # And the window shows it: poll screenshots until the page has painted.
        shot = ImageGrab.grab(xdisplay=display)
        deadline = time.monotonic() + 180
        while not _looks_like_the_login_page(shot) and time.monotonic() < deadline:
            time.sleep(1)
            shot = ImageGrab.grab(xdisplay=display)
        shot.save(tmp_path / "native-window.png")
        assert shot.size == SCREEN
        assert _looks_like_the_login_page(shot), f"see {tmp_path / 'native-window.png'}"

        # Closing the window (as its close button does) stops the server and frees the port.
        x11.close_window(display, window)
        assert app.wait(timeout=60) == 0
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
        assert not [w for w, name in x11.window_titles(display).items() if name == "CRPM"]
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    output = log.read_text(errors="replace")
    assert "Traceback" not in output, output
