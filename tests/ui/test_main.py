"""``crpm-ui``'s command line: its options, screens and native windows, plain failures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import crpm_core
from crpm_core.tabular import guard
from crpm_ui import security
from crpm_ui.formatting import csv_bytes
from crpm_ui.main import ensure_login, native_problem, parse_args, screen_available


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "crpm_ui.main", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


def test_defaults_bind_to_loopback() -> None:
    args = parse_args([])
    assert (args.host, args.port, args.db, args.demo, args.native) == (
        "127.0.0.1",
        None,  # 8080 in the browser; a free port for a native window
        None,
        False,
        False,
    )
    args = parse_args(["--db", "sqlite:///x.db", "--port", "9000", "--demo"])
    assert (args.db, args.port, args.demo) == ("sqlite:///x.db", 9000, True)
    assert (args.allowed_host, args.session_hours) == (None, 8.0)
    args = parse_args(
        ["--allowed-host", "shop.lan", "--allowed-host", "till-2", "--session-hours", "1"]
    )
    assert (args.allowed_host, args.session_hours) == (["shop.lan", "till-2"], 1.0)


def test_demo_makes_an_owner_and_prints_its_password_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with crpm_core.connect(f"sqlite:///{tmp_path / 'shop.db'}") as crm:
        ensure_login(crm, make_demo_owner=True)
        out = capsys.readouterr().out
        assert out.startswith("Log in as demo with password ")
        password = out.split("with password ", 1)[1].split()[0]
        assert crm.users.authenticate("demo", password).role == "owner"
        ensure_login(crm, make_demo_owner=True)  # a user exists: nothing more, nothing printed
        assert capsys.readouterr().out == ""
        assert crm.users.list().total == 1


def test_without_a_user_the_terminal_says_how_to_make_the_first_owner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with crpm_core.connect(f"sqlite:///{tmp_path / 'shop.db'}") as crm:
        ensure_login(crm, make_demo_owner=False, db_option=" --db sqlite:///shop.db")
        out = capsys.readouterr().out
        assert "crpm user add NAME --role owner --db sqlite:///shop.db" in out
        assert crm.users.list().total == 0


def test_the_secret_is_made_once_beside_the_database_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    with crpm_core.connect(f"sqlite:///{tmp_path / 'shop.db'}") as crm:
        secret, path = security.load_secret(crm.url, environ={})
        assert path == (tmp_path / "shop.db.secret").resolve()
        assert path.stat().st_mode & 0o777 == 0o600
        assert security.load_secret(crm.url, environ={}) == (secret, path)  # stable
        assert len(secret) >= 40
        from_env = security.load_secret(crm.url, environ={"CRPM_SECRET": "s3cr3t-from-env"})
        assert from_env == ("s3cr3t-from-env", None)


def test_a_server_or_memory_database_keeps_its_secret_in_the_config_folder(tmp_path: Path) -> None:
    with crpm_core.connect("sqlite://") as crm:
        path = security.secret_path(crm.url, config_dir=tmp_path / "crpm")
        assert path == tmp_path / "crpm" / ".crpm-secret"
        assert (tmp_path / "crpm").stat().st_mode & 0o777 == 0o700


def test_an_existing_file_of_ours_is_made_private(tmp_path: Path) -> None:
    loose = tmp_path / "shop.db"
    loose.write_text("x")
    loose.chmod(0o644)
    security.every([loose, tmp_path / "missing.db-wal"])
    assert loose.stat().st_mode & 0o777 == 0o600


def test_session_hours_must_be_positive(tmp_path: Path) -> None:
    result = run_cli("--session-hours", "0", "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 2
    assert "--session-hours" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_screen_is_found_only_with_a_display() -> None:
    assert not screen_available({}, "linux")
    assert screen_available({"DISPLAY": ":0"}, "linux")
    assert screen_available({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert screen_available({}, "darwin") and screen_available({}, "win32")


def test_native_without_a_gui_names_the_missing_piece() -> None:
    problem = native_problem({}, "linux")
    assert problem is not None
    assert "pywebview" in problem or "screen" in problem


def test_native_on_a_headless_machine_exits_with_a_plain_message(tmp_path: Path) -> None:
    env = {"DISPLAY": "", "WAYLAND_DISPLAY": ""}
    result = run_cli("--native", "--db", f"sqlite:///{tmp_path / 'x.db'}", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("crpm-ui: error: --native needs")
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "x.db").exists()  # refused before touching anything


def test_a_database_that_cannot_open_is_a_plain_message(tmp_path: Path) -> None:
    result = run_cli("--db", "nosuchdriver://nowhere/db")
    assert result.returncode == 1
    assert result.stderr.startswith("crpm-ui: error: cannot open the database")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=x", "'x"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    # The app's downloads use the library's guard: a leading ' gets one more, as in exports.
    assert guard(cell) == "'" + cell
    data = csv_bytes(["name"], [[cell]]).decode("utf-8-sig")
    assert data.splitlines()[1].lstrip('"').startswith("''" if cell[0] == "'" else "'")


def test_plain_cells_and_numbers_stay_as_they_are() -> None:
    assert guard("Zoë O'Brien") == "Zoë O'Brien"
    data = csv_bytes(["a", "b", "c"], [["x,y", -4, None]]).decode("utf-8-sig")
    assert data == 'a,b,c\r\n"x,y",-4,\r\n'


def test_a_port_in_use_is_said_before_anything_claims_to_run(tmp_path: Path) -> None:
    # Issue 12, defect 16: it printed "CRPM is running at ..." and then failed.
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("--port", str(port), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 1
    assert result.stderr.startswith(f"crpm-ui: error: port {port} on 127.0.0.1 is already in use")
    assert "--port" in result.stderr
    assert "CRPM is running" not in result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_a_free_port_has_no_problem_and_a_bad_one_is_named() -> None:
    from crpm_ui.main import free_port, port_problem

    port = free_port("127.0.0.1")
    assert port_problem("127.0.0.1", port) is None
    assert port_problem("127.0.0.1", 70000) == "--port must be between 1 and 65535, not 70000"
    problem = port_problem("no-such-host.invalid", port)
    assert problem is not None and problem.startswith(
        f"cannot listen on no-such-host.invalid:{port}"
    )
