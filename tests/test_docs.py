"""The docs stay true to the code: check IDs, included files, chapters, demo users."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from django_six_demos.conf import DEMOS
from django_six_demos.conference.management.commands.demos_seed import DEMO_USERS

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
SOURCE = REPO / "src" / "django_six_demos"

CHECK_ID = re.compile(r"django_six_demos\.[EW]\d{3}")


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def normalise(text: str) -> str:
    return " ".join(text.split())


# -- Directives ----------------------------------------------------------------

_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. (?P<name>[\w:-]+)::(?:[ \t]+(?P<argument>.*))?$")
_OPTION = re.compile(r"^\s+:(?P<name>[\w-]+):(?:\s+(?P<value>.*))?$")


@dataclass
class Directive:
    path: Path
    line: int
    name: str
    argument: str
    options: dict[str, str] = field(default_factory=dict)
    content: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def directives(path: Path, name: str) -> list[Directive]:
    """Return the ``.. name::`` directives of an .rst file, with options and content."""
    lines = read(path).splitlines()
    found = []
    for number, line in enumerate(lines):
        match = _DIRECTIVE.match(line)
        if not match or match["name"] != name:
            continue
        directive = Directive(path, number + 1, name, (match["argument"] or "").strip())
        indent = len(match["indent"])
        body = number + 1
        while body < len(lines) and (option := _OPTION.match(lines[body])):
            directive.options[option["name"]] = (option["value"] or "").strip()
            body += 1
        while body < len(lines) and (
            not lines[body].strip() or len(lines[body]) - len(lines[body].lstrip()) > indent
        ):
            directive.content.append(lines[body])
            body += 1
        found.append(directive)
    return found


def rst_files() -> list[Path]:
    return sorted(path for path in DOCS.rglob("*.rst") if "_build" not in path.parts)


def all_literalincludes() -> list[Directive]:
    return [include for path in rst_files() for include in directives(path, "literalinclude")]


def test_the_docs_have_literalincludes():
    # Guards the parametrised tests below against finding nothing to check.
    assert len(all_literalincludes()) > 10


# -- 1. Checks -----------------------------------------------------------------


def check_sections() -> dict[str, str]:
    """Return the text of each check's section of checks.rst, by check ID."""
    text = read(DOCS / "reference" / "checks.rst")
    heading = re.compile(r"^``(django_six_demos\.[EW]\d{3})``\n=+$", re.MULTILINE)
    matches = list(heading.finditer(text))
    return {
        match[1]: text[match.end() : following.start() if following else len(text)]
        for match, following in zip(matches, [*matches[1:], None], strict=True)
    }


def check_modules() -> list[Path]:
    """The site's checks, each demo's, and DemoConfig's (E020)."""
    return [*sorted(SOURCE.rglob("checks.py")), SOURCE / "demo.py"]


def defined_check_ids() -> set[str]:
    return {check_id for path in check_modules() for check_id in CHECK_ID.findall(read(path))}


def test_every_check_id_in_the_source_is_documented():
    documented = set(CHECK_ID.findall(read(DOCS / "reference" / "checks.rst")))

    assert defined_check_ids() - documented == set()


def test_every_check_id_has_its_own_section():
    assert set(check_sections()) == defined_check_ids()


def test_every_documented_check_id_exists():
    mentioned = {
        check_id
        for path in [*rst_files(), REPO / "README.md"]
        for check_id in CHECK_ID.findall(read(path))
    }

    assert mentioned - defined_check_ids() == set()


def _string_constants(tree: ast.Module) -> dict[str, str]:
    return {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _fixed_parts(node: ast.expr | None, constants: dict[str, str]) -> list[str]:
    """Return the parts of a message that do not depend on the install."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [
            part
            for value in node.values
            for part in (
                [value.value]
                if isinstance(value, ast.Constant) and isinstance(value.value, str)
                else _fixed_parts(value.value, constants)
                if isinstance(value, ast.FormattedValue)
                else []
            )
        ]
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    return []


def check_messages() -> list[tuple[str, list[str]]]:
    """Return each check's ID and the fixed parts of its message and hint."""
    messages = []
    for path in check_modules():
        messages += _messages(ast.parse(read(path)))
    return messages


def _messages(tree: ast.Module) -> list[tuple[str, list[str]]]:
    constants = _string_constants(tree)
    messages = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("Error", "Warning")
        ):
            continue
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        check_id = keywords["id"]
        assert isinstance(check_id, ast.Constant) and isinstance(check_id.value, str)
        parts = _fixed_parts(node.args[0], constants) + _fixed_parts(keywords["hint"], constants)
        messages.append((check_id.value, parts))
    return messages


def test_each_check_section_quotes_its_message_and_hint():
    sections = {check_id: normalise(text) for check_id, text in check_sections().items()}
    messages = check_messages()
    assert {check_id for check_id, _ in messages} == defined_check_ids()

    missing = [
        f"{check_id}: {part!r}"
        for check_id, parts in messages
        for part in map(normalise, parts)
        if part and part not in sections[check_id]
    ]
    assert missing == []


# -- 2. Included files ---------------------------------------------------------


def include_target(include: Directive) -> Path:
    return (include.path.parent / include.argument).resolve()


@pytest.mark.parametrize("include", all_literalincludes(), ids=str)
def test_literalinclude_target_is_a_file_in_the_repository(include):
    assert not include.argument.startswith("/"), f"{include}: use a path relative to the page"
    target = include_target(include)
    assert target.is_relative_to(REPO), f"{include}: {include.argument} is outside the repo"
    assert target.is_file(), f"{include}: {include.argument} does not exist"
    # Line numbers drift as code changes; :pyobject: and markers move with it.
    assert "lines" not in include.options, f"{include}: use :pyobject: or markers, not :lines:"


def _object_lines(tree: ast.Module, dotted_name: str) -> tuple[int, int] | None:
    body: list[ast.stmt] = tree.body
    node: ast.stmt | None = None
    for name in dotted_name.split("."):
        node = next(
            (
                child
                for child in body
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and child.name == name
            ),
            None,
        )
        if node is None:
            return None
        body = node.body
    assert node is not None and node.end_lineno is not None
    return node.lineno, node.end_lineno


MARKERS = {"pyobject", "start-after", "start-at", "end-before", "end-at"}


@pytest.mark.parametrize(
    "include",
    [include for include in all_literalincludes() if set(include.options) & MARKERS],
    ids=str,
)
def test_literalinclude_object_and_markers_exist(include):
    target = include_target(include)
    lines = read(target).splitlines()

    if pyobject := include.options.get("pyobject"):
        span = _object_lines(ast.parse(read(target)), pyobject)
        assert span is not None, f"{include}: no {pyobject} in {include.argument}"
        lines = lines[span[0] - 1 : span[1]]
    # As Sphinx reads them: from the first line containing the start text (after
    # it, or at it), to the first line after that containing the end text.
    for option, skip in (("start-after", 1), ("start-at", 0)):
        if marker := include.options.get(option):
            starts = [number for number, line in enumerate(lines) if marker in line]
            assert starts, f"{include}: {marker!r} not in {include.argument}"
            lines = lines[starts[0] + skip :]
    for option, keep in (("end-before", 0), ("end-at", 1)):
        if marker := include.options.get(option):
            ends = [number for number, line in enumerate(lines) if marker in line]
            assert ends, f"{include}: {marker!r} not found after the start in {include.argument}"
            lines = lines[: ends[0] + keep]
    assert any(line.strip() for line in lines), f"{include}: the excerpt is empty"


# -- 3. Tutorial chapters ------------------------------------------------------


def toctree_entries(path: Path) -> list[str]:
    return [
        line.strip()
        for toctree in directives(path, "toctree")
        for line in toctree.content
        if line.strip()
    ]


def test_every_demo_has_a_tutorial_chapter_in_the_toctree_in_order():
    entries = toctree_entries(DOCS / "tutorial" / "index.rst")
    chapters = []
    for demo in DEMOS:
        [chapter] = sorted((DOCS / "tutorial").glob(f"*-{demo}.rst"))
        chapters.append(chapter.stem)

    assert entries[0] == "00-start"
    assert [entry for entry in entries if entry in chapters] == chapters
    assert all((DOCS / "tutorial" / f"{entry}.rst").is_file() for entry in entries)


# -- 4. Demo users -------------------------------------------------------------


def list_table_rows(table: Directive) -> list[list[str]]:
    """Return a list-table's rows as lists of cell texts (inline markup kept)."""
    rows: list[list[str]] = []
    for line in table.content:
        stripped = line.strip()
        if stripped.startswith("* - "):
            rows.append([stripped[4:]])
        elif stripped.startswith("- ") and rows:
            rows[-1].append(stripped[2:])
        elif stripped and rows:
            rows[-1][-1] += " " + stripped
    return rows


def literal(cell: str) -> str:
    assert cell.startswith("``") and cell.endswith("``"), cell
    return cell[2:-2]


def test_start_chapter_lists_the_seeded_demo_users():
    [table] = [
        table
        for table in directives(DOCS / "tutorial" / "00-start.rst", "list-table")
        if table.options.get("name") == "demo-users"
    ]
    header, *rows = list_table_rows(table)

    assert header == ["Username", "Password", "Role"]
    assert [(literal(user), literal(password)) for user, password, _ in rows] == [
        (user.username, user.password) for user in DEMO_USERS
    ]
    for (_, _, role), user in zip(rows, DEMO_USERS, strict=True):
        assert role.startswith("staff") == user.is_staff, role
        assert user.speaker_name is None or user.speaker_name in role, role


# -- Reference and index -------------------------------------------------------


def public_functions(path: Path) -> set[str]:
    return {
        node.name
        for node in ast.parse(read(path)).body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    }


@pytest.mark.parametrize(
    ("module", "page"),
    [("conf.py", "settings.rst"), ("compat.py", "compat.rst")],
)
def test_reference_documents_every_public_function(module, page):
    documented = {
        directive.argument.rpartition(".")[2]
        for directive in directives(DOCS / "reference" / page, "autofunction")
    }

    assert public_functions(SOURCE / module) - documented == set()


def test_compat_reference_documents_every_version_flag():
    flags = set(re.findall(r"^(HAS_\w+): Final", read(SOURCE / "compat.py"), re.MULTILINE))
    documented = {
        directive.argument
        for directive in directives(DOCS / "reference" / "compat.rst", "autodata")
    }

    assert flags
    assert flags - documented == set()


def _version_range(pattern: str, text: str) -> str:
    versions = sorted(re.findall(pattern, text), key=lambda v: tuple(map(int, v.split("."))))
    return f"{versions[0]} to {versions[-1]}"


def test_index_states_the_supported_versions_from_the_classifiers():
    pyproject = read(REPO / "pyproject.toml")
    python = _version_range(r'"Programming Language :: Python :: (3\.\d+)"', pyproject)
    django = _version_range(r'"Framework :: Django :: (\d+\.\d+)"', pyproject)
    index = read(DOCS / "index.rst")

    assert f"\nPython {python} supported.\n" in index
    assert f"\nDjango {django} supported.\n" in index
