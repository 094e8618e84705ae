"""The house's walls: the import-linter contracts of pyproject.toml hold (the domain imports
no storage or UI, crpm_core's layers point one way, crpm_ui uses only crpm_core's public
modules, no page imports another), and at run time the library loads no UI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent


def test_the_import_contracts_are_kept() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint is not None, "import-linter is a test dependency: pip install -e '.[test]'"
    done = subprocess.run(
        [lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout
    assert done.stdout.count("KEPT") >= 5


def test_a_broken_contract_is_caught(tmp_path: Path) -> None:
    """The check can fail: a page that imports another page breaks it."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint is not None
    fake = tmp_path / "pages"
    (fake / "pages" / "modules").mkdir(parents=True)
    (fake / "pages" / "__init__.py").write_text("")
    (fake / "pages" / "modules" / "__init__.py").write_text("")
    (fake / "pages" / "modules" / "one.py").write_text("from pages.modules import two\n")
    (fake / "pages" / "modules" / "two.py").write_text("X = 1\n")
    (fake / ".importlinter").write_text(
        "[importlinter]\nroot_package = pages\n\n"
        "[importlinter:contract:1]\nname = pages\ntype = independence\n"
        "modules = pages.modules.*\n"
    )
    env = {"PYTHONPATH": str(fake), "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run(
        [lint, "--no-cache"], cwd=fake, capture_output=True, text=True, check=False, env=env
    )
    assert done.returncode != 0 and "BROKEN" in done.stdout


@pytest.mark.parametrize("module", ["crpm_core", "crpm_core.cli", "crpm_core.transfer"])
def test_the_library_loads_no_ui(module: str) -> None:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert "nicegui" not in loaded
    assert "crpm_ui" not in loaded


@pytest.mark.parametrize("module", ["crpm_core", "crpm_core.cli"])
def test_the_library_and_its_command_line_load_no_printing_and_no_server_driver(
    module: str,
) -> None:
    """Every ``crpm`` command (an import runs three) starts without fpdf2, which pulls numpy
    in, and without psycopg: they load when a PDF is printed or PostgreSQL connects."""
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert not loaded & {"fpdf", "numpy", "psycopg"}, loaded & {"fpdf", "numpy", "psycopg"}
