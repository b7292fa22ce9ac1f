"""Architecture rules: demos never import each other; only compat reads the version."""

from __future__ import annotations

import ast
from pathlib import Path

import django_six_demos
from django_six_demos.conf import DEMOS

PACKAGE = Path(django_six_demos.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_every_demo_is_a_package_with_its_own_app_config():
    for demo in DEMOS:
        assert (PACKAGE / demo / "apps.py").is_file()
        assert f'label = "django_six_demos_{demo}"' in (PACKAGE / demo / "apps.py").read_text()


def test_demos_never_import_each_other():
    offences = []
    for demo in DEMOS:
        others = {f"django_six_demos.{other}" for other in DEMOS if other != demo}
        for path in (PACKAGE / demo).rglob("*.py"):
            for module in imported_modules(path):
                if any(module == other or module.startswith(f"{other}.") for other in others):
                    offences.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert offences == []


def test_only_compat_reads_the_django_version():
    readers = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "compat.py" and "django.VERSION" in path.read_text()
    ]
    assert readers == []
