"""House style that a test can read from the code: short module docstrings."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "django_six_demos"
MAX_DOCSTRING_LINES = 4


def long_docstrings(root: Path) -> dict[str, int]:
    """Modules (migrations and empty __init__ files aside) whose docstring is missing or too long."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts or (path.name == "__init__.py" and not path.read_text()):
            continue
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        lines = len(docstring.splitlines())
        if not 1 <= lines <= MAX_DOCSTRING_LINES:
            found[str(path.relative_to(root))] = lines
    return found


def test_module_docstrings_are_short():
    assert long_docstrings(SRC) == {}


def test_a_long_or_missing_docstring_is_found(tmp_path):
    (tmp_path / "essay.py").write_text('"""One.\n\nTwo.\nThree.\nFour."""\n')
    (tmp_path / "bare.py").write_text("x = 1\n")
    (tmp_path / "fine.py").write_text('"""What this shows.\n\nWhy."""\n')
    assert long_docstrings(tmp_path) == {"bare.py": 0, "essay.py": 5}
