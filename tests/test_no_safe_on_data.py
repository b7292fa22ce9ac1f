"""No stored or request text is ever trusted as HTML: no template in src/ marks
anything safe, and every ``mark_safe``-like call in src/ is listed here with the
reason it is safe. A new one fails until it is justified below.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src" / "django_six_demos"

# -- Templates -----------------------------------------------------------------

# A variable or a tag, as the template lexer splits them ({# #} comments too: a
# commented-out |safe is one uncomment away from a page).
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_SAFE_FILTER = re.compile(r"\|\s*(safe|safeseq)\b")
_AUTOESCAPE_OFF = re.compile(r"^\{%-?\s*autoescape\s+off\b")
# {% filter safe %} applies the filter to a whole block.
_FILTER_TAG = re.compile(r"^\{%-?\s*filter\s+(?P<filters>.*?)\s*-?%\}$", re.DOTALL)


def unsafe_template_constructs(text: str) -> list[str]:
    """Return each ``|safe``, ``|safeseq``, ``{% autoescape off %}`` and ``{% filter safe %}``.

    Only inside template tags and variables: prose that names ``|safe`` in a
    ``<code>`` element is text, and is escaped like any other.
    """
    found = []
    for match in _TAG.finditer(text):
        tag = match.group()
        filter_tag = _FILTER_TAG.match(tag)
        if (
            _SAFE_FILTER.search(tag)
            or _AUTOESCAPE_OFF.match(tag)
            or (
                filter_tag and re.search(r"(^|\|)\s*(safe|safeseq)\s*($|\|)", filter_tag["filters"])
            )
        ):
            found.append(" ".join(tag.split()))
    return found


def template_files() -> list[Path]:
    return sorted(
        path
        for path in SOURCE.rglob("*")
        if path.is_file() and "templates" in path.relative_to(SOURCE).parts
    )


def test_templates_are_found():
    # Guards the test below against scanning nothing.
    assert len([path for path in template_files() if path.suffix == ".html"]) > 40


def test_no_template_marks_anything_safe():
    found = [
        f"{path.relative_to(SOURCE)}: {construct}"
        for path in template_files()
        for construct in unsafe_template_constructs(path.read_text(encoding="utf-8"))
    ]

    assert found == [], (
        "Templates print every variable escaped. Mark HTML safe in code, where "
        "tests/test_no_safe_on_data.py lists it with its reason, never with |safe:\n"
        + "\n".join(found)
    )


@pytest.mark.parametrize(
    "text",
    [
        "{{ talk.abstract|safe }}",
        "{{ talk.abstract | safe }}",
        "{{ talk.abstract|linebreaksbr|safe }}",
        "{{ items|safeseq|join:', ' }}",
        "{% autoescape off %}{{ talk.abstract }}{% endautoescape %}",
        "{%- autoescape off -%}",
        "{% filter safe %}{{ talk.abstract }}{% endfilter %}",
        "{% filter lower|safe %}{{ talk.abstract }}{% endfilter %}",
        "{% firstof talk.abstract|safe 'x' %}",
        "{% include 'x.html' with text=talk.abstract|safe %}",
        "{# {{ talk.abstract|safe }} #}",
        "{{ talk.abstract\n  |safe }}",
    ],
)
def test_the_template_scanner_finds(text):
    assert unsafe_template_constructs(f"<p>{text}</p>") != []


@pytest.mark.parametrize(
    "text",
    [
        "<code>|safe</code> and <code>{% templatetag openblock %} autoescape off {% templatetag closeblock %}</code>",
        "{{ talk.abstract }}",
        "{{ talk.abstract|linebreaksbr }}",
        "{% autoescape on %}{{ x }}{% endautoescape %}",
        "{{ safety_notes }}",
        "{{ value|safety }}",
        "{% filter lower %}x{% endfilter %}",
    ],
)
def test_the_template_scanner_lets_pass(text):
    assert unsafe_template_constructs(text) == []


# -- Python --------------------------------------------------------------------

# Every name that turns a string into HTML Django will not escape.
SAFE_MAKERS = frozenset(
    {
        "mark_safe",
        "SafeString",
        "SafeText",
        "SafeData",
        "format_html",
        "format_html_join",
        "html_safe",
        "__html__",
        # @register.filter(is_safe=True) lets a filter's output stay safe.
        "is_safe",
    }
)

# (file under src/django_six_demos, enclosing function or class, name): how many
# times, and why each is safe. Keep the reason true when the code changes.
ALLOWED: dict[tuple[str, str, str], tuple[int, str]] = {
    ("frame/source.py", "highlight", "SafeString"): (
        1,
        "Pygments output of source read from disk (the package's own views and "
        "templates): Pygments escapes the code it highlights; no stored or request text.",
    ),
    ("streaming/models.py", "Message.html", "mark_safe"): (
        1,
        "A model's answer after render_markdown(): markdown-it-py with raw HTML off, then "
        "nh3 with an allowlist of tags, attributes and URL schemes; the one place the "
        "streaming room marks HTML safe (the page and the stream's done event both use it).",
    ),
    ("csp/views.py", "deliberately_unescaped", "mark_safe"): (
        1,
        "The CSP lab's payloads, constants of csp/views.py chosen by name (any other "
        "name raises); printed only inside hx-disable regions of sandbox.html and "
        "injected_attributes.html. Never a database row or request data.",
    ),
}


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """Return the ids of every node inside a type annotation (they mark nothing safe)."""
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            roots += [node.returns] if node.returns else []
            arguments = node.args
            for argument in [
                *arguments.posonlyargs,
                *arguments.args,
                *arguments.kwonlyargs,
                *([arguments.vararg] if arguments.vararg else []),
                *([arguments.kwarg] if arguments.kwarg else []),
            ]:
                roots += [argument.annotation] if argument.annotation else []
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
    return {id(child) for root in roots for child in ast.walk(root)}


class _Finder(ast.NodeVisitor):
    def __init__(self, annotations: set[int]) -> None:
        self.scopes: list[str] = []
        self.annotations = annotations
        # Local names bound to a safe maker: "from ... import mark_safe as trusted".
        self.aliases: set[str] = set()
        self.found: list[tuple[str, str]] = []

    def _scope(self) -> str:
        return ".".join(self.scopes) or "<module>"

    def _note(self, name: str) -> None:
        self.found.append((self._scope(), name))

    def _visit_scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        if node.name == "__html__":
            self._note("__html__")
        self.scopes.append(node.name)
        self.generic_visit(node)
        self.scopes.pop()

    visit_FunctionDef = _visit_scope
    visit_AsyncFunctionDef = _visit_scope
    visit_ClassDef = _visit_scope

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        # An import alone marks nothing safe; a renamed one must still be found.
        for alias in node.names:
            if alias.name in SAFE_MAKERS and alias.asname:
                self.aliases.add(alias.asname)

    def visit_Name(self, node: ast.Name) -> None:
        if id(node) in self.annotations:
            return
        if node.id in SAFE_MAKERS:
            self._note(node.id)
        elif node.id in self.aliases:
            self._note(f"{node.id} (an alias)")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if id(node) not in self.annotations and node.attr in SAFE_MAKERS:
            self._note(node.attr)
        self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg == "is_safe":
            self._note("is_safe")
        self.generic_visit(node)


def safe_makers_in(source: str) -> Counter[tuple[str, str]]:
    """Count each (enclosing scope, name) use of a SAFE_MAKERS name in ``source``.

    Imports and type annotations are not uses; a call, a reference passed on,
    a subclass, an ``__html__`` method or ``is_safe=`` keyword is.
    """
    tree = ast.parse(source)
    finder = _Finder(_annotation_nodes(tree))
    # Aliases first, wherever the import is in the file.
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            finder.visit_ImportFrom(node)
    finder.visit(tree)
    return Counter(finder.found)


def test_python_files_are_found():
    assert len(list(SOURCE.rglob("*.py"))) > 50


def uses_in_src(replaced: dict[str, str] | None = None) -> Counter[tuple[str, str, str]]:
    """Count every use in src/, by (file, scope, name); ``replaced`` swaps a file's text."""
    found: Counter[tuple[str, str, str]] = Counter()
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        text = (replaced or {}).get(relative) or path.read_text(encoding="utf-8")
        for (scope, name), count in safe_makers_in(text).items():
            found[(relative, scope, name)] = count
    return found


def not_allowed(found: Counter[tuple[str, str, str]]) -> list[str]:
    """Describe each use whose count differs from ALLOWED (a new one, or one gone)."""
    allowed = {key: count for key, (count, _) in ALLOWED.items()}
    return [
        f"{file}, in {scope}: {name} ×{found[(file, scope, name)]}"
        f" (allowed: {allowed.get((file, scope, name), 0)})"
        for file, scope, name in sorted(set(found) | set(allowed))
        if found[(file, scope, name)] != allowed.get((file, scope, name), 0)
    ]


def test_every_safe_maker_in_src_is_allowed_with_a_reason():
    unexpected = not_allowed(uses_in_src())

    assert unexpected == [], (
        "Each use must be in ALLOWED with its reason (stored or request text is never "
        "safe), and an entry must go once its use has gone:\n" + "\n".join(unexpected)
    )
    assert all(reason.strip() for _, reason in ALLOWED.values())


SCANNED = """
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe as trusted
from django.utils import safestring
from django import template

register = template.Library()


def annotated(value: SafeString) -> SafeString:
    return value


def view(request):
    text = request.GET["q"]
    first = safestring.mark_safe(text)
    second = trusted(text)
    return format_html("<b>{}</b>", text), first, second


class Markup:
    def __html__(self):
        return "<b>raw</b>"


@register.filter(is_safe=True)
def shout(value):
    return value.upper()
"""


def test_the_python_scanner_finds_every_kind_of_use():
    assert safe_makers_in(SCANNED) == Counter(
        {
            ("view", "mark_safe"): 1,
            ("view", "trusted (an alias)"): 1,
            ("view", "format_html"): 1,
            ("Markup", "__html__"): 1,
            ("shout", "is_safe"): 1,
        }
    )


def test_a_new_use_fails_the_allowlist_check():
    views = (SOURCE / "csp" / "views.py").read_text(encoding="utf-8")
    careless = "\n\ndef careless(text: str) -> str:\n    return mark_safe(text)\n"
    frame = (SOURCE / "frame/source.py").read_text(encoding="utf-8")
    twice = frame.replace(
        "return SafeString(_highlighted(code, language))",
        "return SafeString(SafeString(_highlighted(code, language)))",
    )
    assert twice != frame

    assert not_allowed(uses_in_src({"csp/views.py": views + careless})) == [
        "csp/views.py, in careless: mark_safe ×1 (allowed: 0)"
    ]
    # One more in an allowed place fails too.
    assert not_allowed(uses_in_src({"frame/source.py": twice})) == [
        "frame/source.py, in highlight: SafeString ×2 (allowed: 1)"
    ]
