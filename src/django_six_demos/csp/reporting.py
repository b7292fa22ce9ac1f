"""The ``Reporting-Endpoints`` header that CSP's ``report-to`` needs; Django sends none.

Over plain HTTP Chromium ignores the header yet prefers ``report-to``, so in development
(``DEBUG``, no HTTPS) the middleware drops ``report-to`` where ``report-uri`` can stand in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.encoding import iri_to_uri

from django_six_demos import csp_header
from django_six_demos.conf import REPORTING_ENDPOINTS_SETTING

HEADER = "Reporting-Endpoints"
# A structured-field dictionary key (RFC 8941): lowercase, starting with a letter or "*".
_GROUP = re.compile(r"^[a-z*][a-z0-9_.*-]*$")


def endpoints() -> dict[str, str]:
    """Return the configured ``{group: url}`` (the setting, or nothing)."""
    value = getattr(settings, REPORTING_ENDPOINTS_SETTING, None)
    if not isinstance(value, Mapping):
        return {}
    return {str(group): str(url) for group, url in value.items()}


def header_value(request: HttpRequest, groups: Mapping[str, str]) -> str:
    """Return the header for ``groups``, each URL made absolute; invalid group names are left out.

    >>> header_value(request, {"csp": "/csp/report/"})
    'csp="https://example.com/csp/report/"'
    """
    # iri_to_uri percent-encodes quotes, backslashes, controls and non-ASCII: a valid sf-string.
    return ", ".join(
        f'{group}="{iri_to_uri(request.build_absolute_uri(url))}"'
        for group, url in groups.items()
        if _GROUP.match(group)
    )


def asks_for_reports(response: HttpResponseBase) -> bool:
    """Return whether a CSP header of ``response`` has a ``report-to`` directive."""
    return any("report-to" in policy for policy in csp_header.policies(response).values())


def drop_report_to_beside_report_uri(response: HttpResponseBase) -> None:
    """Remove ``report-to`` from each CSP header of ``response`` that has ``report-uri``."""
    for name, policy in csp_header.policies(response).items():
        if "report-to" in policy and "report-uri" in policy:
            kept = [" ".join([d, *sources]) for d, sources in policy.items() if d != "report-to"]
            response[name] = "; ".join(kept)


class ReportingEndpointsMiddleware:
    """Add ``Reporting-Endpoints`` to responses whose CSP reports to a group.

    Just outside the CSP middleware, so the CSP header is set; a view's own header is kept.
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
