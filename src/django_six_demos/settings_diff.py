"""A unified diff of two settings.py excerpts, classified line by line for display.

Shared by the migration pages of the rooms (django-template-partials to core,
django-csp to core), which may not import each other.
"""

from __future__ import annotations

import difflib
from typing import NamedTuple


class DiffLine(NamedTuple):
    text: str
    # A CSS class: diff-file, diff-hunk, diff-add, diff-del or diff-context.
    css: str


def settings_diff(
    before: str, after: str, *, before_label: str, after_label: str
) -> list[DiffLine]:
    """Return the unified diff from ``before`` to ``after``, line by line, classified."""
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        fromfile=f"settings.py ({before_label})",
        tofile=f"settings.py ({after_label})",
        lineterm="",
    )
    return [DiffLine(line, _diff_class(line)) for line in lines]


def _diff_class(line: str) -> str:
    if line.startswith(("---", "+++")):
        return "diff-file"
    if line.startswith("@@"):
        return "diff-hunk"
    return {"+": "diff-add", "-": "diff-del"}.get(line[:1], "diff-context")
