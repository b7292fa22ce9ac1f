"""The package declares exactly the distributions that src/ imports at runtime."""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

# tomllib is in the standard library from Python 3.11.
tomllib = pytest.importorskip("tomllib")

SRC = Path(__file__).resolve().parent.parent / "src" / "django_six_demos"
PYPROJECT = SRC.parent.parent / "pyproject.toml"
# Imported only on the line or with the setting that needs them: the backports
# (the "backports" extra, Django 5.2), RQ (the documented scale-out install) and
# the API room's packages (the "api" extra).
OPTIONAL = {
    "django-csp",
    "django-tasks",
    "django-template-partials",
    "django-tasks-rq",
    "django-rq",
    # The "api" extra: the API room, left out of the URLs (E020) without it.
    "djangorestframework",
    "django-ninja",
    "msgspec",
    # Django Ninja's own dependencies, which the room's Ninja module imports too.
    "pydantic",
    "pydantic_core",  # as its metadata spells it
}


def _name(requirement: str) -> str:
    return re.split(r"[<>=;\[ ]", requirement, maxsplit=1)[0].lower()


def imported_distributions(root: Path) -> set[str]:
    modules = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    owners = metadata.packages_distributions()
    found = set()
    for module in modules - set(sys.stdlib_module_names) - {"django_six_demos"}:
        found |= {d.lower() for d in owners.get(module, [])}
    return found


def declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    extras = {_name(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    return {_name(r) for r in project["dependencies"]}, extras


def test_runtime_dependencies_are_what_src_imports():
    runtime, extras = declared()
    imported = imported_distributions(SRC)
    assert imported - OPTIONAL - runtime == set(), "imported but not declared"
    assert runtime - imported == set(), "declared but never imported by src/"
    assert extras <= OPTIONAL


def test_an_undeclared_import_is_found(tmp_path):
    (tmp_path / "mod.py").write_text("import whitenoise\nfrom os import path\n")
    assert imported_distributions(tmp_path) == {"whitenoise"}
