"""Each numbered tutorial chapter opens with plain Django, from a file a test exercises.

The chapter's first code (a directive or a ``::`` block) must be a ``literalinclude`` of a
file in ``tests/tutorial/<chapter>/``, which a ``test_*.py`` there imports or loads.
Chapter 0 (``00-start``) runs the example project and shows no feature: it is exempt.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from django_six_demos.conf import DEMOS
from tests.test_docs import DOCS, REPO, Directive, directives, include_target

TUTORIAL_DOCS = DOCS / "tutorial"
TUTORIAL_TESTS = REPO / "tests" / "tutorial"
INTRODUCTION = "00-start"  # No feature of its own: it runs the example project.
CODE_DIRECTIVES = ("literalinclude", "code-block", "code", "sourcecode")
# A paragraph ending in "::" starts a literal block; a directive's "::" does not.
_LITERAL_BLOCK = re.compile(r"^(?!\s*\.\. ).*::\s*$")


def numbered_chapters() -> list[Path]:
    return [
        path for path in sorted(TUTORIAL_DOCS.glob("[0-9][0-9]-*.rst")) if path.stem != INTRODUCTION
    ]


def chapter_slug(chapter: Path) -> str:
    """``04-sqlite`` -> ``sqlite``: the name of the chapter's package under tests/tutorial."""
    return chapter.stem.split("-", 1)[1]


def first_code(chapter: Path) -> tuple[int, str, Directive | None]:
    """The line and kind of the chapter's first code, and its directive (None for ``::``)."""
    found: list[tuple[int, str, Directive | None]] = [
        (directive.line, name, directive)
        for name in CODE_DIRECTIVES
        for directive in directives(chapter, name)
    ]
    lines = chapter.read_text(encoding="utf-8").splitlines()
    found += [(n + 1, "::", None) for n, line in enumerate(lines) if _LITERAL_BLOCK.match(line)]
    assert found, f"{chapter.name} shows no code"
    return min(found, key=lambda item: item[0])


def _imported_names(test: Path, root: Path) -> set[str]:
    """Every module a test imports (``from a import b`` gives ``a`` and ``a.b``) or names in a string."""
    package = list(test.relative_to(root).parent.parts)
    names: set[str] = set()
    for node in ast.walk(ast.parse(test.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # A template name ("talks.html#row"), or a dotted path (ROOT_URLCONF).
            names.add(node.value.partition("#")[0])
    return names


def exercised_by(target: Path, package: Path, root: Path = REPO) -> list[Path]:
    """The ``test_*.py`` of ``package`` that import ``target`` (Python) or load it by name."""
    relative = target.relative_to(root)
    tests = []
    for test in sorted(package.glob("test_*.py")):
        names = _imported_names(test, root)
        if target.suffix == ".py":
            found = ".".join(relative.with_suffix("").parts) in names
        else:
            found = any(name and f"/{relative.as_posix()}".endswith(f"/{name}") for name in names)
        if found:
            tests.append(test)
    return tests


def opening_problems(chapter: Path, package: Path, root: Path = REPO) -> list[str]:
    """What keeps ``chapter`` from opening with plain Django kept in ``package`` ([] if nothing)."""
    line, kind, directive = first_code(chapter)
    where = f"{chapter.name}:{line}"
    if directive is None or kind != "literalinclude":
        return [f"{where}: the first code is a {kind}, not a literalinclude of tested code"]
    target = include_target(directive)
    if not target.is_relative_to(package):
        inside = package.relative_to(root).as_posix()
        return [f"{where}: the first code comes from {directive.argument}, not from {inside}/"]
    if not target.is_file():
        return [f"{where}: {directive.argument} does not exist"]
    if not exercised_by(target, package, root):
        return [f"{where}: no test_*.py in {package.name}/ imports or loads {target.name}"]
    return []


def test_every_demo_has_a_numbered_chapter_after_the_introduction():
    # Guards the parametrised test below against checking nothing.
    assert [chapter_slug(chapter) for chapter in numbered_chapters()] == list(DEMOS)
    assert (TUTORIAL_DOCS / f"{INTRODUCTION}.rst").is_file()


@pytest.mark.parametrize("chapter", numbered_chapters(), ids=lambda path: path.stem)
def test_the_chapter_opens_with_plain_django_from_a_tested_file(chapter):
    package = TUTORIAL_TESTS / chapter_slug(chapter)
    assert (package / "__init__.py").is_file(), f"{package} is not a package"

    assert opening_problems(chapter, package) == []


# -- The check fails when it should ------------------------------------------------


def plant(root: Path, chapter_text: str, files: dict[str, str]) -> tuple[Path, Path]:
    """A chapter under root/docs/tutorial and its package root/tests/tutorial/demo."""
    chapter = root / "docs" / "tutorial" / "09-demo.rst"
    chapter.parent.mkdir(parents=True)
    chapter.write_text(chapter_text, encoding="utf-8")
    package = root / "tests" / "tutorial" / "demo"
    (package / "templates").mkdir(parents=True)
    for name, text in files.items():
        (package / name).write_text(text, encoding="utf-8")
    return chapter, package


TITLE = "Title\n=====\n\n"
VIEWS_DIRECTIVE = ".. literalinclude:: ../../tests/tutorial/demo/views.py\n"
INCLUDE_VIEWS = TITLE + VIEWS_DIRECTIVE
INCLUDE_TEMPLATE = TITLE + ".. literalinclude:: ../../tests/tutorial/demo/templates/page.html\n"


@pytest.mark.parametrize(
    ("chapter_text", "files"),
    [
        (
            INCLUDE_VIEWS,
            {"views.py": "", "test_views.py": "from tests.tutorial.demo import views\n"},
        ),
        (INCLUDE_VIEWS, {"views.py": "", "test_views.py": "from . import views\n"}),
        (INCLUDE_VIEWS, {"views.py": "", "test_views.py": "URLS = 'tests.tutorial.demo.views'\n"}),
        (
            INCLUDE_TEMPLATE,
            {"templates/page.html": "", "test_page.py": "NAME = 'page.html#row'\n"},
        ),
    ],
)
def test_a_tested_opening_passes(tmp_path, chapter_text, files):
    chapter, package = plant(tmp_path, chapter_text, files)

    assert opening_problems(chapter, package, root=tmp_path) == []


@pytest.mark.parametrize(
    ("chapter_text", "files", "problem"),
    [
        (
            TITLE + ".. code-block:: python\n\n   x = 1\n\n" + VIEWS_DIRECTIVE,
            {"views.py": "", "test_views.py": "from tests.tutorial.demo import views\n"},
            "the first code is a code-block",
        ),
        (
            TITLE + "Run this::\n\n   x = 1\n\n" + VIEWS_DIRECTIVE,
            {"views.py": "", "test_views.py": "from tests.tutorial.demo import views\n"},
            "the first code is a ::",
        ),
        (
            TITLE + ".. literalinclude:: ../../src/views.py\n",
            {"views.py": "", "test_views.py": "from tests.tutorial.demo import views\n"},
            "not from",
        ),
        (
            INCLUDE_VIEWS,
            {"views.py": "", "test_views.py": "from tests.tutorial.demo import urls\n"},
            "no test_*.py in demo/ imports or loads views.py",
        ),
        (
            INCLUDE_VIEWS,
            {"views.py": "", "helpers.py": "from tests.tutorial.demo import views\n"},
            "no test_*.py",
        ),
        (
            INCLUDE_TEMPLATE,
            {"templates/page.html": "", "test_page.py": "NAME = 'other.html'\n"},
            "no test_*.py in demo/ imports or loads page.html",
        ),
    ],
    ids=["code-block", "literal-block", "outside", "other-module", "not-a-test", "template"],
)
def test_an_untested_opening_is_reported(tmp_path, chapter_text, files, problem):
    chapter, package = plant(tmp_path, chapter_text, files)

    [found] = opening_problems(chapter, package, root=tmp_path)
    assert problem in found
