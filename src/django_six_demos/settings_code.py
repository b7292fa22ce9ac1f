"""Settings printed as Python code, their diff, and the migration page that shows both stacks.

Each demo's "backport to core" page renders through ``django_six_demos/migrate.html``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

from django.http import HttpRequest
from django.template.response import TemplateResponse

from django_six_demos import frame
from django_six_demos.demo import DemoConfig

INDENT: Final = "    "
# Leaves room for a setting name before an inline list.
INLINE_WIDTH: Final = 72


class Code:
    """A settings value that prints as the code naming it, with the import it needs."""

    def __init__(self, code: str, imports: str) -> None:
        self.code = code
        self.imports = imports

    def __repr__(self) -> str:
        return self.code


def python_literal(value: Any, depth: int = 0) -> str:
    """Format ``value`` as ruff would: a short flat list on one line, else one item a line."""
    if value is Ellipsis:
        return "..."
    if isinstance(value, str):
        return f'"{value}"' if '"' not in value and "\\" not in value else repr(value)
    if isinstance(value, Mapping):
        brackets = "{}"
        items = [f"{python_literal(k)}: {python_literal(v, depth + 1)}" for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        brackets = "[]" if isinstance(value, list) else "()"
        items = [python_literal(item, depth + 1) for item in value]
        single = "," if isinstance(value, tuple) and len(items) == 1 else ""
        inline = f"{brackets[0]}{', '.join(items)}{single}{brackets[1]}"
        flat = not any(isinstance(item, (Mapping, list, tuple)) for item in value)
        if flat and len(INDENT * (depth + 1)) + len(inline) <= INLINE_WIDTH:
            return inline
    else:
        return repr(value)
    if not items:
        return brackets
    lines = [f"{INDENT * (depth + 1)}{item}," for item in items]
    return "\n".join([brackets[0], *lines, INDENT * depth + brackets[1]])


def imports(value: Any) -> list[str]:
    """Return the imports that the ``Code`` values inside ``value`` need, sorted."""
    if isinstance(value, Code):
        return [value.imports]
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return sorted({line for item in value for line in imports(item)})
    return []


class DiffLine(NamedTuple):
    text: str
    css: str  # diff-file, diff-hunk, diff-add, diff-del or diff-context


def settings_diff(
    before: str, after: str, labels: Sequence[str], *, filename: str = "settings.py"
) -> list[DiffLine]:
    """Return the unified diff from ``before`` to ``after`` of ``filename``, line by line, classified."""
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        fromfile=f"{filename} ({labels[0]})",
        tofile=f"{filename} ({labels[1]})",
        lineterm="",
    )
    return [DiffLine(line, _diff_class(line)) for line in lines]


def _diff_class(line: str) -> str:
    if line.startswith(("---", "+++")):
        return "diff-file"
    if line.startswith("@@"):
        return "diff-hunk"
    return {"+": "diff-add", "-": "diff-del"}.get(line[:1], "diff-context")


def migration_page(
    request: HttpRequest,
    template: str,
    demo: DemoConfig,
    *,
    before: str,
    after: str,
    labels: Sequence[str],
    on_core: bool,
    **context: Any,
) -> TemplateResponse:
    """Render a page extending ``migrate.html``: both stacks' settings, marked, and their diff."""
    columns = [
        {"id": column, "label": label, "here": here, "code": frame.highlight(code, "python")}
        for column, label, here, code in (
            ("before", labels[0], not on_core, before),
            ("after", labels[1], on_core, after),
        )
    ]
    diff = settings_diff(before, after, labels)
    return TemplateResponse(
        request,
        template,
        {**demo.context(), "on_core": on_core, "columns": columns, "diff": diff, **context},
    )
