"""``crpm-ui``'s command line: its options, screens and native windows, plain failures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crpm_core.tabular import guard
from crpm_ui.formatting import csv_bytes
from crpm_ui.main import native_problem, parse_args, screen_available


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
        8080,
        None,
        False,
        False,
    )
    args = parse_args(["--db", "sqlite:///x.db", "--port", "9000", "--demo"])
    assert (args.db, args.port, args.demo) == ("sqlite:///x.db", 9000, True)


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
