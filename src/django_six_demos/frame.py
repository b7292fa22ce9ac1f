"""The demo frame: each page's own source, and what its response carried.

Every demo page shows, beside the live demo, the view and template that
produced it (checked on disk on each request, so it cannot go stale) and an
inspector of the response: status, headers, the CSP parsed into directives,
whether the nonce in the header matches the page, htmx headers, which template
or partial rendered, query count and time.

The frame runs on every page, so what is pure is cached, keyed by what it
depends on: the highlighted HTML by the source text, a view's source by its
file's version (inode, size, modification and change times, taken on each
request); a template's text is read on each request. An edited file shows on
the next request.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.template import TemplateDoesNotExist
from django.template.base import DebugLexer, TokenType
from django.template.response import SimpleTemplateResponse
from django.utils.safestring import SafeString
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import HtmlDjangoLexer, PythonLexer

import django_six_demos

CSP_HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")
_NONCE_SOURCE = re.compile(r"^'nonce-([^']+)'$")
# Starts with a literal, which the re module finds fast; page_nonces() checks
# the whitespace before it.
_NONCE_ATTRIBUTE = re.compile(r"""nonce=["']([^"']*)["']""")
_PACKAGE_ROOT = Path(django_six_demos.__file__).resolve().parent.parent
_FORMATTER = HtmlFormatter(cssclass="source-code", wrapcode=True)


def enabled() -> bool:
    """Return whether demo pages show the frame (setting ``DJANGO_SIX_DEMOS_FRAME``).

    On by default. Off, pages carry neither the source panel nor the inspector:
    benchmarks compare a feature's own cost without the frame's, and a site can
    keep its source to itself.
    """
    return bool(getattr(settings, "DJANGO_SIX_DEMOS_FRAME", True))


# Highlighting was most of the frame's cost (about 5 ms of a list page's 12).
# The HTML is a pure function of the text, so it is cached keyed by the text
# itself: an edited file has new text, misses the cache and shows at once, as
# fresh as reading it from disk. Bounded: a site has a few hundred sources at
# most (two a page, plus the migration guides' snippets), and a long editing
# session must not grow the cache without end.
HIGHLIGHT_CACHE_SIZE = 256
# Views' sources (keyed by view and file version) and display paths.
SOURCE_CACHE_SIZE = 256


@functools.lru_cache(maxsize=HIGHLIGHT_CACHE_SIZE)
def _highlighted(code: str, language: str) -> str:
    lexer = PythonLexer() if language == "python" else HtmlDjangoLexer()
    return pygments_highlight(code, lexer, _FORMATTER)


def highlight(code: str, language: str) -> SafeString:
    """Return ``code`` as HTML highlighted by Pygments (CSS classes, no inline style)."""
    return SafeString(_highlighted(code, language))


def highlight_css() -> str:
    """Return the stylesheet for ``highlight()``'s classes, light and dark."""
    # get_style_defs is untyped in types-pygments.
    light = HtmlFormatter(style="friendly").get_style_defs(".source-code")  # type: ignore[no-untyped-call]
    dark = HtmlFormatter(style="monokai").get_style_defs(".source-code")  # type: ignore[no-untyped-call]
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"


@functools.lru_cache(maxsize=SOURCE_CACHE_SIZE)
def display_path(path: str | Path) -> str:
    """Return ``path`` relative to the package's parent, else its file name."""
    # Cached: resolving a path stats every directory in it, and a source's path
    # does not change while the process runs.
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
    """Return what changes whenever ``filename``'s content does, or None if it is gone.

    Size and modification time are what ``linecache.checkcache()`` compares;
    the inode changes when an editor replaces the file, and the change time
    cannot be set back (``touch -d`` and ``rsync -t`` can set the mtime).
    """
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


# Finding a view's lines tokenizes its file (about 0.4 ms a page): done once
# per view and version of its file. ``version`` is only part of the key.
@functools.lru_cache(maxsize=SOURCE_CACHE_SIZE)
def _view_source(view: Any, filename: str, version: tuple[int, int, int, int]) -> Source | None:
    # A new version of the file: inspect reads it through linecache, so read
    # it afresh there (linecache.checkcache() compares only the size and the
    # mtime, which an edit can leave as they were).
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


# A pure function of its arguments, which tokenizes the whole template.
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


def template_source(template: Any) -> Source | None:
    """Read the file behind a compiled template (or partial) from disk.

    ``template`` is a ``django.template.base.Template`` or a partial of one;
    for a partial, only its ``{% partialdef %}`` block is returned.
    """
    origin = getattr(template, "origin", None)
    filename = getattr(origin, "name", None)
    if origin is None or not filename:
        return None
    try:
        # Read on every request: a template is small, and its text is the key
        # of the highlighting cache.
        code = Path(filename).read_text(encoding="utf-8")
    except OSError:  # gone, a directory, or not a file at all (a string template)
        return None
    title = origin.template_name
    name = getattr(template, "name", None)
    if name and name != origin.template_name:
        title = f"{origin.template_name}#{name}"
        code = partial_source(code, name) or code
    return Source(title=title, path=display_path(filename), language="django", code=code)


def rendered_template(response: HttpResponseBase) -> Any:
    """Return the compiled template a TemplateResponse rendered, or None."""
    if not isinstance(response, SimpleTemplateResponse):
        return None
    try:
        backend_template = response.resolve_template(response.template_name)
    except TemplateDoesNotExist:
        return None
    return getattr(backend_template, "template", backend_template)


def template_label(template: Any) -> str | None:
    origin = getattr(template, "origin", None)
    if template is None or origin is None:
        return None
    name = getattr(template, "name", None)
    if name and name != origin.template_name:
        return f"{origin.template_name}#{name}"
    return str(origin.template_name)


def parse_csp(header: str) -> list[tuple[str, list[str]]]:
    """Parse a CSP header into (directive, sources) pairs, in header order."""
    directives = []
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            directives.append((tokens[0].lower(), tokens[1:]))
    return directives


def header_nonce(directives: list[tuple[str, list[str]]]) -> str | None:
    for name, sources in directives:
        if name in ("script-src", "script-src-elem", "default-src"):
            for source in sources:
                if match := _NONCE_SOURCE.match(source):
                    return match.group(1)
    return None


def server_facts(
    request: HttpRequest, response: HttpResponseBase, *, queries: int, duration: float
) -> dict[str, Any]:
    """Return what only the server knows about a response, for the inspector's JS."""
    view = view_for(request)
    return {
        "view": f"{view.__module__}.{view.__qualname__}" if view is not None else None,
        "template": template_label(rendered_template(response)),
        "queries": queries,
        "ms": round(duration * 1000, 1),
    }


@dataclass
class Policy:
    header: str
    directives: list[tuple[str, list[str]]]
    nonce: str | None


@dataclass
class Inspection:
    """What one response carried, for the inspector panel."""

    method: str
    path: str
    status: int
    reason: str
    is_htmx: bool
    view: str | None
    template: str | None
    queries: int
    duration_ms: float
    policies: list[Policy] = field(default_factory=list)
    page_nonces: list[str] = field(default_factory=list)
    nonce_verdict: str = ""
    nonce_ok: bool = True
    request_htmx_headers: list[tuple[str, str]] = field(default_factory=list)
    response_htmx_headers: list[tuple[str, str]] = field(default_factory=list)
    response_headers: list[tuple[str, str]] = field(default_factory=list)


def find_page_nonces(body: str) -> list[str]:
    """Return the values of the ``nonce`` attributes in ``body``, in order.

    An attribute follows whitespace: ``data-nonce="x"`` is not one.
    """
    nonces = []
    position = 0
    while match := _NONCE_ATTRIBUTE.search(body, position):
        start = match.start()
        if start and body[start - 1].isspace():
            nonces.append(match[1])
            position = match.end()
        else:
            position = start + 1
    return nonces


def _nonce_verdict(policies: list[Policy], page_nonces: list[str]) -> tuple[str, bool]:
    header_values = {p.nonce for p in policies if p.nonce}
    if not policies:
        return "No CSP header on this response.", False
    if not header_values:
        if page_nonces:
            return "The page carries a nonce the header does not allow.", False
        return "No nonce: this response printed none, so its header carries none.", True
    if len(header_values) > 1:
        return "The enforced and report-only headers carry different nonces.", False
    [value] = header_values
    if not page_nonces:
        return "The header allows a nonce no element on the page uses.", True
    if all(nonce == value for nonce in page_nonces):
        count = len(page_nonces)
        noun = "element carries" if count == 1 else "elements carry"
        return f"Matches: {count} {noun} the header's nonce.", True
    return "Mismatch: an element carries a nonce the header does not allow.", False


def inspect_response(
    request: HttpRequest,
    response: HttpResponseBase,
    *,
    body: str,
    queries: int,
    duration: float,
) -> Inspection:
    """Describe ``response`` (already complete, headers set) for the inspector."""
    facts = server_facts(request, response, queries=queries, duration=duration)
    policies = []
    for header in CSP_HEADERS:
        if header in response:
            directives = parse_csp(response[header])
            policies.append(Policy(header, directives, header_nonce(directives)))
    page_nonces = find_page_nonces(body)
    verdict, nonce_ok = _nonce_verdict(policies, page_nonces)
    return Inspection(
        method=request.method or "GET",
        path=request.get_full_path(),
        status=response.status_code,
        reason=getattr(response, "reason_phrase", ""),
        is_htmx=request.headers.get("HX-Request") == "true",
        view=facts["view"],
        template=facts["template"],
        queries=queries,
        duration_ms=duration * 1000,
        policies=policies,
        page_nonces=page_nonces,
        nonce_verdict=verdict,
        nonce_ok=nonce_ok,
        request_htmx_headers=[
            (name, value)
            for name, value in request.headers.items()
            if name.lower().startswith("hx-")
        ],
        response_htmx_headers=[
            (name, value) for name, value in response.items() if name.lower().startswith("hx-")
        ],
        response_headers=[
            (name, "(hidden)" if name.lower() == "set-cookie" else value)
            for name, value in response.items()
        ],
    )
