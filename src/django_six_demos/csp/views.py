"""Content Security Policy: Django 6.0's middleware, ``SECURE_CSP`` and ``csp_override``
(django-csp on 5.2), https://docs.djangoproject.com/en/6.0/ref/csp/. The explorer, the
twins, per-view policies, the injection sandbox, the lesson on injected htmx attributes
(which no policy stops) and the other security headers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from django_six_demos import compat, rooms
from django_six_demos.csp import policies

logger = logging.getLogger(__name__)

TEMPLATES = "django_six_demos/csp"
SANDBOX = f"{TEMPLATES}/sandbox.html"
INJECTED_ATTRIBUTES = f"{TEMPLATES}/injected_attributes.html"

# [sandbox-payloads]
# The sandbox's hostile text. A constant of this module, never a database row:
# a row is something a visitor can write, and a page must never trust it. Each
# payload would set window.__sandboxRan if the browser ever ran it.
SANDBOX_TITLE: Final = "Injection sandbox: an abstract that carries scripts"
SANDBOX_AUTHOR: Final = "Mallory"
SANDBOX_ABSTRACT: Final = (
    "A talk submitted through a form that trusted its input. Its abstract hides two payloads:\n"
    '<script>window.__sandboxRan = "script";</script>\n'
    '<img src="" alt="" onerror="window.__sandboxRan = \'onerror\'">'
)
# [/sandbox-payloads]

# [planted-attributes]
# No script and no eval: attributes that htmx acts on when it processes the
# page. Outside hx-disable it would POST, as soon as the page loads, with the
# CSRF token that base.html's <body> hands to every htmx request. It names this
# room's harmless endpoint; the real attack named the admin's "add user" form.
PLANTED_URL_NAME: Final = "django_six_demos_csp:planted"


def planted_payload() -> str:
    """Return the injected-attributes payload, aimed at this room's harmless endpoint."""
    return (
        f'<p class="planted" hx-post="{reverse(PLANTED_URL_NAME)}"\n'
        """   hx-vals='{"username": "mallory", "is_superuser": "on"}'\n"""
        '   hx-trigger="load">A talk about caching (and an attribute or two).</p>'
    )


# [/planted-attributes]

# The only markup this room prints unescaped: the payloads above, each inside
# an hx-disable region of its template.
_CODE_PAYLOADS: Final = frozenset({"sandbox", "planted"})


def deliberately_unescaped(which: str) -> SafeString:
    """Return one of this module's payloads as HTML, to print unescaped.

    Only the constants above, chosen by name: never text from a request or a
    database row (tests/test_no_safe_on_data.py lists every mark_safe).
    """
    if which not in _CODE_PAYLOADS:
        raise ValueError(f"No such payload: {which!r}.")
    return mark_safe(SANDBOX_ABSTRACT if which == "sandbox" else planted_payload())


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _room() -> dict[str, Any]:
    return {"room": rooms.ROOMS_BY_SLUG["csp"], "sources": rooms.sources("csp")}


@dataclass(frozen=True)
class Mode:
    """One of the two ways a policy can be sent, and the policy sent that way."""

    key: str
    header: str
    setting: str
    directives: list[policies.ExplainedDirective]
    reporting: list[str]


def _modes() -> list[Mode]:
    configured = compat.configured_policies()
    return [
        Mode(
            "enforce",
            "Content-Security-Policy",
            compat.CSP_SETTING,
            policies.explain(configured["enforce"]),
            policies.reporting(configured["enforce"]),
        ),
        Mode(
            "report-only",
            "Content-Security-Policy-Report-Only",
            compat.CSP_REPORT_ONLY_SETTING,
            policies.explain(configured["report-only"]),
            policies.reporting(configured["report-only"]),
        ),
    ]


@require_GET
def index(request: HttpRequest) -> TemplateResponse:
    """The policy explorer: the policy in force, each directive with its reason."""
    twins = [
        {
            "mode": "enforce",
            "title": "Enforced",
            "header": "Content-Security-Policy",
            "url": reverse("django_six_demos_csp:twin-enforced"),
        },
        {
            "mode": "report-only",
            "title": "Report-only",
            "header": "Content-Security-Policy-Report-Only",
            "url": reverse("django_six_demos_csp:twin-report-only"),
        },
    ]
    return TemplateResponse(
        request,
        f"{TEMPLATES}/index.html",
        {**_room(), "modes": _modes(), "twins": twins},
    )


def _twin(request: HttpRequest, *, report_only: bool) -> TemplateResponse:
    mode = "report-only" if report_only else "enforce"
    return TemplateResponse(
        request,
        f"{TEMPLATES}/twin.html",
        {
            **_room(),
            "mode": mode,
            "header": "Content-Security-Policy-Report-Only"
            if report_only
            else "Content-Security-Policy",
            "twin_url": reverse(
                "django_six_demos_csp:twin-enforced"
                if report_only
                else "django_six_demos_csp:twin-report-only"
            ),
            "img_src": policies.explain(
                {"img-src": compat.configured_policies()["enforce"].get("img-src")}
            ),
            "probe_image": policies.PROBE_IMAGE,
        },
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
    return TemplateResponse(
        request,
        f"{TEMPLATES}/per_view.html",
        {
            **_room(),
            "site_img_src": policies.explain({"img-src": site.get("img-src")}),
            "extended_img_src": policies.explain(
                {"img-src": compat.merge_directives(site, policies.EXTENDED)["img-src"]}
            ),
            "probe_image": policies.PROBE_IMAGE,
        },
    )


@require_GET
@compat.csp_disable()
def disabled(request: HttpRequest) -> TemplateResponse:
    """A page served without any Content-Security-Policy header."""
    return TemplateResponse(
        request,
        f"{TEMPLATES}/disabled.html",
        {**_room(), "probe_image": policies.PROBE_IMAGE},
    )


def _reporting() -> list[str]:
    return [
        destination
        for policy in compat.configured_policies().values()
        for destination in policies.reporting(policy)
    ]


@require_GET
@vary_on_headers("HX-Request")
def sandbox(request: HtmxHttpRequest) -> TemplateResponse:
    """Script payloads, printed unescaped: the policy stops them.

    The full page, or for htmx only its ``payload`` partial.
    """
    context = {
        **_room(),
        "title": SANDBOX_TITLE,
        "author": SANDBOX_AUTHOR,
        "abstract": SANDBOX_ABSTRACT,
        "payload": deliberately_unescaped("sandbox"),
        "reporting": _reporting(),
    }
    # The partial's name is fixed here, never taken from the request.
    template = f"{SANDBOX}#payload" if request.htmx else SANDBOX
    return TemplateResponse(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
def injected_attributes(request: HtmxHttpRequest) -> TemplateResponse:
    """Injected hx-* attributes, which no policy stops, held inert by hx-disable.

    The full page, or for htmx only its ``planted`` partial.
    """
    context = {
        **_room(),
        "payload_text": planted_payload(),
        "payload": deliberately_unescaped("planted"),
        "planted_url": reverse(PLANTED_URL_NAME),
    }
    # The partial's name is fixed here, never taken from the request.
    template = f"{INJECTED_ATTRIBUTES}#planted" if request.htmx else INJECTED_ATTRIBUTES
    return TemplateResponse(request, template, context)


@require_POST
def planted(request: HttpRequest) -> HttpResponse:
    """Where the planted attributes would post: a 204 that changes nothing.

    Nothing on this site sends a request here while every region that shows
    the payload carries hx-disable; the browser tests watch for one.
    """
    logger.info("The planted hx-post of the CSP lab arrived from %s.", request.path)
    return HttpResponse(status=204)


@dataclass(frozen=True)
class HeaderNote:
    """A security header: what it does, and what this site's settings ask for."""

    name: str
    asked: str | None
    source: str
    purpose: str


def _has_middleware(path: str) -> bool:
    return path in settings.MIDDLEWARE


def _permissions_policy() -> str | None:
    if not _has_middleware("django_permissions_policy.PermissionsPolicyMiddleware"):
        return None
    policy = getattr(settings, "PERMISSIONS_POLICY", None) or {}
    if not policy:
        return None
    return ", ".join(
        f"{feature}=({' '.join(allowed) if isinstance(allowed, (list, tuple)) else allowed})"
        for feature, allowed in policy.items()
    )


def header_notes() -> list[HeaderNote]:
    """Return the security headers the demo explains, with this site's settings."""
    security = _has_middleware("django.middleware.security.SecurityMiddleware")
    clickjacking = _has_middleware("django.middleware.clickjacking.XFrameOptionsMiddleware")
    frame_ancestors = compat.configured_policies()["enforce"].get("frame-ancestors")
    return [
        HeaderNote(
            "Permissions-Policy",
            _permissions_policy(),
            "django-permissions-policy: PERMISSIONS_POLICY",
            "Switches off browser features the site never uses (camera, microphone, "
            "geolocation, payment…) for this page and every frame in it: injected code "
            "cannot ask for them. Django itself never sends it.",
        ),
        HeaderNote(
            "Referrer-Policy",
            settings.SECURE_REFERRER_POLICY if security else None,
            "SecurityMiddleware: SECURE_REFERRER_POLICY",
            "How much of this page's address the browser passes on in the Referer "
            "header. same-origin: the full URL to this site, nothing to others, so "
            "query strings never leak to another host.",
        ),
        HeaderNote(
            "Cross-Origin-Opener-Policy",
            settings.SECURE_CROSS_ORIGIN_OPENER_POLICY if security else None,
            "SecurityMiddleware: SECURE_CROSS_ORIGIN_OPENER_POLICY",
            "same-origin: a window of another site that opens this page (or that this "
            "page opens) gets no handle on it: no window.opener tricks, and the page "
            "gets its own browsing context group, a defence against Spectre-style leaks.",
        ),
        HeaderNote(
            "X-Content-Type-Options",
            "nosniff" if security and settings.SECURE_CONTENT_TYPE_NOSNIFF else None,
            "SecurityMiddleware: SECURE_CONTENT_TYPE_NOSNIFF",
            "The browser trusts the Content-Type and never guesses: an uploaded text "
            "file cannot be run as a script or a stylesheet.",
        ),
        HeaderNote(
            "X-Frame-Options",
            settings.X_FRAME_OPTIONS if clickjacking else None,
            "XFrameOptionsMiddleware: X_FRAME_OPTIONS",
            "No other site may show this page in a frame (clickjacking). The CSP "
            "directive frame-ancestors does the same for current browsers"
            + (
                f" and is in this site's policy: frame-ancestors {' '.join(map(str, frame_ancestors))}."
                if frame_ancestors
                else "; this site's policy does not set it."
            ),
        ),
        HeaderNote(
            "Cross-Origin-Resource-Policy",
            None,
            "No Django setting: a small middleware or the web server adds it",
            "same-origin: other sites may not embed this site's responses (images, "
            "scripts, JSON) in their pages, so a Spectre-style attack cannot read them "
            "cross-origin. The Mozilla Observatory adds 10 points for it.",
        ),
        HeaderNote(
            "Strict-Transport-Security",
            f"max-age={settings.SECURE_HSTS_SECONDS}"
            if security and settings.SECURE_HSTS_SECONDS
            else None,
            "SecurityMiddleware: SECURE_HSTS_SECONDS (sent over HTTPS only)",
            "The browser uses HTTPS for this host for the given time, even if a link "
            "or the user types http://.",
        ),
    ]


@require_GET
def headers(request: HttpRequest) -> TemplateResponse:
    """The other security headers: what each does, and what the settings ask for."""
    return TemplateResponse(
        request, f"{TEMPLATES}/headers.html", {**_room(), "notes": header_notes()}
    )
