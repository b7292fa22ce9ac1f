"""Content Security Policy: Django 6.0's middleware, ``SECURE_CSP`` and ``csp_override``.

The explorer, twins, per-view policies, sandbox, injected attributes and other security headers,
each describing the header it is sent with. https://docs.djangoproject.com/en/6.0/ref/csp/
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final, NamedTuple, TypeVar, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from django_six_demos import compat, csp_header
from django_six_demos.csp import policies
from django_six_demos.demo import demo_for
from django_six_demos.htmx import HtmxHttpRequest

logger = logging.getLogger(__name__)

TEMPLATES = "django_six_demos/csp"
SANDBOX = f"{TEMPLATES}/sandbox.html"
INJECTED_ATTRIBUTES = f"{TEMPLATES}/injected_attributes.html"
NAMESPACE: Final = "django_six_demos_csp:"

# [sandbox-payloads]
# The sandbox's hostile text: a constant, never a database row (which a visitor can
# write). Each payload would set window.__sandboxRan if the browser ever ran it.
SANDBOX_TITLE: Final = "Injection sandbox: an abstract that carries scripts"
SANDBOX_AUTHOR: Final = "Mallory"
SANDBOX_ABSTRACT: Final = (
    "A talk submitted through a form that trusted its input. Its abstract hides two payloads:\n"
    '<script>window.__sandboxRan = "script";</script>\n'
    '<img src="" alt="" onerror="window.__sandboxRan = \'onerror\'">'
)
# [/sandbox-payloads]

PLANTED_URL_NAME: Final = f"{NAMESPACE}planted"


def planted_payload() -> str:
    """Return the injected-attributes payload, aimed at this room's harmless endpoint."""
    # No script and no eval: outside hx-disable htmx would POST on load, with the CSRF
    # token of base.html's <body>. The real attack named the admin's "add user" form.
    return (
        f'<p class="planted" hx-post="{reverse(PLANTED_URL_NAME)}"\n'
        """   hx-vals='{"username": "mallory", "is_superuser": "on"}'\n"""
        '   hx-trigger="load">A talk about caching (and an attribute or two).</p>'
    )


def deliberately_unescaped(which: str) -> SafeString:
    """Return this module's payload "sandbox" or "planted" as HTML, to print unescaped.

    Only these constants, by name: never request or database text (tests/test_no_safe_on_data.py).
    """
    payloads = {"sandbox": lambda: SANDBOX_ABSTRACT, "planted": planted_payload}
    if which not in payloads:
        raise ValueError(f"No such payload: {which!r}.")
    return mark_safe(payloads[which]())


def _render(request: HttpRequest, template: str, **extra: Any) -> TemplateResponse:
    return TemplateResponse(request, template, {**demo_for(__name__).context(), **extra})


# -- The policy as sent -------------------------------------------------------
# What a page says about its policy is read from the headers the middleware write, not
# from the settings: the reporting middleware rewrites report-uri and may leave report-to
# out (without the Reporting-Endpoints header it needs, report-to would send nothing).

T = TypeVar("T")
_NONCE_SOURCE = re.compile(r"^'nonce-[^']*'$")
REPORTING_ENDPOINTS: Final = "Reporting-Endpoints"


def policy_writers() -> list[str]:
    """Return the middleware that write the CSP headers, outermost first.

    The CSP middleware and every middleware from this room's own (``report-uri`` and
    ``Reporting-Endpoints``) inward to it; none without the CSP middleware.
    """
    names = list(settings.MIDDLEWARE)
    if compat.CSP_MIDDLEWARE not in names:
        return []
    end = names.index(compat.CSP_MIDDLEWARE)
    room = [names.index(name) for name in demo_for(__name__).middleware if name in names[:end]]
    return names[min(room, default=end) : end + 1]


def sent_headers(request: HttpRequest, page: HttpResponseBase | None = None) -> HttpResponseBase:
    """Return an empty response with the headers ``policy_writers()`` give it for ``request``.

    ``page`` is the view's response: its per-view policy (``csp_override`` on Django 6.0+,
    django-csp's decorators on 5.2, both ``_csp*`` attributes) applies; without it, the site's.
    The request is left as it was, its nonce included.
    """
    probe = HttpResponse()
    if page is not None:
        for name, value in vars(page).items():
            if name.startswith("_csp"):
                setattr(probe, name, value)

    def view(request: HttpRequest) -> HttpResponseBase:
        # Every page uses its nonce (base.html's scripts): an unused one is left out of the header.
        if (nonce := compat.get_nonce(request)) is not None:
            str(nonce)
        return probe

    handler: Callable[[HttpRequest], HttpResponseBase] = view
    for name in reversed(policy_writers()):
        handler = import_string(name)(handler)
    state = vars(request).copy()
    try:
        return handler(request)
    finally:
        vars(request).clear()
        vars(request).update(state)


class SentPolicy:
    """The CSP headers of a page's response, read from ``sent_headers()`` on first use."""

    def __init__(self, request: HttpRequest, page: HttpResponseBase | None = None) -> None:
        self.request = request
        self.page = page

    @cached_property
    def response(self) -> HttpResponseBase:
        return sent_headers(self.request, self.page)

    def policy(self, header: str) -> csp_header.Policy:
        """Return the policy sent in ``header`` (empty: the header is not sent)."""
        return csp_header.policies(self.response).get(header, {})

    def explained(self, header: str, *only: str) -> list[policies.ExplainedDirective]:
        """Each directive sent in ``header`` (or those named), with its reason; the nonce as 'nonce-…'."""
        return policies.explain(
            {
                name: ["'nonce-…'" if _NONCE_SOURCE.match(s) else s for s in sources]
                for name, sources in self.policy(header).items()
                if not only or name in only
            }
        )

    def reporting(self, header: str) -> list[str]:
        return policies.reporting(self.policy(header))

    @property
    def endpoints(self) -> str | None:
        """The ``Reporting-Endpoints`` header sent beside the policy, if any."""
        return self.response.get(REPORTING_ENDPOINTS)


def when_rendered(build: Callable[[], T]) -> T:
    """Return ``build()``'s value, computed when the template first reads it.

    By then the view's CSP decorators have marked its response: the policy read is the page's.
    """
    return cast(T, SimpleLazyObject(build))


@dataclass(frozen=True)
class Mode:
    """One of the two ways a policy can be sent, and the policy this page was sent that way."""

    key: str
    header: str
    setting: str
    configured: bool
    directives: list[policies.ExplainedDirective]
    reporting: list[str]
    # Reporting directives the settings name but the header does not carry.
    left_out: list[str]


def _modes(sent: SentPolicy) -> list[Mode]:
    configured = compat.configured_policies()
    modes = []
    for key, header, setting in (
        ("enforce", csp_header.ENFORCED, compat.CSP_SETTING),
        ("report-only", csp_header.REPORT_ONLY, compat.CSP_REPORT_ONLY_SETTING),
    ):
        policy = sent.policy(header)
        left_out = [
            name
            for name in ("report-uri", "report-to")
            if configured[key].get(name) and name not in policy
        ]
        modes.append(
            Mode(
                key,
                header,
                setting,
                bool(configured[key]),
                sent.explained(header),
                sent.reporting(header),
                left_out if policy else [],
            )
        )
    return modes


@require_GET
def index(request: HttpRequest) -> TemplateResponse:
    """The policy explorer: the policy this page is sent with, each directive with its reason."""
    twins = [
        {"mode": key, "header": header, "url": reverse(f"{NAMESPACE}twin-{twin}")}
        for key, header, twin in (
            ("enforce", csp_header.ENFORCED, "enforced"),
            ("report-only", csp_header.REPORT_ONLY, "report-only"),
        )
    ]
    response = _render(request, f"{TEMPLATES}/index.html", twins=twins)
    sent = SentPolicy(request, response)
    assert response.context_data is not None
    response.context_data["modes"] = when_rendered(lambda: _modes(sent))
    response.context_data["endpoints"] = when_rendered(lambda: sent.endpoints or "")
    return response


def _twin(request: HttpRequest, *, report_only: bool) -> TemplateResponse:
    header = csp_header.REPORT_ONLY if report_only else csp_header.ENFORCED
    response = _render(
        request,
        f"{TEMPLATES}/twin.html",
        mode="report-only" if report_only else "enforce",
        header=header,
        twin_url=reverse(f"{NAMESPACE}twin-{'enforced' if report_only else 'report-only'}"),
        probe_image=policies.PROBE_IMAGE,
    )
    sent = SentPolicy(request, response)
    assert response.context_data is not None
    response.context_data["img_src"] = when_rendered(lambda: sent.explained(header, "img-src"))
    return response


@require_GET
@compat.csp_enforce_only()
def twin_enforced(request: HttpRequest) -> TemplateResponse:
    """The twin page under the site's policy, enforced (and no report-only header)."""
    return _twin(request, report_only=False)


@require_GET
@compat.csp_report_only()
def twin_report_only(request: HttpRequest) -> TemplateResponse:
    """The twin page under the site's policy as report-only (and no enforced header)."""
    return _twin(request, report_only=True)


@require_GET
@compat.csp_extend(policies.EXTENDED)
def extended(request: HttpRequest) -> TemplateResponse:
    """A page whose policy is the site's plus one source: data: images."""
    response = _render(request, f"{TEMPLATES}/per_view.html", probe_image=policies.PROBE_IMAGE)
    site, this_view = SentPolicy(request), SentPolicy(request, response)
    assert response.context_data is not None
    response.context_data.update(
        site_img_src=when_rendered(lambda: site.explained(csp_header.ENFORCED, "img-src")),
        extended_img_src=when_rendered(lambda: this_view.explained(csp_header.ENFORCED, "img-src")),
    )
    return response


@require_GET
@compat.csp_disable()
def disabled(request: HttpRequest) -> TemplateResponse:
    """A page served without any Content-Security-Policy header."""
    return _render(request, f"{TEMPLATES}/disabled.html", probe_image=policies.PROBE_IMAGE)


@require_GET
@vary_on_headers("HX-Request")
def sandbox(request: HtmxHttpRequest) -> TemplateResponse:
    """Script payloads, printed unescaped: the policy stops them (htmx: the ``payload`` partial)."""
    # The partial's name is fixed here, never taken from the request.
    response = _render(
        request,
        f"{SANDBOX}#payload" if request.htmx else SANDBOX,
        title=SANDBOX_TITLE,
        author=SANDBOX_AUTHOR,
        abstract=SANDBOX_ABSTRACT,
        payload=deliberately_unescaped("sandbox"),
    )
    sent = SentPolicy(request, response)
    assert response.context_data is not None
    response.context_data["reporting"] = when_rendered(
        lambda: [
            destination
            for header in csp_header.CSP_HEADERS
            for destination in sent.reporting(header)
        ]
    )
    return response


@require_GET
@vary_on_headers("HX-Request")
def injected_attributes(request: HtmxHttpRequest) -> TemplateResponse:
    """Injected hx-* attributes, which no policy stops, held inert by hx-disable."""
    # The partial's name is fixed here, never taken from the request.
    return _render(
        request,
        f"{INJECTED_ATTRIBUTES}#planted" if request.htmx else INJECTED_ATTRIBUTES,
        payload_text=planted_payload(),
        payload=deliberately_unescaped("planted"),
        planted_url=reverse(PLANTED_URL_NAME),
    )


@require_POST
def planted(request: HttpRequest) -> HttpResponse:
    """Where the planted attributes would post: a 204 that changes nothing (browser tests watch)."""
    logger.info("The planted hx-post of the CSP lab arrived from %s.", request.path)
    return HttpResponse(status=204)


class HeaderNote(NamedTuple):
    """A security header and what this site's settings ask for (None: not sent)."""

    name: str
    asked: str | None


def _permissions_policy() -> str | None:
    if "django_permissions_policy.PermissionsPolicyMiddleware" not in settings.MIDDLEWARE:
        return None
    policy = getattr(settings, "PERMISSIONS_POLICY", None) or {}
    return (
        ", ".join(
            f"{feature}=({' '.join(allowed) if isinstance(allowed, (list, tuple)) else allowed})"
            for feature, allowed in policy.items()
        )
        or None
    )


def header_notes() -> list[HeaderNote]:
    """Return the security headers the page explains, with what this site's settings ask for."""
    security = "django.middleware.security.SecurityMiddleware" in settings.MIDDLEWARE
    framing = "django.middleware.clickjacking.XFrameOptionsMiddleware" in settings.MIDDLEWARE
    hsts = settings.SECURE_HSTS_SECONDS
    return [
        HeaderNote("Permissions-Policy", _permissions_policy()),
        HeaderNote("Referrer-Policy", settings.SECURE_REFERRER_POLICY if security else None),
        HeaderNote(
            "Cross-Origin-Opener-Policy",
            settings.SECURE_CROSS_ORIGIN_OPENER_POLICY if security else None,
        ),
        HeaderNote(
            "X-Content-Type-Options",
            "nosniff" if security and settings.SECURE_CONTENT_TYPE_NOSNIFF else None,
        ),
        HeaderNote("X-Frame-Options", settings.X_FRAME_OPTIONS if framing else None),
        HeaderNote("Cross-Origin-Resource-Policy", None),
        HeaderNote("Strict-Transport-Security", f"max-age={hsts}" if security and hsts else None),
    ]


@require_GET
def headers(request: HttpRequest) -> TemplateResponse:
    """The other security headers: what each does, and what the settings ask for."""
    response = _render(request, f"{TEMPLATES}/headers.html", notes=header_notes())
    sent = SentPolicy(request, response)
    assert response.context_data is not None
    response.context_data["frame_ancestors"] = when_rendered(
        lambda: " ".join(sent.policy(csp_header.ENFORCED).get("frame-ancestors", []))
    )
    return response
