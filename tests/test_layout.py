"""The layout holds where import-linter can't look: our packages are the ones imported (``events`` is also a
PyPI name), and its contracts ([tool.importlinter] in pyproject.toml, run by scripts/test) cover every
package in the repository, so a new domain can't sit outside the layers unnoticed."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
ROOT_PACKAGES = PYPROJECT["tool"]["importlinter"]["root_packages"]


@pytest.mark.parametrize("package", ROOT_PACKAGES)
def test_packages_come_from_this_repository(package: str) -> None:
    module = importlib.import_module(package)

    assert Path(module.__file__ or "").resolve().parent == REPO / package


def test_import_linter_checks_every_package() -> None:
    packages = {path.parent.name for path in REPO.glob("*/__init__.py")} - {"tests"}

    assert packages == set(ROOT_PACKAGES)
    assert set(PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]) == packages


def test_contracts_have_no_exceptions() -> None:
    contracts = PYPROJECT["tool"]["importlinter"]["contracts"]

    assert contracts
    assert all(not contract.get("ignore_imports") for contract in contracts)
