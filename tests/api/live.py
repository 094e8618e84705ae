"""``crpm-ui`` started as a user starts it, for the tests that talk HTTP to a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process started by a test: this checkout's code first, and no
    ``PYTEST_CURRENT_TEST`` (NiceGUI would think it runs inside pytest)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "DISPLAY")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env


@contextmanager
def running_app(db_url: str, folder: Path, *, timeout: float = 120) -> Iterator[str]:
    """``python -m crpm_ui.main --db URL --port P``; yields its base URL. The log must hold
    no traceback when it stops."""
    port = free_port()
    log_path = folder / f"crpm-ui-{port}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "crpm_ui.main", "--db", db_url, "--port", str(port)],
        cwd=folder,
        env=app_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"crpm-ui exited early: {log_path.read_text(errors='replace')}")
            with socket.socket() as s:
                s.settimeout(0.2)
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"crpm-ui did not answer on port {port} in {timeout} s")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        output = log_path.read_text(errors="replace")
        assert "Traceback" not in output, output
