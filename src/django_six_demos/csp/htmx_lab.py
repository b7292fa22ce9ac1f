"""htmx under a strict CSP: what breaks (``hx-on``, trigger filters, indicator styles,
swapped ``<script>``s), and the strict alternative to each.

Each variant page runs one broken pattern; tests/browser/test_htmx_lab.py asserts the outcome.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from django_six_demos.htmx import HtmxHttpRequest

_DIR: Final = "django_six_demos/csp/"
PAGE: Final = f"{_DIR}htmx_lab.html"
FRAGMENTS: Final = f"{_DIR}htmx_lab_fragments.html"
STYLESHEET: Final = "django_six_demos/demos.css"

# The configurations a variant page can run htmx with. "strict" is the site's
# <meta name="htmx-config"> in base.html; "default" leaves the meta out.
STRICT_CONFIG: Final = "strict"
DEFAULT_CONFIG: Final = "default"
CONFIG_LABELS: Final[Mapping[str, str]] = {
    STRICT_CONFIG: "the site's strict config",
    DEFAULT_CONFIG: "htmx's defaults",
}


@dataclass(frozen=True)
class Variant:
    """One pattern that breaks under the strict policy, and what it does there."""

    slug: str
    title: str
    # The markup that breaks, as a reader would write it.
    markup: str
    # What the browser test sees on this page.
    outcome: str
    # The id of the lab page's section showing the strict alternative.
    alternative: str
    config: str = STRICT_CONFIG
    # Enforced CSP violations the page causes, by effective directive.
    violations: tuple[str, ...] = ()
    # Console errors the page logs in Chromium, by their opening words.
    console_errors: tuple[str, ...] = ()

    @property
    def template(self) -> str:
        return f"{_DIR}htmx_lab_{self.slug.replace('-', '_')}.html"

    @property
    def config_label(self) -> str:
        return CONFIG_LABELS[self.config]


# The only pages the variant view renders: the URL picks a key, never a template.
VARIANTS: Final[Mapping[str, Variant]] = {
    variant.slug: variant
    for variant in (
        Variant(
            slug="hx-on",
            title="hx-on",
            markup="""<button hx-get="…" hx-on:htmx:after-request="this.dataset.handlerRan = 'yes'">""",
            outcome=(
                "The swap happens; the handler never runs. htmx logs "
                "htmx:evalDisallowedError each time the event fires, and the browser "
                "reports no violation: nothing was evaluated."
            ),
            console_errors=("htmx:evalDisallowedError",),
            alternative="instead-of-hx-on",
        ),
        Variant(
            slug="trigger-filter",
            title="Trigger filter",
            markup="""<input name="q" hx-get="…" hx-trigger="keyup[key=='Enter']">""",
            outcome=(
                "htmx logs htmx:evalDisallowedError once, when it processes the input, "
                "and drops the filter: every key sends a request, not only Enter. The "
                "browser reports no violation."
            ),
            console_errors=("htmx:evalDisallowedError",),
            alternative="instead-of-trigger-filters",
        ),
        Variant(
            slug="indicator-styles",
            title="Indicator styles",
            config=DEFAULT_CONFIG,
            markup='<meta name="htmx-config"> left out: includeIndicatorStyles is true',
            outcome=(
                "One style-src-elem violation as the page loads: the <style> is in "
                "<head>, but the browser gave it no stylesheet. The indicator still "
                "fades in and out, because demos.css carries the same rules."
            ),
            violations=("style-src-elem",),
            console_errors=("Applying inline style violates",),
            alternative="instead-of-indicator-styles",
        ),
        Variant(
            slug="script-in-partial",
            title="<script> in a partial",
            markup="<p>…</p><script>document.body.dataset.partialScriptRan = 'yes'</script>",
            outcome=(
                "The fragment is swapped in without its <script>: htmx removed it, so "
                "it neither ran nor was blocked. No violation, no console error. The "
                "browser test also runs this page on htmx's defaults: there the "
                "fragment's script runs."
            ),
            alternative="instead-of-scripts-in-partials",
        ),
    )
}


# The only fragments the fragment view renders, by the key in the URL.
LAB_FRAGMENTS: Final[Mapping[str, str]] = {
    "plain": f"{FRAGMENTS}#swapped",
    "with-script": f"{FRAGMENTS}#with-script",
}
# How long the "slow fragment" buttons keep the request indicator on. The wait happens in
# the browser (hx-swap's swap: delay): a view that sleeps would hold a server worker.
FRAGMENT_DELAY: Final = 0.6
FRAGMENT_DELAY_MS: Final = round(FRAGMENT_DELAY * 1000)
DELAYS: Final = {"fragment_delay": FRAGMENT_DELAY, "fragment_delay_ms": FRAGMENT_DELAY_MS}
ECHO_LENGTH: Final = 100

# Numbers each fragment (per process), so that every swap is visible.
_requests = itertools.count(1)

_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def indicator_rules() -> str:
    """Return the stylesheet's ``.htmx-indicator`` rules, which replace htmx's own ``<style>``."""
    path = finders.find(STYLESHEET)
    if not isinstance(path, str):
        return ""
    with open(path, encoding="utf-8") as stylesheet:
        css = _CSS_COMMENT.sub("", stylesheet.read())
    rules = []
    for selector, body in _CSS_RULE.findall(css):
        if "htmx-indicator" in selector:
            declarations = "\n".join(f"  {line.strip()}" for line in body.strip().splitlines())
            rules.append(f"{selector.strip()} {{\n{declarations}\n}}")
    return "\n\n".join(rules)


@require_GET
def htmx_lab(request: HttpRequest) -> TemplateResponse:
    """The lab: each strict alternative live, and the measured variants."""
    context = {"variants": list(VARIANTS.values()), "indicator_rules": indicator_rules(), **DELAYS}
    return TemplateResponse(request, PAGE, context)


@require_GET
def htmx_lab_variant(request: HttpRequest, variant: str) -> TemplateResponse:
    """One broken pattern, live, with a table of what the browser saw."""
    # An allowlist lookup: the URL picks a key, never a template name.
    chosen = VARIANTS.get(variant)
    if chosen is None:
        raise Http404(f"No such variant; choose from {', '.join(VARIANTS)}.")
    return TemplateResponse(request, chosen.template, {"variant": chosen, **DELAYS})


@require_GET
@vary_on_headers("HX-Request")
def htmx_lab_fragment(request: HtmxHttpRequest, fragment: str) -> HttpResponse:
    """A fragment for htmx to swap in; a plain browser request goes to the lab page."""
    address = LAB_FRAGMENTS.get(fragment)
    if address is None:
        raise Http404(f"No such fragment; choose from {', '.join(LAB_FRAGMENTS)}.")
    if not request.htmx:
        return HttpResponseRedirect(reverse("django_six_demos_csp:htmx-lab"))
    stamp = timezone.now().strftime("%H:%M:%S.%f")[:-3]
    context = {
        "number": next(_requests),
        "rendered_at": f"{stamp} UTC",
        # Shown back as escaped text; long input is cut, not refused.
        "echo": request.GET.get("q", "")[:ECHO_LENGTH],
    }
    return TemplateResponse(request, address, context)
