"""Every example script of the docs runs, and prints what its comments say it prints.

A ``print(...)  # text`` line, and the ``# text`` comment lines right after a line that
prints, state an output line; each must appear in the script's output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.py"))
PRINT_WITH_COMMENT = re.compile(r"print\(.*\)\s+# (?P<text>.+)$")
COMMENT = re.compile(r"^\s*# (?P<text>.+)$")


def expected_lines(source: str) -> list[str]:
    expected: list[str] = []
    after_print = False
    for line in source.splitlines():
        found = PRINT_WITH_COMMENT.search(line)
        comment = COMMENT.match(line)
        if found:
            expected.append(found["text"].strip())
            after_print = True
        elif comment and after_print:
            expected.append(comment["text"].strip())
        else:
            after_print = "print(" in line
    return expected


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_prints_what_it_says(script: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CRPM_DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    output = [line.strip() for line in done.stdout.splitlines()]
    expected = expected_lines(script.read_text(encoding="utf-8"))
    missing = [line for line in expected if line not in output]
    assert not missing, f"not printed: {missing}\noutput:\n{done.stdout}"
    assert (tmp_path / "shop.db").exists()


@pytest.mark.parametrize(
    ("page", "heading"),
    [("README.md", "The library in a script"), ("docs/index.md", "The library in five lines")],
)
def test_the_front_page_examples_run_and_print_what_they_say(
    page: str, heading: str, tmp_path: Path
) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    block = re.search(rf"## {heading}\s+```python\n(.*?)```", text, re.S)
    assert block is not None
    script = tmp_path / "readme_example.py"
    script.write_text(block.group(1), encoding="utf-8")
    test_example_runs_and_prints_what_it_says(script, tmp_path)


def test_the_command_line_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``$ crpm …`` line of docs/cli.md runs, in order, and succeeds."""
    import contextlib
    import io
    import shlex

    from crpm_core.cli import main

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    lines = [line[2:] for line in text.splitlines() if line.startswith("$ crpm ")]
    assert len(lines) >= 4
    monkeypatch.chdir(tmp_path)
    for line in lines:
        command, _, redirect = line.partition(" > ")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(shlex.split(command)[1:]) == 0, line
        if redirect:
            (tmp_path / redirect.strip()).write_text(out.getvalue(), encoding="utf-8")
    assert (tmp_path / "customers.csv").read_text(encoding="utf-8").startswith("name,email,phone")
    assert (tmp_path / "months.csv").read_text(encoding="utf-8").count("\n") >= 2
