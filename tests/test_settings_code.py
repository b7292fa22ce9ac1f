"""Settings printed as Python code, and their diff, for the migration pages."""

from __future__ import annotations

import ast
import difflib

import pytest

from django_six_demos.settings_code import Code, imports, python_literal, settings_diff


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ([], "[]"),
        ((), "()"),
        ({}, "{}"),
        ("a", '"a"'),
        ('say "hi"', "'say \"hi\"'"),
        (..., "..."),
        (True, "True"),
        (["a", ...], '["a", ...]'),
        (("a",), '("a",)'),
        (["x" * 80], '[\n    "' + "x" * 80 + '",\n]'),
        ({"k": ["v"]}, '{\n    "k": ["v"],\n}'),
        ([["a"]], '[\n    ["a"],\n]'),
        (("a", ["b"]), '(\n    "a",\n    ["b"],\n)'),
    ],
)
def test_python_literal(value, code):
    assert python_literal(value) == code
    if ... not in (value if isinstance(value, (list, tuple)) else [value]):
        assert ast.literal_eval(code) == value


def test_a_code_value_prints_as_its_code_and_brings_its_import():
    nonce = Code("CSP.NONCE", "from django.utils.csp import CSP")
    value = {"a": [nonce, "'self'"], "b": (Code("X", "import x"),)}

    assert python_literal(value["a"]) == "[CSP.NONCE, \"'self'\"]"
    assert imports(value) == ["from django.utils.csp import CSP", "import x"]
    assert imports(["plain"]) == []


def test_settings_diff_is_the_unified_diff_classified():
    before, after = "A = 1\nB = 2\n", "A = 1\nB = 3\n"
    lines = settings_diff(before, after, ("before", "after"))

    assert [line.text for line in lines] == list(
        difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            "settings.py (before)",
            "settings.py (after)",
            lineterm="",
        )
    )
    assert [line.css for line in lines] == [
        "diff-file",
        "diff-file",
        "diff-hunk",
        "diff-context",
        "diff-del",
        "diff-add",
    ]
