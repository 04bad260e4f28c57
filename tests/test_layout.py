"""The layout holds: our domain packages are the ones imported (``events`` is also a PyPI name), and
imports run one way: podium kernel ← events ← registration ← sessions ← badges."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ORDER = ["podium", "events", "registration", "sessions", "badges"]
COMPOSITION_ROOT = {
    "podium/app.py",
    "podium/cli.py",
    "podium/demo.py",
    "podium/demo_catalog.py",
    "podium/demo_program.py",
    "podium/demo_agendas.py",
    "podium/demo_badges.py",
    "podium/models.py",
    "podium/__main__.py",
}


@pytest.mark.parametrize("package", ORDER)
def test_domain_packages_come_from_this_repository(package: str) -> None:
    module = importlib.import_module(package)

    assert Path(module.__file__ or "").resolve().parent == REPO / package


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_imports_run_one_way() -> None:
    violations = []
    for package in ORDER:
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            if relative in COMPOSITION_ROOT:
                continue
            allowed = set(ORDER[: ORDER.index(package) + 1])
            for name in _imports(path):
                top = name.split(".")[0]
                if name in {
                    "podium.app",
                    "podium.cli",
                    "podium.demo",
                    "podium.demo_catalog",
                    "podium.demo_program",
                    "podium.demo_agendas",
                    "podium.demo_badges",
                    "podium.models",
                }:
                    violations.append(f"{relative} imports the composition root {name}")
                elif top in ORDER and top not in allowed:
                    violations.append(f"{relative} imports {name}, a later domain")

    assert violations == []
