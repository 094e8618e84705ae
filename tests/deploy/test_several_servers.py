"""Several ``crpm-ui`` processes on one PostgreSQL behind HAProxy, sharing their sessions in
Redis: the shipped ``deploy/`` files, run as they are (ports and secrets aside).

A browser logs in through HAProxy; the process that served it is restarted; the browser is
still logged in, on the restarted process and on the other. Log out ends the session on
every process. Two tills sell at once on the same database; stock equals its ledger.

Needs HAProxy (``apt-get install haproxy``; ``bash .ci/run`` installs it), Redis and
PostgreSQL on the loopback, and Debian's Chromium.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

import crpm_core
from tests.databases import temporary_database
from tests.deploy.conftest import REDIS_URL

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
OWNER = ("zoe.obrien", "owner-password-1")
CLERK = ("sean.ohara", "clerk-password-1")
START_STOCK = 40


def _haproxy() -> str:
    """HAProxy's path; installed now if missing and this machine can (Debian, as root)."""
    found = shutil.which("haproxy")
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "haproxy"],
            check=False,
            capture_output=True,
            timeout=600,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        found = shutil.which("haproxy") or (
            "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
        )
    if found is None:
        pytest.skip("HAProxy is not installed and cannot be installed here (needs apt-get)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(
    port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"nothing answered on port {port} within {timeout} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def env_file() -> dict[str, str]:
    """``deploy/crpm.env`` as systemd reads it: ``KEY=VALUE`` lines, ``#`` comments."""
    pairs = {}
    for line in (DEPLOY / "crpm.env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def unit_command(port: int, environ: dict[str, str]) -> list[str]:
    """The ``ExecStart`` of ``deploy/crpm-ui@.service`` for instance ``port``, with this
    checkout's app in place of the installed ``crpm-ui``."""
    unit = (DEPLOY / "crpm-ui@.service").read_text(encoding="utf-8")
    [line] = [x for x in unit.splitlines() if x.startswith("ExecStart=")]
    words = shlex.split(line.removeprefix("ExecStart="))
    assert words[0].endswith("/crpm-ui")
    expanded = [
        re.sub(r"\$\{(\w+)\}", lambda m: environ[m.group(1)], w.replace("%i", str(port)))
        for w in words[1:]
    ]
    return [sys.executable, "-m", "crpm_ui.main", *expanded]


def haproxy_config(front: int, backends: list[int]) -> str:
    """``deploy/haproxy.cfg`` on this test's ports, logging to its output, as this user."""
    text = (DEPLOY / "haproxy.cfg").read_text(encoding="utf-8")
    swaps = {
        "    bind :8080\n": f"    bind 127.0.0.1:{front}\n",
        "127.0.0.1:8081 ": f"127.0.0.1:{backends[0]} ",
        "127.0.0.1:8082 ": f"127.0.0.1:{backends[1]} ",
        "    log /dev/log local0\n": "    log stdout format raw local0\n",
        "    user haproxy\n": "",
        "    group haproxy\n": "",
    }
    for old, new in swaps.items():
        assert text.count(old) == 1, f"deploy/haproxy.cfg no longer has {old!r}"
        text = text.replace(old, new)
    return text


class Servers:
    """The app processes (by HAProxy's server name) and HAProxy, each logging to a file."""

    def __init__(self, tmp: Path, environ: dict[str, str], ports: dict[str, int]) -> None:
        self.tmp, self.environ, self.ports = tmp, environ, ports
        self.apps: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        port = self.ports[name]
        home = self.tmp / name  # each process a folder of its own, as on its own server
        home.mkdir(exist_ok=True)
        log = home / "app.log"
        with log.open("ab") as out:
            self.apps[name] = subprocess.Popen(
                unit_command(port, self.environ),
                cwd=home,
                env={**self.environ, "NICEGUI_STORAGE_PATH": str(home / ".nicegui")},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_for_port(port, self.apps[name], log)

    def stop(self, name: str) -> None:
        _stop(self.apps[name])

    def logs(self) -> str:
        return "".join(
            (self.tmp / name / "app.log").read_text(errors="replace") for name in self.apps
        )


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    with temporary_database("postgresql", tmp_path) as url:
        yield url.render_as_string(hide_password=False)


def _cookies(state: Path) -> dict[str, str]:
    return {c["name"]: c["value"] for c in json.loads(state.read_text())["cookies"]}


def _logged_in(base: str, cookies: dict[str, str]) -> bool:
    """Whether ``cookies`` open a page at ``base`` (a login redirect says they do not)."""
    answer = httpx.get(base + "/customers", cookies=cookies, follow_redirects=False, timeout=30)
    if answer.status_code == 200:
        return True
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    return False


def _served_by(base: str, cookies: dict[str, str], name: str, timeout: float = 60) -> None:
    """Wait until HAProxy sends a browser that sticks to ``name`` to ``name`` itself (it
    re-sets its cookie only when it sent the browser elsewhere), logged in there."""
    deadline = time.monotonic() + timeout
    sticky = {**cookies, "CRPM_SERVER": name}
    while time.monotonic() < deadline:
        answer = httpx.get(base + "/customers", cookies=sticky, follow_redirects=False)
        if answer.status_code == 200 and "CRPM_SERVER" not in answer.cookies:
            return
        time.sleep(0.5)
    pytest.fail(f"HAProxy did not send the browser back to {name} within {timeout} s")


def _browser(*args: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "tests.deploy.browser_session", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"browser step {args[0]} failed:\n{done.stdout}\n{done.stderr}"


def test_a_session_survives_a_restart_of_its_process_behind_haproxy(
    tmp_path: Path, database: str, redis_prefix: str
) -> None:
    haproxy = _haproxy()
    with crpm_core.connect(database) as crm:  # the schema, before any app process starts
        crm.users.add(username=OWNER[0], password=OWNER[1], role="owner")
        crm.users.add(username=CLERK[0], password=CLERK[1], role="clerk")
        for name, email in [("Zoë O'Brien", "zoe@example.ie"), ("Þór Ólafsson", "thor@example.is")]:
            crm.customers.add(name=name, email=email)
        for i, name in enumerate(["Green tea 100g", "Čaj zelený", "Ōolong"], start=1):
            crm.products.add(name=name, price="6.50", stock=START_STOCK, sku=f"TEA-{i}")

    settings = env_file()
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "DISPLAY")}
    environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), environ.get("PYTHONPATH", "")) if p
    )
    mine = {
        "CRPM_DATABASE_URL": database,
        "CRPM_SECRET": secrets.token_urlsafe(48),
        "NICEGUI_REDIS_URL": REDIS_URL,
        "NICEGUI_REDIS_KEY_PREFIX": redis_prefix,
        "CRPM_PUBLIC_HOST": "shop.test",
    }
    assert set(mine) == set(settings), "every setting of deploy/crpm.env is used here"
    environ.update(mine)

    front = _free_port()
    servers = Servers(tmp_path, environ, {"app1": _free_port(), "app2": _free_port()})
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(front, list(servers.ports.values())))
    checked = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    base = f"http://127.0.0.1:{front}"
    state = tmp_path / "browser.json"

    with ExitStack() as stack:
        for name in servers.ports:
            servers.start(name)
            stack.callback(servers.stop, name)
        proxy_log = tmp_path / "haproxy.log"
        with proxy_log.open("wb") as out:
            proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=out, stderr=out)
        stack.callback(_stop, proxy)
        _wait_for_port(front, proxy, proxy_log)

        # A real browser logs in through HAProxy; HAProxy's cookie says which process served it.
        _browser("login", base, str(state), *OWNER)
        cookies = _cookies(state)
        served_by = cookies["CRPM_SERVER"]
        other = next(name for name in servers.ports if name != served_by)
        direct = {name: f"http://127.0.0.1:{port}" for name, port in servers.ports.items()}
        assert _logged_in(base, cookies)
        assert _logged_in(direct[other], cookies)  # the other process knows the session too

        # The process that served the browser stops: HAProxy sends the browser to the other
        # one, where it is still logged in.
        servers.stop(served_by)
        _browser("check", base, str(state), OWNER[0])
        # ... and comes back: the same cookie is still a login on the restarted process.
        servers.start(served_by)
        assert _logged_in(direct[served_by], cookies)
        # The browser, sticking to the restarted process again, is served there, logged in.
        _served_by(base, cookies, served_by)
        browser = json.loads(state.read_text())
        for cookie in browser["cookies"]:
            if cookie["name"] == "CRPM_SERVER":
                cookie["value"] = served_by
        state.write_text(json.dumps(browser))
        _browser("check", base, str(state), OWNER[0])
        assert _cookies(state)["CRPM_SERVER"] == served_by  # HAProxy did not move it

        # Two tills sell at once on the shared database, while both app processes run.
        tills = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.deploy.sell", database, user, "40", str(seed)],
                stdout=subprocess.PIPE,
                env=environ,
            )
            for seed, user in enumerate([OWNER[0], CLERK[0]])
        ]
        sold: dict[int, int] = {}
        for till in tills:
            out, _ = till.communicate(timeout=300)
            assert till.returncode == 0
            for product, units in json.loads(out)["units"].items():
                sold[int(product)] = sold.get(int(product), 0) + units
        assert sum(sold.values()) > 0
        with crpm_core.connect(database) as crm:
            for product in crm.products.list(limit=100).items:
                assert product.stock == START_STOCK - sold.get(product.id, 0) >= 0
                moves = crm.reports.stock_movements(product_id=product.id, limit=1000)
                assert moves.total == len(moves.items)
                assert sum(m.change for m in moves.items) == product.stock, product.name

        # Log out (on whichever process serves the browser now) ends the session everywhere.
        old = _cookies(state)
        _browser("logout", base, str(state))
        for name in servers.ports:
            assert not _logged_in(direct[name], old), f"{name} still accepts the old cookie"
        assert not _logged_in(base, old)

    assert "Traceback" not in servers.logs(), servers.logs()
