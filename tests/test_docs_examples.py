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


def test_the_readme_example_runs_and_prints_what_it_says(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## The library in a script\s+```python\n(.*?)```", readme, re.S)
    assert block is not None
    script = tmp_path / "readme_example.py"
    script.write_text(block.group(1), encoding="utf-8")
    test_example_runs_and_prints_what_it_says(script, tmp_path)
