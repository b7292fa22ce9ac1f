"""The source panel: the view and the template behind a page, read from disk on each request.

Highlighting is cached by the text itself and a view's source by its file's version,
so an edited file shows on the next request.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.http import HttpRequest
from django.template.base import DebugLexer, TokenType
from django.utils.safestring import SafeString
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import HtmlDjangoLexer, PythonLexer

import django_six_demos

_PACKAGE_ROOT = Path(django_six_demos.__file__).resolve().parent.parent
_FORMATTER = HtmlFormatter(cssclass="source-code", wrapcode=True)
# Bounded: a long editing session must not grow the caches without end.
HIGHLIGHT_CACHE_SIZE = 256
SOURCE_CACHE_SIZE = 256


# A block wider or taller than its box scrolls; tabindex="0" lets a keyboard reach it and scroll.
_PRE = '<div class="source-code"><pre>'
_FOCUSABLE_PRE = '<div class="source-code"><pre tabindex="0">'
# Pygments styles whose every token colour reaches WCAG AA (4.5:1) on demos.css's
# --color-code-bg: xcode on #ffffff (light), monokai on #161b1f (dark).
LIGHT_STYLE = "xcode"
DARK_STYLE = "monokai"


@functools.lru_cache(maxsize=HIGHLIGHT_CACHE_SIZE)
def _highlighted(code: str, language: str) -> str:
    lexer = PythonLexer() if language == "python" else HtmlDjangoLexer()
    return pygments_highlight(code, lexer, _FORMATTER).replace(_PRE, _FOCUSABLE_PRE, 1)


def highlight(code: str, language: str) -> SafeString:
    """Return ``code`` as HTML highlighted by Pygments (CSS classes, no inline style)."""
    return SafeString(_highlighted(code, language))


def highlight_css() -> str:
    """Return the stylesheet for ``highlight()``'s classes, light and dark."""
    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(".source-code")  # type: ignore[no-untyped-call]
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(".source-code")  # type: ignore[no-untyped-call]
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"


@functools.lru_cache(maxsize=SOURCE_CACHE_SIZE)
def display_path(path: str | Path) -> str:
    """Return ``path`` relative to the package's parent, else its file name."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(_PACKAGE_ROOT))
    except ValueError:
        return resolved.name


@dataclass(frozen=True)
class Source:
    """A piece of source code as it is on disk now."""

    title: str
    path: str
    language: str
    code: str
    first_line: int = 1

    @property
    def html(self) -> SafeString:
        return highlight(self.code, self.language)


def view_for(request: HttpRequest) -> Any:
    """Return the view function, or class for class-based views, that served ``request``."""
    match = request.resolver_match
    if match is None:
        return None
    return getattr(match.func, "view_class", None) or match.func


def file_version(filename: str) -> tuple[int, int, int, int] | None:
    """Return what changes whenever ``filename``'s content does, or None if it is gone."""
    # The inode changes on a save by rename; unlike the mtime, ``touch -d`` cannot set the ctime.
    try:
        stat = os.stat(filename)
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def view_source(view: Any) -> Source | None:
    """Return ``view``'s source as it is on disk now (not as it was imported)."""
    view = inspect.unwrap(view)
    try:
        filename = inspect.getsourcefile(view)
    except TypeError:
        return None
    if filename is None or (version := file_version(filename)) is None:
        return None
    return _view_source(view, filename, version)


# ``version`` is only part of the key: a new version of the file misses the cache.
@functools.lru_cache(maxsize=SOURCE_CACHE_SIZE)
def _view_source(view: Any, filename: str, version: tuple[int, int, int, int]) -> Source | None:
    # linecache.checkcache() compares only size and mtime, which an edit can keep.
    linecache.updatecache(filename)
    try:
        lines, first_line = inspect.getsourcelines(view)
    except OSError:
        return None
    return Source(
        title=f"{view.__module__}.{view.__qualname__}",
        path=display_path(filename),
        language="python",
        code="".join(lines),
        first_line=first_line,
    )


@functools.lru_cache(maxsize=SOURCE_CACHE_SIZE)
def partial_source(source: str, name: str) -> str | None:
    """Return the ``{% partialdef name %}…{% endpartialdef %}`` block of ``source``."""
    depth = 0
    start: int | None = None
    for token in DebugLexer(source).tokenize():
        # DebugLexer records each token's (start, end) offsets in the source.
        if token.token_type != TokenType.BLOCK or token.position is None:
            continue
        bits = token.split_contents()
        if bits[0] == "partialdef":
            if start is None and len(bits) > 1 and bits[1] == name:
                start, depth = token.position[0], 0
            elif start is not None:
                depth += 1
        elif bits[0] == "endpartialdef" and start is not None:
            if depth == 0:
                return source[start : token.position[1]]
            depth -= 1
    return None


def template_label(template: Any) -> str | None:
    """Return ``name.html``, or ``name.html#partial`` for a partial, or None."""
    origin = getattr(template, "origin", None)
    if origin is None:
        return None
    name = getattr(template, "name", None)
    if name and name != origin.template_name:
        return f"{origin.template_name}#{name}"
    return str(origin.template_name)


def template_source(template: Any) -> Source | None:
    """Read the file behind a compiled template from disk; for a partial, only its block."""
    origin = getattr(template, "origin", None)
    filename = getattr(origin, "name", None)
    if origin is None or not filename:
        return None
    try:
        code = Path(filename).read_text(encoding="utf-8")
    except OSError:  # gone, a directory, or not a file at all (a string template)
        return None
    name = getattr(template, "name", None)
    if name and name != origin.template_name:
        code = partial_source(code, name) or code
    title = template_label(template) or filename
    return Source(title=title, path=display_path(filename), language="django", code=code)
