"""The shape of the house (STYLE.md), enforced: import direction and function size.

``[tool.importlinter]`` in pyproject.toml states the contracts: the domain apps form a tree
(orders -> inventory -> partners), ``webhooks`` knows no stock or order, and the shared API
plumbing in ``hotsauce/api`` imports no domain app. Cyclomatic complexity is capped at 12 by
ruff's C901 (``ruff check``, in CI). Both are shown to fail on a deliberate violation.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from importlinter import cli

ROOT = Path(__file__).resolve().parent.parent


def lint_imports() -> int:
    return cli.lint_imports(no_cache=True, no_logo=True)


def test_the_import_contracts_hold():
    assert lint_imports() == 0


@pytest.mark.parametrize("module,imports", [
    ("inventory/_architecture_probe.py", "import orders.models  # noqa: F401\n"),
    ("webhooks/_architecture_probe.py", "from inventory import services  # noqa: F401\n"),
    ("hotsauce/api/_architecture_probe.py", "import orders.services  # noqa: F401\n"),
    ("partners/_architecture_probe.py", "import inventory.models  # noqa: F401\n"),
])
def test_an_import_against_the_direction_breaks_a_contract(module, imports):
    probe = ROOT / module
    probe.write_text(imports)
    try:
        assert lint_imports() != 0
    finally:
        probe.unlink()


def test_a_function_over_complexity_12_fails_ruff(tmp_path):
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(13))
    source = tmp_path / "too_complex.py"
    source.write_text(f"def f(x):\n{branches}\n    return -1\n")
    config = ROOT / "pyproject.toml"
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "--config", str(config), "--select", "C901", str(source)],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "C901" in result.stdout
