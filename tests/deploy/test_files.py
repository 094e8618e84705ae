"""The shipped ``deploy/`` files hold together: HAProxy accepts its configuration, systemd its
unit, and the unit, the env file and ``crpm-ui`` agree on the settings."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

from crpm_ui import auth
from crpm_ui.main import parse_args
from tests.deploy.conftest import REDIS_URL
from tests.deploy.test_several_servers import DEPLOY, _haproxy, env_file, unit_command


def test_haproxy_accepts_the_shipped_configuration() -> None:
    checked = subprocess.run(
        [_haproxy(), "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = (DEPLOY / "haproxy.cfg").read_text()
    assert "cookie CRPM_SERVER insert indirect nocache httponly" in text
    assert "option redispatch" in text


def test_the_unit_starts_crpm_ui_on_its_instance_port_with_the_shared_settings(
    tmp_path: Path,
) -> None:
    settings = env_file()
    assert set(settings) == {
        "CRPM_DATABASE_URL",
        "CRPM_SECRET",
        "NICEGUI_REDIS_URL",
        "NICEGUI_REDIS_KEY_PREFIX",
        "CRPM_PUBLIC_HOST",
    }
    command = unit_command(8081, settings)
    args = parse_args(command[3:])  # what crpm-ui makes of the unit's options
    assert (args.host, args.port) == ("127.0.0.1", 8081)
    assert args.allowed_host == [settings["CRPM_PUBLIC_HOST"], "127.0.0.1"]
    unit = (DEPLOY / "crpm-ui@.service").read_text()
    assert "EnvironmentFile=/etc/crpm/crpm.env" in unit
    assert "UMask=0077" in unit

    analyze = shutil.which("systemd-analyze")
    if analyze is not None:  # systemd's own check, with this machine's crpm-ui in the unit
        crpm_ui = Path(sys.executable).with_name("crpm-ui")
        local = unit.replace("/opt/crpm/venv/bin/crpm-ui", str(crpm_ui))
        (tmp_path / "crpm-ui@8081.service").write_text(local)
        verified = subprocess.run(
            [analyze, "verify", str(tmp_path / "crpm-ui@8081.service")],
            capture_output=True,
            text=True,
        )
        problems = [
            line
            for line in (verified.stdout + verified.stderr).splitlines()
            if "crpm-ui@8081" in line
        ]
        assert not problems, problems


def test_processes_logging_people_in_at_once_lose_no_session(redis_prefix: str) -> None:
    # One key per session: two processes writing at the same moment never overwrite each
    # other (a single shared table would lose the logins of one of them).
    stores = [auth.RedisSessions(REDIS_URL, redis_prefix) for _ in range(2)]

    def log_in_many(store: auth.RedisSessions, which: int) -> None:
        for i in range(150):
            store.put(f"sid-{which}-{i}", {"user": f"till-{which}", "seen": float(i)})

    threads = [threading.Thread(target=log_in_many, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for which in range(2):
        for i in range(150):
            assert stores[1 - which].get(f"sid-{which}-{i}") == {
                "user": f"till-{which}",
                "seen": float(i),
            }
