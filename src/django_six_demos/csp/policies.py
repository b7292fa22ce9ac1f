"""Why each directive of the site's policy is there, and the per-view policies.

The policy comes from ``conf.strict_policy()``, read back by ``compat.configured_policies()``.
https://docs.djangoproject.com/en/6.0/ref/csp/
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from django_six_demos import csp_policy
from django_six_demos.csp.reporting import report_url

# Why each directive is in a policy (tests/csp/test_policies.py: none may lack one).
REASONS: Final[Mapping[str, str]] = {
    "default-src": (
        "The fallback for every fetch directive not listed: 'none' means anything "
        "the policy forgot is refused, not allowed."
    ),
    "script-src": (
        "Only scripts carrying this response's nonce run, plus what they load "
        "('strict-dynamic'). Injected <script> and on*= handlers have no nonce, so "
        "they never run; host allowlists are skipped, since CDNs host bypass gadgets."
    ),
    "script-src-elem": "Like script-src, for <script> elements only.",
    "script-src-attr": "Like script-src, for inline event handlers (on*=) only.",
    "style-src": (
        'Stylesheets from this site only: no <style> blocks and no style="" '
        "attributes, which can restyle a page to fake content or leak data."
    ),
    "style-src-elem": "Like style-src, for <style> and <link rel=stylesheet> only.",
    "style-src-attr": 'Like style-src, for style="" attributes only.',
    "img-src": (
        "Images from this site only: an injected <img> cannot carry data to another "
        "host in its URL."
    ),
    "font-src": "Fonts from this site only.",
    "connect-src": (
        "fetch(), XMLHttpRequest (htmx), WebSocket and EventSource may talk to this "
        "site only, so injected code could not send what it reads elsewhere."
    ),
    "media-src": "Audio and video from the listed sources only.",
    "frame-src": "What the page may show in <iframe>s.",
    "child-src": "Frames and workers, for browsers without frame-src or worker-src.",
    "worker-src": "Which scripts may run as web, shared or service workers.",
    "manifest-src": "Where the web app manifest may come from.",
    "form-action": (
        "Forms may submit to this site only: an injected <form> cannot post the "
        "password a browser filled in to another host."
    ),
    "frame-ancestors": (
        "No site may frame these pages (clickjacking), the CSP successor of "
        "X-Frame-Options: DENY. Only honoured in the HTTP header."
    ),
    "base-uri": (
        "No <base> element: an injected one would make every relative script URL "
        "point at another host. Required wherever nonces are used."
    ),
    "object-src": "No <object> or <embed> plugins, an old way around script-src.",
    "upgrade-insecure-requests": "The browser fetches http:// resources over https://.",
    "require-trusted-types-for": (
        "DOM sinks such as innerHTML accept only Trusted Types objects, not strings."
    ),
    "trusted-types": "Which Trusted Types policies the page may create.",
    "report-uri": (
        "Where the browser POSTs a report of each violation (application/csp-report): "
        "legacy, but every browser sends it."
    ),
    "report-to": (
        "The Reporting API endpoint (named in the Reporting-Endpoints header) that "
        "receives batched violation reports; the modern twin of report-uri."
    ),
    "sandbox": "Runs the page as if in a sandboxed iframe.",
}

# The data: image (an SVG without style or script) that img-src 'self' refuses.
PROBE_IMAGE: Final = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='220' height='44'%3E"
    "%3Crect width='220' height='44' rx='6' fill='%230c4b33'/%3E"
    "%3Ctext x='110' y='28' fill='white' font-family='sans-serif' font-size='16' "
    "text-anchor='middle'%3EA data: image loaded%3C/text%3E%3C/svg%3E"
)

# The per-view extension: one view that also accepts data: images.
EXTENDED: Final[Mapping[str, list[csp_policy.Source]]] = {"img-src": ["data:"]}


@dataclass(frozen=True)
class ExplainedDirective:
    """One directive of a policy, as the explorer shows it."""

    name: str
    sources: tuple[str, ...]
    reason: str | None


def source_text(source: object) -> str:
    """Return ``source`` as a header spells it; the nonce as ``'nonce-…'``."""
    return "'nonce-…'" if source is csp_policy.NONCE else str(source)


def sent_sources(name: str, sources: Any) -> tuple[str, ...]:
    """Return the sources of directive ``name`` as the header carries them.

    The nonce as ``'nonce-…'``; in ``report-uri``, a URL name as the path it resolves to.
    """
    if name == "report-uri":
        return tuple(report_url(str(s)) or str(s) for s in sources)
    return tuple(source_text(s) for s in sources)


def explain(directives: Mapping[str, Any]) -> list[ExplainedDirective]:
    """Return each directive sent (not ``None`` or ``False``) with its sources and reason."""
    explained = []
    for name, sources in directives.items():
        if sources is None or sources is False:
            continue
        values = () if sources is True else sent_sources(name, sources)
        explained.append(ExplainedDirective(name, values, REASONS.get(name)))
    return explained


def missing_reasons(directives: Mapping[str, Any]) -> list[str]:
    """Return the directives of ``directives`` that have no reason in ``REASONS``."""
    return [d.name for d in explain(directives) if d.reason is None]


def reporting(directives: Mapping[str, Any]) -> list[str]:
    """Return where a policy sends its violation reports (report-uri, report-to)."""
    found = []
    for name in ("report-uri", "report-to"):
        sources = directives.get(name)
        if sources and not isinstance(sources, bool):
            found += [f"{name} {source}" for source in sent_sources(name, sources)]
    return found
