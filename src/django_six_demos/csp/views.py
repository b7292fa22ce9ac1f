"""Content Security Policy: Django 6.0's middleware, ``SECURE_CSP`` and ``csp_override``.

The explorer, the twins, per-view policies, the injection sandbox, injected htmx attributes
and the other security headers. https://docs.djangoproject.com/en/6.0/ref/csp/
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from django_six_demos import compat, csp_header, csp_policy
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


@dataclass(frozen=True)
class Mode:
    """One of the two ways a policy can be sent, and the policy sent that way."""

    key: str
    header: str
    setting: str
    directives: list[policies.ExplainedDirective]
    reporting: list[str]


@require_GET
def index(request: HttpRequest) -> TemplateResponse:
    """The policy explorer: the policy in force, each directive with its reason."""
    configured = compat.configured_policies()
    modes: list[Mode] = []
    twins: list[dict[str, str]] = []
    for key, header, setting, twin in (
        ("enforce", csp_header.ENFORCED, compat.CSP_SETTING, "enforced"),
        ("report-only", csp_header.REPORT_ONLY, compat.CSP_REPORT_ONLY_SETTING, "report-only"),
    ):
        explained = policies.explain(configured[key])
        modes.append(Mode(key, header, setting, explained, policies.reporting(configured[key])))
        twins.append({"mode": key, "header": header, "url": reverse(f"{NAMESPACE}twin-{twin}")})
    return _render(request, f"{TEMPLATES}/index.html", modes=modes, twins=twins)


def _twin(request: HttpRequest, *, report_only: bool) -> TemplateResponse:
    site_img_src = compat.configured_policies()["enforce"].get("img-src")
    return _render(
        request,
        f"{TEMPLATES}/twin.html",
        mode="report-only" if report_only else "enforce",
        header=csp_header.REPORT_ONLY if report_only else csp_header.ENFORCED,
        twin_url=reverse(f"{NAMESPACE}twin-{'enforced' if report_only else 'report-only'}"),
        img_src=policies.explain({"img-src": site_img_src}),
        probe_image=policies.PROBE_IMAGE,
    )


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
    site = compat.configured_policies()["enforce"]
    extended_img_src = csp_policy.merge_directives(site, policies.EXTENDED)["img-src"]
    return _render(
        request,
        f"{TEMPLATES}/per_view.html",
        site_img_src=policies.explain({"img-src": site.get("img-src")}),
        extended_img_src=policies.explain({"img-src": extended_img_src}),
        probe_image=policies.PROBE_IMAGE,
    )


@require_GET
@compat.csp_disable()
def disabled(request: HttpRequest) -> TemplateResponse:
    """A page served without any Content-Security-Policy header."""
    return _render(request, f"{TEMPLATES}/disabled.html", probe_image=policies.PROBE_IMAGE)


@require_GET
@vary_on_headers("HX-Request")
def sandbox(request: HtmxHttpRequest) -> TemplateResponse:
    """Script payloads, printed unescaped: the policy stops them (htmx: the ``payload`` partial)."""
    reporting = [
        destination
        for policy in compat.configured_policies().values()
        for destination in policies.reporting(policy)
    ]
    # The partial's name is fixed here, never taken from the request.
    return _render(
        request,
        f"{SANDBOX}#payload" if request.htmx else SANDBOX,
        title=SANDBOX_TITLE,
        author=SANDBOX_AUTHOR,
        abstract=SANDBOX_ABSTRACT,
        payload=deliberately_unescaped("sandbox"),
        reporting=reporting,
    )


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
    frame_ancestors = compat.configured_policies()["enforce"].get("frame-ancestors") or []
    return _render(
        request,
        f"{TEMPLATES}/headers.html",
        notes=header_notes(),
        frame_ancestors=" ".join(policies.source_text(s) for s in frame_ancestors),
    )
