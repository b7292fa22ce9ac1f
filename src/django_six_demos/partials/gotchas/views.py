"""Template partials gotchas: five surprises of ``"file.html#name"``, tried live.

Each case renders its working and failing addresses on the running Django line; the
prose is in ``gotchas/cases.html``, the cases from django-template-partials' tracker.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.debug import ExceptionReporter
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from django_six_demos import frame
from django_six_demos.demo import gated
from django_six_demos.htmx import HtmxHttpRequest

DIR: Final = "django_six_demos/partials/gotchas/"
PAGE: Final = f"{DIR}index.html"

# The only partials the nested view renders, by the id htmx sends in HX-Target.
NESTED_PARTIALS: Final[Mapping[str, str]] = {
    name: f"{DIR}nested.html#{name}" for name in ("outer", "middle", "inner")
}
# What each case means, by slug: partials of cases.html, included by the page.
PROSE: Final[Mapping[str, str]] = {
    slug: f"{DIR}cases.html#{slug}" for slug in ("parent", "include", "nested", "inline", "errors")
}

# Case 2's guard: every address rendered on purpose; a test checks each resolves.
PARTIAL_ADDRESSES: Final = (
    f"{DIR}parent.html#banner",
    f"{DIR}_card.html#card",
    f"{DIR}not_inline.html#note",
    f"{DIR}names.html#greeting",
    *NESTED_PARTIALS.values(),
    *PROSE.values(),
)

# Numbers each render of the nested partials, so that a swap is visible.
_renders = itertools.count(1)


def nested_context() -> dict[str, Any]:
    """Return a fresh context for nested.html: a render number and a timestamp."""
    stamp = timezone.now().strftime("%H:%M:%S.%f")[:-3]
    return {"render": next(_renders), "rendered_at": f"{stamp} UTC"}


@dataclass(frozen=True)
class Attempt:
    """One live try at a template address, and what Django did with it."""

    address: str
    context: Mapping[str, Any]
    output: str | None = None
    error: str | None = None  # when it raised: the class, its message, the step that raised
    message: str = ""
    raised_by: str = ""
    engine_said: str = ""  # TemplateDoesNotExist.chain
    postmortem: str = ""  # the "Template loader postmortem" of Django's DEBUG page
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def code(self) -> str:
        """The call this attempt made, as a reader would write it."""
        context = f", {dict(self.context)!r}" if self.context else ""
        return f'render_to_string("{self.address}"{context})'

    @property
    def shown_output(self) -> str:
        """The output without the blank lines that template tags leave behind."""
        lines = [line for line in (self.output or "").splitlines() if line.strip()]
        return textwrap.dedent("\n".join(lines))


def _tried_label(entry: object) -> str:
    # Files the loaders looked for are (origin, status) pairs; partial lookups put a bare name.
    if isinstance(entry, tuple) and len(entry) == 2:
        origin, status = entry
        return f"({getattr(origin, 'template_name', origin)!r}, {status!r})"
    return repr(entry)


def _engine_said(error: Exception) -> str:
    if not isinstance(error, TemplateDoesNotExist):
        return ""
    lines = []
    for inner in error.chain:
        tried = ", ".join(_tried_label(entry) for entry in inner.tried)
        lines.append(f"{type(inner).__name__}: {inner}\n    tried=[{tried}]")
    return "\n".join(lines)


def _debug_postmortem(error: Exception) -> str:
    """Return the "Template loader postmortem" section of Django's DEBUG page."""
    text = ExceptionReporter(None, type(error), error, error.__traceback__).get_traceback_text()
    _, heading, rest = text.partition("Template loader postmortem")
    if not heading:
        return ""
    section = rest.split("\nTraceback", 1)[0]
    return "\n".join(line for line in (heading + section).splitlines() if line.strip())


def _try(
    name: str, note: str = "", context: Mapping[str, Any] | None = None, *, postmortem: bool = False
) -> Attempt:
    """Render the gallery's ``name`` (written here, not from a request) like render_to_string()."""
    address, context = DIR + name, dict(context or {})
    step = "get_template()"
    try:
        template = get_template(address)
        step = "render()"
        output = template.render(context)
    except (TemplateDoesNotExist, TemplateSyntaxError) as error:
        return Attempt(
            address=address,
            context=context,
            error=type(error).__name__,
            message=str(error),
            raised_by=step,
            engine_said=_engine_said(error),
            postmortem=_debug_postmortem(error) if postmortem else "",
            note=note,
        )
    return Attempt(address=address, context=context, output=output, note=note)


@dataclass(frozen=True)
class Case:
    """One gotcha: the files involved, and live attempts both ways (its prose is in cases.html)."""

    slug: str
    title: str
    sources: tuple[frame.Source, ...]
    working: tuple[Attempt, ...]
    failing: tuple[Attempt, ...]

    @property
    def prose(self) -> str:
        return PROSE[self.slug]

    @property
    def columns(self) -> tuple[tuple[str, tuple[Attempt, ...]], ...]:
        return (("works", self.working), ("fails", self.failing))


def _sources(*names: str) -> tuple[frame.Source, ...]:
    """Read the gallery's templates (``"parent"`` is parent.html) from disk, through the loaders."""
    sources = []
    for name in names:
        template = get_template(f"{DIR}{name}.html")
        # The backend's wrapper keeps the compiled template (and its origin) in .template.
        source = frame.template_source(getattr(template, "template", template))
        if source is not None:
            sources.append(source)
    return tuple(sources)


def address_guard() -> tuple[tuple[str, str | None], ...]:
    """Return each guarded address with the error it raises, or None if it resolves."""
    results: list[tuple[str, str | None]] = []
    for address in PARTIAL_ADDRESSES:
        try:
            get_template(address)
        except TemplateDoesNotExist as error:
            results.append((address, f"{type(error).__name__}: {error}"))
        else:
            results.append((address, None))
    return tuple(results)


def gotcha_cases(nested: Mapping[str, Any] | None = None) -> list[Case]:
    """Try every case now; ``nested`` is the context the page renders nested.html with."""
    nested = nested if nested is not None else nested_context()
    ada = {"name": "Ada"}
    return [
        Case(
            "parent",
            "A partial defined in a parent template is not addressable through the child",
            _sources("parent", "child", "_banner", "parent_include", "child_include"),
            working=(
                _try("parent.html#banner", "The file that defines the partial."),
                _try("_banner.html", "The workaround: the piece has its own file."),
                _try("child_include.html", "The child page still shows it."),
            ),
            failing=(
                _try("child.html#banner", "Raised by the lookup, before rendering."),
                _try(
                    "child_include.html#banner", "An {% include %} does not hoist partials either."
                ),
            ),
        ),
        Case(
            "include",
            "Moving a partial into an {% include %} changes its address",
            _sources("before", "after", "_card"),
            working=(
                _try("before.html#card", "Before the refactor."),
                _try("_card.html#card", "After it: the address follows the partial."),
            ),
            failing=(_try("after.html#card", "A view not updated after the refactor."),),
        ),
        Case(
            "nested",
            "Nested partials, selected by the htmx target",
            _sources("nested"),
            working=(
                _try("nested.html#inner", context=nested),
                _try("nested.html#middle", "middle carries inner.", nested),
            ),
            failing=(_try("nested.html#sidebar", "A view trusting HX-Target: sidebar.", nested),),
        ),
        Case(
            "inline",
            "inline, or not",
            _sources("inline", "not_inline"),
            working=(
                _try("inline.html", "The note renders in place."),
                _try("not_inline.html#note"),
            ),
            failing=(_try("not_inline.html", "No error, and no note between Before and After."),),
        ),
        Case(
            "errors",
            "The error for a misspelt partial name",
            _sources("names", "partial_tag"),
            working=(
                _try("names.html#greeting", context=ada),
                _try("partial_tag.html", context=ada),
            ),
            failing=(
                _try("names.html#greting", context=ada, postmortem=True),
                _try(
                    "partial_tag.html",
                    "get_template() compiled it; render() raised.",
                    {**ada, "typo": True},
                ),
            ),
        ),
    ]


@require_GET
def gotchas(request: HttpRequest) -> TemplateResponse:
    """The gallery: each gotcha, working and failing, tried live."""
    # The live widget of case 3 and that case's attempts share one render number.
    nested = nested_context()
    context = {
        **nested,
        "cases": gotcha_cases(nested),
        "guard": address_guard(),
        "source": gated("Template partials", "partials"),
        "nested_targets": list(NESTED_PARTIALS),
    }
    return TemplateResponse(request, PAGE, context)


@require_GET
@vary_on_headers("HX-Request")
def nested(request: HtmxHttpRequest) -> HttpResponse:
    """One partial of nested.html, chosen by the htmx target; else the gallery."""
    if not request.htmx:
        return gotchas(request)
    # An allowlist lookup: HX-Target picks a key, never a template name.
    address = NESTED_PARTIALS.get(request.htmx.target or "")
    if address is None:
        return HttpResponseBadRequest(
            "Unknown or missing HX-Target: this endpoint swaps #outer, #middle or #inner.",
            content_type="text/plain; charset=utf-8",
        )
    return TemplateResponse(request, address, nested_context())
