"""The layers keep to themselves: the domain imports no storage or UI code, and the library
imports no UI code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).parent.parent.parent / "crpm_core"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((CORE / "domain").glob("*.py")), ids=lambda p: p.name)
def test_the_domain_imports_only_the_domain_and_the_errors(path: Path) -> None:
    for name in _imports(path):
        top = name.split(".")[0]
        assert top not in {"sqlalchemy", "alembic", "nicegui", "crpm_ui"}, name
        if top == "crpm_core":
            assert name.startswith(("crpm_core.domain", "crpm_core.errors")), name


@pytest.mark.parametrize("module", ["crpm_core", "crpm_core.cli", "crpm_core.transfer"])
def test_the_library_loads_no_ui(module: str) -> None:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert "nicegui" not in loaded
    assert "crpm_ui" not in loaded
