"""docs/api.md's examples run, in order, against a live ``crpm-ui``, and answer what the page
shows (``…`` stands for anything)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.api.live import REPO, app_env, running_app

PAGE = REPO / "docs" / "api.md"
DOCS_BASE = "http://127.0.0.1:8080"
MARK = "@@end-of-example@@"


def examples(text: str) -> list[tuple[str, list[str]]]:
    """``$ command`` lines of the console blocks, each with the lines it shows as output."""
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif line.strip():
                found[-1][1].append(line)
    return found


def matches(shown: Any, got: Any) -> bool:
    if isinstance(shown, str) and "…" in shown:
        if shown == "…":
            return True
        if not isinstance(got, str):
            return False
        parts = [re.escape(p) for p in shown.split("…")]
        return re.fullmatch(".*".join(parts), got, re.S) is not None
    if isinstance(shown, dict):
        return (
            isinstance(got, dict)
            and shown.keys() == got.keys()
            and all(matches(shown[k], got[k]) for k in shown)
        )
    if isinstance(shown, list):
        return (
            isinstance(got, list)
            and len(shown) == len(got)
            and all(matches(a, b) for a, b in zip(shown, got, strict=True))
        )
    return bool(shown == got) and type(shown) is type(got)


def test_the_page_has_examples_of_every_kind() -> None:
    found = examples(PAGE.read_text(encoding="utf-8"))
    assert len(found) >= 12
    commands = " ".join(c for c, _ in found)
    for needle in ("crpm user token", "-X POST", "/orders", "/reports/", "/audit", "/receipt"):
        assert needle in commands


def test_the_curl_examples_answer_what_the_page_shows(tmp_path: Path) -> None:
    found = examples(PAGE.read_text(encoding="utf-8"))
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    with running_app(db, tmp_path) as base:
        script = ["set -u"]
        for command, _ in found:
            script += [command.replace(DOCS_BASE, base), f"echo '{MARK}' $?"]
        done = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            cwd=tmp_path,
            env=app_env({"CRPM_DATABASE_URL": db}),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    outputs = done.stdout.split(f"{MARK} ")
    assert len(outputs) == len(found) + 1, done.stdout
    for i, (command, shown) in enumerate(found):
        raw = outputs[i].split("\n", 1)[1] if i else outputs[i]
        status = int(outputs[i + 1].split("\n", 1)[0])
        assert status == 0, f"{command} exited {status}: {raw}\n{done.stderr}"
        if not shown:
            assert raw.strip() == "", (command, raw)
            continue
        if not shown[0].startswith(("{", "[")):
            assert raw.splitlines() == shown, command
            continue
        expected = json.loads("\n".join(shown))
        got = json.loads(raw)
        assert matches(expected, got), f"{command}\n shows {expected}\n gave  {got}"
    assert (tmp_path / "receipt-1.pdf").read_bytes().startswith(b"%PDF")
