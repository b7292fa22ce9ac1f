"""Where CSP reports go: ``report-uri`` URL names made paths, and the ``Reporting-Endpoints`` header.

A URL name follows the mount point. Over plain HTTP in development (``DEBUG``) Chromium ignores
the header yet prefers ``report-to``, so there ``report-to`` is dropped beside ``report-uri``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import iri_to_uri

from django_six_demos import csp_header
from django_six_demos.conf import REPORTING_ENDPOINTS_SETTING

HEADER = "Reporting-Endpoints"
# A structured-field dictionary key (RFC 8941): lowercase, starting with a letter or "*".
_GROUP = re.compile(r"^[a-z*][a-z0-9_.*-]*$")


def is_url_name(source: str) -> bool:
    """Whether a ``report-uri`` source is a URL name (it has no "/"), not a path or URL."""
    return "/" not in source


def report_url(source: str) -> str | None:
    """Return where ``source`` points: a URL name reversed now, a path or URL as it is.

    None for a URL name that matches no URL (check W013 names it).
    """
    if not is_url_name(source):
        return source
    try:
        return reverse(source)
    except NoReverseMatch:
        return None


def endpoints() -> dict[str, str]:
    """Return the configured ``{group: url}`` (the setting, or nothing), URL names reversed."""
    value = getattr(settings, REPORTING_ENDPOINTS_SETTING, None)
    if not isinstance(value, Mapping):
        return {}
    return {str(group): url for group, source in value.items() if (url := report_url(str(source)))}


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


def _rewrite(response: HttpResponseBase, name: str, policy: csp_header.Policy) -> None:
    response[name] = "; ".join(" ".join([d, *sources]) for d, sources in policy.items())


def resolve_report_uri(response: HttpResponseBase) -> None:
    """Turn the URL names in each ``report-uri`` of ``response`` into paths.

    A name that matches no URL is left out, and ``report-uri`` with it if nothing is left.
    """
    for name, policy in csp_header.policies(response).items():
        sources = policy.get("report-uri", [])
        if not any(is_url_name(source) for source in sources):
            continue
        urls = [url for source in sources if (url := report_url(source))]
        if urls:
            policy["report-uri"] = urls
        else:
            del policy["report-uri"]
        _rewrite(response, name, policy)


def drop_report_to_beside_report_uri(response: HttpResponseBase) -> None:
    """Remove ``report-to`` from each CSP header of ``response`` that has ``report-uri``."""
    for name, policy in csp_header.policies(response).items():
        if "report-to" in policy and "report-uri" in policy:
            del policy["report-to"]
            _rewrite(response, name, policy)


class ReportingEndpointsMiddleware:
    """Resolve ``report-uri`` URL names; add ``Reporting-Endpoints`` where CSP reports to a group.

    Just outside the CSP middleware, so the CSP header is set; a view's own header is kept.
    Sync and async: under ASGI it adds no thread hop, and it only touches headers.
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        return _with_endpoints(request, cast(HttpResponseBase, self.get_response(request)))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        get_response = cast(Callable[[HttpRequest], Awaitable[HttpResponseBase]], self.get_response)
        return _with_endpoints(request, await get_response(request))


def _with_endpoints(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Rewrite ``response``'s CSP report targets and add the header; only headers change."""
    # Reversed per request: the URLconf (and script prefix) of this request.
    resolve_report_uri(response)
    # Only with DEBUG: elsewhere the header stays exactly as the settings say.
    if settings.DEBUG and not request.is_secure():
        drop_report_to_beside_report_uri(response)
    if HEADER in response or not asks_for_reports(response):
        return response
    groups = endpoints()
    if not groups:
        return response
    try:
        value = header_value(request, groups)
    except DisallowedHost:
        # A host outside ALLOWED_HOSTS: no URL to give, and Django refuses the request.
        return response
    if value:
        response[HEADER] = value
    return response
