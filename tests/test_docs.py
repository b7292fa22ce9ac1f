"""The docs stay true to the code: check IDs, includes, chapters, demo users, figures, room links."""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
from django.apps import apps
from django.test import override_settings
from django.urls import reverse

from django_six_demos import conf
from django_six_demos.conf import DEMOS
from django_six_demos.conference.management.commands.demos_seed import DEMO_USERS
from django_six_demos.demo import DEFAULT_DOCS_URL, DemoConfig, installed_demos

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


# -- 5. Figures ----------------------------------------------------------------
#
# performance.rst opens with one table, the one source of the benchmarks'
# figures. Anywhere else in the docs and the READMEs, a number with a
# benchmark's unit (a ratio "2x" or "2 times", ms, µs, %, "/s" or "per
# second") must be a goal or a measured value of that table, exactly: a figure
# that drifts from it, or a new one, fails. Code, literals and URLs are not
# prose and are not checked.

PERFORMANCE = DOCS / "performance.rst"
PERFORMANCE_RUNS = DOCS / "performance-runs.rst"  # the recorded runs, the table's evidence
READMES = [REPO / "README.md", REPO / "example_project" / "README.md"]
BENCHMARKS = REPO / "benchmarks"

FIGURES_HEADER = ["Figure", "Goal", "Measured", "Verdict", "Re-run"]
FIGURE_KEY = re.compile(r"``(?P<key>[a-z]+(?:-[a-z0-9]+)+)``: \S")
RERUN = re.compile(r"``python -m benchmarks\.(?P<module>\w+)``")

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_UNITS = {
    "x": r"(?:x|×)(?!\w)|times\b",
    "ms": r"ms\b",
    "µs": r"(?:µs|us)\b",
    "%": r"%",
    # Memory per open stream; other KiB (a setting's size, a limit) are not measured figures.
    "KiB": r"KiB per (?:open )?stream\b",
    "/s": r"(?:req|reads|writes|creates|commits|tasks)?/s\b"
    r"|(?:requests|reads|writes|creates|commits|tasks) (?:per|a) second\b",
}
_QUANTITY = re.compile(
    rf"(?<![\w.,])[+-]?(?P<low>{_NUMBER})(?:(?: ?[-–] ?| to )(?P<high>{_NUMBER}))? ?"
    rf"(?P<unit>{'|'.join(f'(?P<u{index}>{unit})' for index, unit in enumerate(_UNITS.values()))})"
)
_UNIT_NAMES = list(_UNITS)

Quantity = tuple[float, str]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def quantities(text: str) -> list[tuple[Quantity, str]]:
    """Each number with a benchmark's unit in ``text``, normalised, with the text it came from.

    ``"1,131 tasks/s"`` is ``(1131.0, "/s")``, ``"4.7 times"`` ``(4.7, "x")``; a range,
    ``"17-30 %"``, gives both ends.
    """
    found = []
    for match in _QUANTITY.finditer(" ".join(text.split())):
        [unit] = [name for index, name in enumerate(_UNIT_NAMES) if match[f"u{index}"]]
        for end in ("low", "high"):
            if match[end]:
                found.append(((_number(match[end]), unit), match[0]))
    return found


_CODE_DIRECTIVES = {"code-block", "code", "sourcecode", "literalinclude", "parsed-literal"}


def _block_end(lines: list[str], start: int) -> int:
    """The line after the indented block that follows ``lines[start]``."""
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
    ):
        end += 1
    return end


def prose(text: str, *, markdown: bool = False, skip_tables: tuple[str, ...] = ()) -> str:
    """``text`` without code blocks, inline literals and URLs (and the list-tables named)."""
    if markdown:
        text = re.sub(r"^(```|~~~).*?^\1", "", text, flags=re.MULTILINE | re.DOTALL)
        text = re.sub(r"`[^`]*`", "", text)
    else:
        lines = text.splitlines()
        kept: list[str] = []
        number = 0
        while number < len(lines):
            line = lines[number]
            directive = _DIRECTIVE.match(line)
            named = (
                directive is not None
                and directive["name"] == "list-table"
                and any(
                    option.strip() in {f":name: {name}" for name in skip_tables}
                    for option in lines[number + 1 : _block_end(lines, number)]
                )
            )
            literal_block = line.rstrip().endswith("::") and directive is None
            if (directive and directive["name"] in _CODE_DIRECTIVES) or named or literal_block:
                if literal_block:
                    kept.append(line)
                number = _block_end(lines, number)
                continue
            kept.append(line)
            number += 1
        text = "\n".join(kept)
        text = re.sub(r"``.+?``", "", text, flags=re.DOTALL)
    return re.sub(r"<https?://[^>]*>|https?://\S+", "", text)


@dataclass(frozen=True)
class FigureRow:
    key: str
    figure: str
    goal: str
    measured: str
    verdict: str
    rerun: str

    @property
    def module(self) -> str:
        match = RERUN.fullmatch(self.rerun)
        assert match, f"{self.key}: re-run with ``python -m benchmarks.<name>``, not {self.rerun}"
        return match["module"]


def figures_table() -> list[list[str]]:
    """The rows of performance.rst's list-table named ``figures``, its header first."""
    [table] = [
        table
        for table in directives(PERFORMANCE, "list-table")
        if table.options.get("name") == "figures"
    ]
    return list_table_rows(table)


def figure_rows() -> list[FigureRow]:
    header, *rows = figures_table()
    assert header == FIGURES_HEADER
    figures = []
    for figure, goal, measured, verdict, rerun in rows:
        match = FIGURE_KEY.match(figure)
        assert match, f"each Figure cell starts with its key, ``name``: ...; not {figure!r}"
        figures.append(FigureRow(match["key"], figure, goal, measured, verdict, rerun))
    return figures


def table_quantities(rows: list[FigureRow]) -> set[Quantity]:
    """Every goal and measured value of the table: what the docs may quote."""
    return {
        quantity
        for row in rows
        for cell in (row.goal, row.measured)
        for quantity, _ in quantities(prose(cell))
    }


def unmatched_figures(text: str, allowed: set[Quantity], *, markdown: bool = False) -> list[str]:
    """The figures quoted in ``text`` that are not in ``allowed``, as written."""
    return [
        written
        for quantity, written in quantities(
            prose(text, markdown=markdown, skip_tables=("figures",))
        )
        if quantity not in allowed
    ]


def quoting_pages() -> list[Path]:
    return [path for path in rst_files() if path != PERFORMANCE_RUNS] + READMES


def test_performance_opens_with_the_one_figures_table():
    tables = directives(PERFORMANCE, "list-table")
    rules = re.findall(r"^([=\-~^])\1{2,}$", read(PERFORMANCE), re.MULTILINE)

    assert [table.options.get("name") for table in tables] == ["figures"]
    assert len(rules) == 2, "the title, the table and prose: sections go to the runs page"
    # Its rows: a unique key each, a verdict, a benchmark that exists.
    rows = figure_rows()
    assert len({row.key for row in rows}) == len(rows) > 10
    for row in rows:
        assert row.verdict in {"PASS", "**FAIL**"}, row
        assert (BENCHMARKS / f"{row.module}.py").is_file(), row
        assert row.key.startswith(row.module.split("_")[0] + "-"), row


def benchmark_modules() -> list[str]:
    return sorted(
        path.stem
        for path in BENCHMARKS.glob("*.py")
        if path.stem not in {"__init__", "harness", "settings"}
    )


def goal_constants(module: str) -> set[float]:
    """The ``GOAL_*`` numbers a benchmark judges against."""
    return {
        float(node.value.value)
        for node in ast.parse(read(BENCHMARKS / f"{module}.py")).body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.startswith("GOAL_")
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, (int, float))
    }


def as_constant(quantity: Quantity) -> set[float]:
    """How a goal may be written in a benchmark's code: 50 % as 50.0 or 0.5."""
    value, unit = quantity
    return {value, value / 100} if unit == "%" else {value}


@pytest.mark.parametrize("module", benchmark_modules())
def test_the_table_states_each_benchmarks_goals(module):
    rows = [row for row in figure_rows() if row.module == module]
    goals = [quantity for row in rows for quantity, _ in quantities(prose(row.goal))]
    constants = goal_constants(module)

    assert rows, f"benchmarks/{module}.py has no row in the figures table"
    stated = set().union(*map(as_constant, goals))
    assert constants - stated == set(), "a goal the benchmark judges is not in the table"
    assert [goal for goal in goals if not as_constant(goal) & constants] == [], (
        "the table states a goal the benchmark does not judge"
    )


def verdict(goal: str, measured: str) -> str | None:
    """PASS or **FAIL** for a ``>= N unit`` or ``<= N unit`` goal, from the main measured part."""
    match = re.match(r"(>=|<=) ", goal)
    goal_quantities = quantities(prose(goal))
    if not match or not goal_quantities:
        return None
    (target, unit), _ = goal_quantities[0]
    main = re.split(r" \(|;", measured, maxsplit=1)[0]
    values = [value for (value, found), _ in quantities(prose(main)) if found == unit]
    assert values, f"{measured!r} has no figure in {unit}"
    met = all(value >= target if match[1] == ">=" else value <= target for value in values)
    return "PASS" if met else "**FAIL**"


def test_each_verdict_follows_from_its_goal_and_measured_figure():
    wrong = [
        row.key
        for row in figure_rows()
        if (expected := verdict(row.goal, row.measured)) is not None and expected != row.verdict
    ]
    assert wrong == []


def recorded_runs(prefix: str) -> str:
    """The section of the runs page labelled ``performance-<prefix>``: one benchmark's runs."""
    sections = re.split(r"^\.\. _(performance-[\w-]+):$", read(PERFORMANCE_RUNS), flags=re.M)
    return dict(zip(sections[1::2], sections[2::2], strict=True))[f"performance-{prefix}"]


def test_each_measured_figure_comes_from_its_benchmarks_recorded_run():
    missing = []
    for row in figure_rows():
        runs = recorded_runs(row.key.split("-")[0])
        recorded = {_number(number) for number in re.findall(_NUMBER, runs)}
        missing += [
            f"{row.key}: {number}"
            for number in re.findall(_NUMBER, prose(row.measured))
            if _number(number) not in recorded
        ]
    assert missing == []


@pytest.mark.parametrize("page", quoting_pages(), ids=lambda path: str(path.relative_to(REPO)))
def test_figures_quoted_in_the_docs_are_the_tables(page):
    allowed = table_quantities(figure_rows())

    assert unmatched_figures(read(page), allowed, markdown=page.suffix == ".md") == []


def test_a_figure_that_differs_from_the_table_fails():
    allowed = table_quantities(figure_rows())
    page = """\
Figures
=======

``--interval 0.1`` polls ten times a second: about 56 ms from enqueue to start
and ~3 % of a core while idle (the default, 1 second, gives ~620
ms). Commits: about 48 times the defaults'. Throughput: 1,131/s, p50 53.7 ms.

.. list-table::

   * - ``synchronous``
     - 17-30 % more requests per second, 6.47x the creates

.. code-block:: console

   $ wrk --latency -d 99s   # 12 ms, 13 %: code, not a quoted figure

Inline code is not prose either: ``delay:300ms``.
"""
    readme = "Idle: `--interval 0.1` (~56 ms to run).\n\n```console\n$ 999 ms\n```\n"

    # Each end of a range is checked: 17-30 % fails twice.
    assert unmatched_figures(page, allowed) == [
        "56 ms",
        "3 %",
        "620 ms",
        "48 times",
        "17-30 %",
        "17-30 %",
    ]
    assert unmatched_figures(readme, allowed, markdown=True) == ["56 ms"]
    assert quantities("4.73 times, 4.73x and 65,268 reads per second") == [
        ((4.73, "x"), "4.73 times"),
        ((4.73, "x"), "4.73x"),
        ((65268.0, "/s"), "65,268 reads per second"),
    ]


def test_no_issue_numbers_in_the_docs():
    mentioned = [
        f"{path.relative_to(REPO)}: {match[0]}"
        for path in rst_files()
        for match in re.finditer(r"\bissues? \d+", read(path))
    ]
    assert mentioned == []


# -- 6. The SQLite recommendation ----------------------------------------------


def test_the_sqlite_how_to_leads_with_the_recommendation_and_it_runs(tmp_path):
    from django_six_demos.sqlite.database import sqlite_database

    page = DOCS / "howto" / "sqlite-in-production.rst"
    [first, *_] = directives(page, "code-block")
    namespace: dict[str, object] = {"BASE_DIR": tmp_path}
    exec(textwrap.dedent("\n".join(first.content)), namespace)  # noqa: S102 - our own docs

    assert first.argument == "python"
    assert first.line < min(include.line for include in directives(page, "literalinclude"))
    assert namespace["DATABASES"] == {"default": sqlite_database(tmp_path)}
    assert any(
        include.options.get("start-after") == "# [sqlite-database]"
        and include_target(include) == SOURCE / "sqlite" / "database.py"
        for include in directives(page, "literalinclude")
    )


# -- Room pages link to their chapter and to Django's docs ------------------------

DJANGO_DOCS = "https://docs.djangoproject.com/en/"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links(html: str) -> list[str]:
    """The ``href`` of every ``<a>`` in ``html``, unescaped as a browser reads them."""
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def room(demo: str) -> DemoConfig:
    config = apps.get_app_config(conf.DEMO_CONFIGS[demo].label)
    assert isinstance(config, DemoConfig)
    return config


def docs_links_missing(
    config: DemoConfig, page: str, docs_url: str = DEFAULT_DOCS_URL
) -> list[str]:
    """What the room's page lacks: a chapter that exists and a link to it, Django's docs."""
    hrefs = links(page)
    missing = []
    if not config.chapter:
        missing.append(f"{config.label} names no tutorial chapter")
    elif not (DOCS / f"{config.chapter}.rst").is_file():
        missing.append(f"{config.label}'s chapter docs/{config.chapter}.rst does not exist")
    elif f"{docs_url}{config.chapter}.html" not in hrefs:
        missing.append(f"the {config.label} page does not link to {config.chapter}")
    if not config.django_docs.startswith(DJANGO_DOCS):
        missing.append(f"{config.label} names no page of Django's docs")
    elif config.django_docs not in hrefs:
        missing.append(f"the {config.label} page does not link to Django's docs")
    if config.is_django_feature and config.release_notes not in hrefs:
        missing.append(f"the {config.label} page does not link to Django's release notes")
    return missing


def test_the_tests_see_every_room():
    assert sorted(demo.slug for demo in installed_demos()) == sorted(conf.DEMOS)


@pytest.mark.parametrize("demo", conf.DEMOS)
def test_each_room_names_its_own_chapter(demo):
    [chapter] = sorted((DOCS / "tutorial").glob(f"*-{demo}.rst"))

    assert room(demo).chapter == f"tutorial/{chapter.stem}"


@pytest.mark.django_db
@pytest.mark.parametrize("demo", conf.DEMOS)
def test_each_room_page_links_its_chapter_and_djangos_docs(client, demo):
    config = room(demo)

    page = client.get(reverse(config.url_name))

    assert page.status_code == 200
    assert docs_links_missing(config, page.text) == []


@pytest.mark.django_db
@override_settings(DJANGO_SIX_DEMOS_DOCS_URL="https://docs.example/demos")
def test_the_chapter_links_follow_the_docs_url_setting(client):
    config = room(conf.DEMOS[0])

    page = client.get(reverse(config.url_name)).text

    assert f"https://docs.example/demos/{config.chapter}.html" in links(page)
    assert docs_links_missing(config, page, docs_url="https://docs.example/demos/") == []


def test_django_features_link_release_notes_and_packages_their_docs():
    for demo in conf.DEMOS:
        config = room(demo)
        if config.is_django_feature:
            assert config.release_notes.startswith(f"{DJANGO_DOCS}{config.added_in}/releases/")
        else:
            assert config.package_docs, f"{demo} shows a package but links no docs of it"


# -- The check can fail ----------------------------------------------------------


@pytest.mark.django_db
def test_a_room_without_a_chapter_fails(client):
    config = room(conf.DEMOS[0])
    chapter_url = config.chapter_url

    with mock.patch.object(type(config), "chapter", ""):
        page = client.get(reverse(config.url_name)).text

        assert docs_links_missing(config, page) == [f"{config.label} names no tutorial chapter"]
    # The page then links no chapter (the header still links the tutorial's contents).
    assert chapter_url not in links(page)
    assert DEFAULT_DOCS_URL + "tutorial/index.html" in links(page)


@pytest.mark.django_db
def test_a_chapter_missing_from_the_docs_fails(client):
    config = room(conf.DEMOS[0])

    with mock.patch.object(type(config), "chapter", "tutorial/99-nowhere"):
        page = client.get(reverse(config.url_name)).text

        assert docs_links_missing(config, page) == [
            f"{config.label}'s chapter docs/tutorial/99-nowhere.rst does not exist"
        ]


@pytest.mark.django_db
@pytest.mark.parametrize("demo", conf.DEMOS)
def test_a_room_page_without_the_links_fails(client, demo):
    config = room(demo)
    page = client.get(reverse(config.url_name)).text

    stripped = re.sub(r'<ul class="read-more".*?</ul>', "", page, flags=re.DOTALL)

    assert stripped != page
    assert f"the {config.label} page does not link to {config.chapter}" in docs_links_missing(
        config, stripped
    )
    assert f"the {config.label} page does not link to Django's docs" in docs_links_missing(
        config, stripped
    )
