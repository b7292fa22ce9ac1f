"""Template partials gotchas: five surprises of ``"file.html#name"``, tried live.

Template partials (``{% partialdef %}`` and ``"file.html#name"``) are core in
Django 6.0; on Django 5.2 django-template-partials provides them. Each case
below is rendered on every request, on the running Django line: the working
address, and the failing one with the exception Django raises.

The pain points come from django-template-partials' tracker: #92 and PR #44
(partials and inheritance), #57 (moving a partial into an include), #15
(nested partials with htmx), #74 and #80 (unhelpful errors).
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
from django_htmx.middleware import HtmxDetails

from django_six_demos import compat, frame


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


PAGE: Final = "django_six_demos/partials/gotchas/index.html"
_DIR: Final = "django_six_demos/partials/gotchas/"

# Case 1: a partial defined in a parent template.
PARENT: Final = f"{_DIR}parent.html"
CHILD: Final = f"{_DIR}child.html"
BANNER: Final = f"{_DIR}_banner.html"
PARENT_INCLUDE: Final = f"{_DIR}parent_include.html"
CHILD_INCLUDE: Final = f"{_DIR}child_include.html"
# Case 2: a partial moved into an include.
BEFORE: Final = f"{_DIR}before.html"
AFTER: Final = f"{_DIR}after.html"
CARD: Final = f"{_DIR}_card.html"
# Case 3: nested partials.
NESTED: Final = f"{_DIR}nested.html"
# Case 4: inline or not.
INLINE: Final = f"{_DIR}inline.html"
NOT_INLINE: Final = f"{_DIR}not_inline.html"
# Case 5: misspelt partial names.
NAMES: Final = f"{_DIR}names.html"
PARTIAL_TAG: Final = f"{_DIR}partial_tag.html"

# The only partials the nested view renders, by the id htmx sends in HX-Target.
# The request picks a key; the template name itself never comes from the request.
NESTED_PARTIALS: Final[Mapping[str, str]] = {
    "outer": f"{NESTED}#outer",
    "middle": f"{NESTED}#middle",
    "inner": f"{NESTED}#inner",
}

# The address guard (case 2): every "file.html#name" this module renders on
# purpose. tests/partials/test_gotchas.py checks that each one resolves, so
# moving a partial into an {% include %} fails a test instead of a page.
PARTIAL_ADDRESSES: Final = (
    f"{PARENT}#banner",
    f"{CARD}#card",
    f"{NOT_INLINE}#note",
    f"{NAMES}#greeting",
    *NESTED_PARTIALS.values(),
)

# Numbers each render of the nested partials, so a swap is visible. A
# per-process counter is enough for a demo: it only has to change.
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
    # When it raised: the exception's class, its message, and which step raised.
    error: str | None = None
    message: str = ""
    raised_by: str = ""
    # What the engine's own exception said (TemplateDoesNotExist.chain).
    engine_said: str = ""
    # The "Template loader postmortem" of Django's DEBUG error page.
    postmortem: str = ""
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
    # An (origin, status) pair for a file the loaders looked for; partial
    # lookups put a bare template name here instead.
    if isinstance(entry, tuple) and len(entry) == 2:
        origin, status = entry
        return f"({getattr(origin, 'template_name', origin)!r}, {status!r})"
    return repr(entry)


def _engine_said(error: TemplateDoesNotExist) -> str:
    lines = []
    for inner in error.chain:
        tried = ", ".join(_tried_label(entry) for entry in inner.tried)
        lines.append(f"{type(inner).__name__}: {inner}\n    tried=[{tried}]")
    return "\n".join(lines)


def _debug_postmortem(error: Exception) -> str:
    """Return the "Template loader postmortem" section of Django's DEBUG page."""
    # The text twin of the HTML error page; only the postmortem section is
    # kept (the rest lists settings and the traceback).
    text = ExceptionReporter(None, type(error), error, error.__traceback__).get_traceback_text()
    _, heading, rest = text.partition("Template loader postmortem")
    if not heading:
        return ""
    section = rest.split("\nTraceback", 1)[0]
    return "\n".join(line for line in (heading + section).splitlines() if line.strip())


def try_address(
    address: str,
    context: Mapping[str, Any] | None = None,
    *,
    note: str = "",
    postmortem: bool = False,
) -> Attempt:
    """Render ``address`` as ``render_to_string()`` would, recording what happens.

    ``address`` is always one of this module's constants, never request data.
    """
    context = dict(context or {})
    step = "get_template()"
    try:
        template = get_template(address)
        step = "render()"
        output = template.render(context)
    except TemplateDoesNotExist as error:
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
    except TemplateSyntaxError as error:
        return Attempt(
            address=address,
            context=context,
            error=type(error).__name__,
            message=str(error),
            raised_by=step,
            note=note,
        )
    return Attempt(address=address, context=context, output=output, note=note)


@dataclass(frozen=True)
class Case:
    """One gotcha: what to know, the files involved, and live attempts both ways."""

    slug: str
    title: str
    explanation: str
    sources: tuple[frame.Source, ...]
    working: tuple[Attempt, ...]
    failing: tuple[Attempt, ...]
    fix: str = ""
    # Case 2 only: each guarded address, with its error or None.
    guard: tuple[tuple[str, str | None], ...] = ()


def _sources(*names: str) -> tuple[frame.Source, ...]:
    """Read the files behind ``names`` from disk, through the template loaders."""
    sources = []
    for name in names:
        template = get_template(name)
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
    """Try every case now, on the running Django line.

    ``nested`` is the context for nested.html (a render number and a time);
    the page passes the one it renders the live widget with.
    """
    nested = nested if nested is not None else nested_context()
    return [
        Case(
            slug="parent",
            title="A partial defined in a parent template is not addressable through the child",
            explanation=(
                "A partial belongs to the file that defines it. child.html extends "
                "parent.html and its page shows the banner, yet child.html#banner does "
                "not exist: the lookup compiles child.html and searches only the partials "
                "that file declares; inheritance is out of scope (django-template-partials "
                "#92, PR #44)."
            ),
            fix=(
                "Address the file that defines the partial (parent.html#banner), or move "
                "the shared piece into its own file, {% include %} it from the parent and "
                "address that file from any view: _banner.html renders on every page that "
                "extends parent_include.html."
            ),
            sources=_sources(PARENT, CHILD, BANNER, PARENT_INCLUDE, CHILD_INCLUDE),
            working=(
                try_address(f"{PARENT}#banner", note="The file that defines the partial."),
                try_address(BANNER, note="The workaround: the piece lives in its own file."),
                try_address(CHILD_INCLUDE, note="The child page still shows it."),
            ),
            failing=(
                try_address(f"{CHILD}#banner", note="Raised by the lookup, before rendering."),
                try_address(
                    f"{CHILD_INCLUDE}#banner",
                    note="An {% include %} does not hoist partials either.",
                ),
            ),
        ),
        Case(
            slug="include",
            title="Moving a partial into an {% include %} changes its address",
            explanation=(
                "before.html defined the card in place, so a view asked for "
                "before.html#card. A refactor moved the card into _card.html, which "
                "after.html includes: the page looks the same, but the partial's address "
                "is now _card.html#card, and a view still asking for after.html#card "
                "raises TemplateDoesNotExist the next time it runs (django-template-partials "
                "#57)."
            ),
            fix=(
                "Keep every address your views render in one constant (PARTIAL_ADDRESSES "
                "in this module) and test that each resolves: the test fails the moment "
                "someone moves a partial. The guard, run now:"
            ),
            sources=_sources(BEFORE, AFTER, CARD),
            working=(
                try_address(f"{BEFORE}#card", note="Before the refactor."),
                try_address(f"{CARD}#card", note="After it: the address follows the partial."),
            ),
            failing=(try_address(f"{AFTER}#card", note="A view not updated after the refactor."),),
            guard=address_guard(),
        ),
        Case(
            slug="nested",
            title="Nested partials, selected by the htmx target",
            explanation=(
                "Partials nest, and each level has its own address: nested.html#middle "
                "renders middle with inner inside it. One view serves all three: htmx sends "
                "the id of the element it will replace in the HX-Target header, and the view "
                "maps that id to an address through a fixed dictionary "
                "(django-template-partials #15). Unknown or missing targets get a 400; a "
                "request without HX-Request gets this whole page."
            ),
            fix=(
                'Never build the name from the header ("nested.html#" + target): any client '
                "could then choose it, and an unknown name is a TemplateDoesNotExist, a 500."
            ),
            sources=_sources(NESTED),
            working=(
                try_address(NESTED_PARTIALS["inner"], nested),
                try_address(NESTED_PARTIALS["middle"], nested, note="middle carries inner."),
            ),
            failing=(
                try_address(
                    f"{NESTED}#sidebar",
                    nested,
                    note="What a view that trusted HX-Target: sidebar would render.",
                ),
            ),
        ),
        Case(
            slug="inline",
            title="inline, or not",
            explanation=(
                "Without inline, {% partialdef %} only defines: the file renders nothing "
                "where the partial stands, and the partial appears only through "
                '{% partial note %} or "not_inline.html#note". With inline it also renders '
                "in place, which is what a page wants when htmx later swaps that same "
                "fragment. The two files differ by that one word."
            ),
            fix="Add inline when the page itself should show the fragment where it is defined.",
            sources=_sources(INLINE, NOT_INLINE),
            working=(
                try_address(INLINE, note="inline: the note renders in place."),
                try_address(f"{NOT_INLINE}#note", note="Without inline, by its address."),
            ),
            failing=(
                try_address(
                    NOT_INLINE,
                    note="Without inline: no error, and no note between Before and After.",
                ),
            ),
        ),
        Case(
            slug="errors",
            title="The error for a misspelt partial name",
            explanation=(
                "Asking for a partial the file does not define raises TemplateDoesNotExist "
                "whose message is only the address you asked for, exactly as for a missing "
                "file. The DEBUG page's loader postmortem is no help either: it expects "
                "(origin, status) pairs in the exception's tried list and gets a bare "
                "template name. {% partial %} with an unknown name fails later still: the "
                "template compiles, and TemplateSyntaxError (reworded by "
                "django-template-partials #74) comes only when that line renders."
            ),
            fix=(
                "Compare the name after # (or in {% partial %}) with the file's "
                "{% partialdef %} tags: greeting, not greting. Only a test that renders "
                "every branch catches the {% partial %} kind, so a typo in a rarely taken "
                "branch can ship."
            ),
            sources=_sources(NAMES, PARTIAL_TAG),
            working=(
                try_address(f"{NAMES}#greeting", {"name": "Ada"}),
                try_address(PARTIAL_TAG, {"name": "Ada"}),
            ),
            failing=(
                try_address(f"{NAMES}#greting", {"name": "Ada"}, postmortem=True),
                try_address(
                    PARTIAL_TAG,
                    {"name": "Ada", "typo": True},
                    note="get_template() compiled this file; render() raised.",
                ),
            ),
        ),
    ]


@require_GET
def gotchas(request: HttpRequest) -> TemplateResponse:
    """The gallery: each gotcha, working and failing, tried live (see gotcha_cases())."""
    # The live widget of case 3 and that case's attempts share one render number.
    nested = nested_context()
    return TemplateResponse(
        request,
        PAGE,
        {
            **nested,
            "cases": gotcha_cases(nested),
            "source": compat.feature_source("partials"),
            "nested_targets": list(NESTED_PARTIALS),
        },
    )


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
