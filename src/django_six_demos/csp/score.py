"""The CSP room's score page: this site's own headers, graded offline.

Content Security Policy (Django 6.0; django-csp on Django 5.2) plus the other
security headers Django sends, scored by our re-implementation of the HTTP
Observatory's and the CSP Evaluator's rules (``scoring``).
https://docs.djangoproject.com/en/6.0/ref/csp/
https://docs.djangoproject.com/en/6.0/ref/middleware/#module-django.middleware.security

The page does not describe the settings: it requests the demos' home page
through this site's whole middleware stack, as a first-time visitor would,
and grades the real response. The one thing simulated is HTTPS: the internal
request is marked secure (and carries the proxy header when
``SECURE_PROXY_SSL_HEADER`` is set), so no certificate is checked and the HSTS
preload list is not consulted.
"""

from __future__ import annotations

import io
from typing import Any, Final
from urllib.parse import urlsplit

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from django_six_demos import rooms
from django_six_demos.csp import scoring

# The page graded: the site's front door, where the Observatory starts too.
SCORED_URL_NAME: Final = "django_six_demos_index"
MAX_REDIRECTS: Final = 5
# What a proxy in front would say for HTTP (for HTTPS it sends the settings' value).
_PROXY_HTTP_VALUE: Final = "http"


def internal_get(request: HttpRequest, path: str, *, secure: bool) -> HttpResponseBase:
    """GET ``path`` on this site through every middleware, as a new visitor.

    The request carries this request's host, no cookies and no session.
    ``secure`` marks it HTTPS. The response is read, never closed: closing
    sends ``request_finished``, which would end this request's database
    connections in the middle of it.
    """
    host = request.get_host()
    script_name = request.META.get("SCRIPT_NAME", "")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": script_name,
        # reverse() includes the script prefix; PATH_INFO does not.
        "PATH_INFO": path.removeprefix(script_name) if script_name else path,
        "QUERY_STRING": "",
        "SERVER_NAME": request.META.get("SERVER_NAME", "localhost"),
        "SERVER_PORT": "443" if secure else "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "wsgi.url_scheme": "https" if secure else "http",
        "wsgi.input": io.BytesIO(),
    }
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, https_value = proxy_header
        environ[name] = https_value if secure else _PROXY_HTTP_VALUE
    inner = WSGIRequest(environ)
    handler = BaseHandler()
    handler.load_middleware()
    return handler.get_response(inner)


def http_route(request: HttpRequest, path: str) -> list[str]:
    """Return the URLs a visitor goes through from ``http://host/path``.

    Redirects on this host are followed (at most ``MAX_REDIRECTS``); a
    redirect to another host ends the route there.
    """
    host = request.get_host()
    url = f"http://{host}{path}"
    route = [url]
    for _ in range(MAX_REDIRECTS):
        parts = urlsplit(url)
        response = internal_get(request, parts.path or "/", secure=parts.scheme == "https")
        location = response.get("Location")
        if response.status_code not in (301, 302, 303, 307, 308) or not location:
            break
        target = urlsplit(location)
        scheme = target.scheme or parts.scheme
        netloc = target.netloc or parts.netloc
        url = f"{scheme}://{netloc}{target.path or '/'}"
        route.append(url)
        if netloc != host:
            break
    return route


@require_GET
def score(request: HttpRequest) -> TemplateResponse:
    """Grade the headers of this site's home page as the Observatory and the Evaluator would."""
    path = reverse(SCORED_URL_NAME)
    response = internal_get(request, path, secure=True)
    site = scoring.Site.from_response(response, http_route=http_route(request, path))
    answered = 200 <= response.status_code < 300
    policy = response.get("Content-Security-Policy")
    findings = scoring.evaluate_policy(policy) if policy else []
    counts = scoring.count_by_severity(findings)
    return TemplateResponse(
        request,
        "django_six_demos/csp/score.html",
        {
            "room": rooms.ROOMS_BY_SLUG["csp"],
            "scored_path": path,
            "status": response.status_code,
            "answered": answered,
            "grade": scoring.observatory_grade(site) if answered else None,
            "route": site.http_route,
            "headers": site.headers,
            "cookies": [scoring.Cookie.parse(raw) for raw in site.set_cookies],
            "policy": policy,
            "report_only": response.get("Content-Security-Policy-Report-Only"),
            "findings": findings,
            "counts": [(severity.name, count) for severity, count in counts.items()],
            "serious": sum(
                counts[severity]
                for severity in (
                    scoring.Severity.HIGH,
                    scoring.Severity.MEDIUM,
                    scoring.Severity.MEDIUM_MAYBE,
                )
            ),
        },
    )
