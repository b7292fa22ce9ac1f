"""The ``Reporting-Endpoints`` header that CSP's ``report-to`` needs.

A policy's ``report-to csp`` names a group, not a URL: the browser looks the
group up in the response's ``Reporting-Endpoints`` header (Reporting API,
https://developer.mozilla.org/docs/Web/HTTP/Reference/Headers/Reporting-Endpoints).
Django's ``SECURE_CSP`` settings (6.0+, https://docs.djangoproject.com/en/6.0/ref/csp/)
and django-csp's (5.2) emit only the CSP headers, so this small middleware
sends the other one, from the ``DJANGO_SIX_DEMOS_REPORTING_ENDPOINTS`` setting.

Over plain HTTP Chromium ignores ``Reporting-Endpoints`` yet still prefers
``report-to`` to ``report-uri``: a policy with both reports nowhere. Sites are
served over HTTPS, but ``runserver`` on localhost is not; so in development
(``DEBUG`` on) over plain HTTP, the middleware removes ``report-to`` from a CSP
header that also has ``report-uri``, and the browser falls back to ``report-uri``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.encoding import iri_to_uri

from django_six_demos.conf import REPORTING_ENDPOINTS_SETTING

HEADER = "Reporting-Endpoints"
CSP_HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")
# A structured-field dictionary key (RFC 8941): lowercase, starting with a letter or "*".
_GROUP = re.compile(r"^[a-z*][a-z0-9_.*-]*$")


def endpoints() -> dict[str, str]:
    """Return the configured ``{group: url}`` (the setting, or nothing)."""
    value = getattr(settings, REPORTING_ENDPOINTS_SETTING, None)
    if not isinstance(value, Mapping):
        return {}
    return {str(group): str(url) for group, url in value.items()}


def header_value(request: HttpRequest, groups: Mapping[str, str]) -> str:
    """Return the header for ``groups``, with each URL made absolute for ``request``.

    >>> header_value(request, {"csp": "/csp/report/"})
    'csp="https://example.com/csp/report/"'

    Groups that are not structured-field keys are left out.
    """
    parts = []
    for group, url in groups.items():
        if _GROUP.match(group):
            # iri_to_uri percent-encodes quotes, backslashes, controls and
            # non-ASCII: what is left is a valid structured-field string.
            parts.append(f'{group}="{iri_to_uri(request.build_absolute_uri(url))}"')
    return ", ".join(parts)


def _directives(header: str) -> list[str]:
    return [part.strip() for part in header.split(";") if part.strip()]


def _name(directive: str) -> str:
    return directive.split()[0].lower()


def asks_for_reports(response: HttpResponseBase) -> bool:
    """Return whether a CSP header of ``response`` has a ``report-to`` directive."""
    return any(
        _name(directive) == "report-to"
        for header in CSP_HEADERS
        for directive in _directives(response.get(header, ""))
    )


def drop_report_to_beside_report_uri(response: HttpResponseBase) -> None:
    """Remove ``report-to`` from each CSP header of ``response`` that has ``report-uri``."""
    for header in CSP_HEADERS:
        directives = _directives(response.get(header, ""))
        names = {_name(directive) for directive in directives}
        if {"report-to", "report-uri"} <= names:
            response[header] = "; ".join(d for d in directives if _name(d) != "report-to")


class ReportingEndpointsMiddleware:
    """Add ``Reporting-Endpoints`` to responses whose CSP reports to a group.

    Goes just outside the CSP middleware (``conf.middleware()`` puts it
    there), so the CSP header is already set when this middleware reads it.
    In development over plain HTTP it drops ``report-to`` where ``report-uri``
    can stand in (see the module docstring). The setting is read on every
    request; a header the view set is kept.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # Only with DEBUG: elsewhere the header stays exactly as the settings say.
        if settings.DEBUG and not request.is_secure():
            drop_report_to_beside_report_uri(response)
        groups = endpoints()
        if not groups or HEADER in response or not asks_for_reports(response):
            return response
        try:
            value = header_value(request, groups)
        except DisallowedHost:
            # A host outside ALLOWED_HOSTS: no URL to give, and Django refuses the request.
            return response
        if value:
            response[HEADER] = value
        return response
