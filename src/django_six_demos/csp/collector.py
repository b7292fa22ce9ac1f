"""The CSP violation collector (``report-uri`` and ``report-to``: Django ships no view for them).

CSRF-exempt, so it trusts nothing: rate-limited, capped, other hosts' reports dropped, URLs
stored without query string. Staff read what it received on the reports page.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from django_six_demos import compat, csp_header, limits
from django_six_demos.conference import access
from django_six_demos.csp import policies, reporting
from django_six_demos.csp.apps import REPORTING_MIDDLEWARE
from django_six_demos.csp.models import CspReport
from django_six_demos.demo import demo_for
from django_six_demos.htmx import HtmxHttpRequest

logger = logging.getLogger(__name__)

# The caps. A browser's report is well under 4 KiB and a batch a few dozen reports.
MAX_BODY_BYTES: Final = 64 * 1024
MAX_REPORTS_PER_REQUEST: Final = 50
MAX_STORED_REPORTS: Final = 1000
MAX_DEPTH: Final = 8  # arrays and objects inside one another; a Reporting API body needs 3
LIST_LENGTH: Final = 25  # reports the page lists
# POSTs one address may make: report-uri sends one a violation; a page here causes two at most.
REPORT_RATE: Final = "10/m"
RATE_GROUP: Final = "csp-report"

CSP_REPORT: Final = "application/csp-report"
REPORTS_JSON: Final = "application/reports+json"
JSON: Final = "application/json"
CONTENT_TYPES: Final = (CSP_REPORT, REPORTS_JSON, JSON)

REPORTS_TEMPLATE: Final = "django_six_demos/csp/reports.html"
# The partial htmx polls for: its name is fixed here, never taken from the request.
LIST_TEMPLATE: Final = f"{REPORTS_TEMPLATE}#list"

_DIRECTIVE = re.compile(r"^[a-z][a-z0-9-]*$")
# An absolute URL: a scheme, then "//" (http:, https:, wss:, ...).
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_QUERY_OR_FRAGMENT = re.compile(r"[?#]")
_MAX_LINE = 2**31 - 1  # PositiveIntegerField's range on every database
_MAX_STATUS = 999


class BadReport(ValueError):
    """The body is not a CSP report; the message says why (a 400's body)."""


# Where each field sits: report-uri's kebab-case key, then report-to's camelCase one
# (the Reporting API has no violatedDirective; CSP3 made it effectiveDirective's alias).
_KEYS: Final = {
    "page": ("document-uri", "documentURL"),
    "effective": ("effective-directive", "effectiveDirective"),
    "violated": ("violated-directive", "violatedDirective"),
    "blocked": ("blocked-uri", "blockedURL"),
    "disposition": ("disposition", "disposition"),
    "source": ("source-file", "sourceFile"),
    "line": ("line-number", "lineNumber"),
    "column": ("column-number", "columnNumber"),
    "sample": ("script-sample", "sample"),
    "status": ("status-code", "statusCode"),
}


def _text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    text = value if isinstance(value, str) else str(value)
    # No NUL (PostgreSQL refuses it in text) and no lone surrogates (not
    # encodable as UTF-8, so no database stores them): JSON allows both.
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def without_query(url: str) -> str:
    """Return ``url`` cut at the first ``?`` or ``#`` (tokens hide there), even if malformed."""
    return _QUERY_OR_FRAGMENT.split(url, maxsplit=1)[0]


def _url_cut(text: str) -> str:
    """``without_query`` for a URL; anything else ("inline", "eval") as it is."""
    return without_query(text) if _URL.match(text) else text


def _scrubbed(value: object) -> object:
    # Recursive: the body's depth was checked (MAX_DEPTH) before.
    if isinstance(value, str):
        return _url_cut(value)
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    return value


def _count(value: object, maximum: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        return None
    return value


def _depth(value: object) -> int:
    # How deeply arrays and objects nest, without recursion.
    deepest = 0
    stack = [(value, 1)]
    while stack and deepest <= MAX_DEPTH:
        item, depth = stack.pop()
        children: list[Any]
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _normalise(
    report_format: str,
    report: dict[str, Any],
    *,
    raw: object,
    page: str = "",
    user_agent: str = "",
) -> CspReport:
    column = 0 if report_format == CspReport.Format.REPORT_URI else 1

    def field(name: str) -> object:
        return report.get(_KEYS[name][column])

    violated = _text(field("violated")).strip()
    # CSP2 browsers send only violated-directive, as "script-src 'self' ...".
    tokens = (_text(field("effective")).strip() or violated).split()
    effective = tokens[0].lower() if tokens else ""
    if not _DIRECTIVE.match(effective):
        raise BadReport("Each report must name the directive it violated.")
    disposition = _text(field("disposition"))
    return CspReport.fitted(
        format=report_format,
        document_uri=without_query(_text(field("page")) or page),
        effective_directive=effective,
        violated_directive=violated or effective,
        blocked_uri=_url_cut(_text(field("blocked"))),
        disposition=disposition if disposition in CspReport.Disposition.values else "",
        source_file=_url_cut(_text(field("source"))),
        line_number=_count(field("line"), _MAX_LINE),
        column_number=_count(field("column"), _MAX_LINE),
        sample=_text(field("sample")),
        status_code=_count(field("status"), _MAX_STATUS),
        user_agent=user_agent,
        # ASCII-only JSON: surrogates and NUL come out escaped. Cut to max_length.
        raw=json.dumps(_scrubbed(raw), ensure_ascii=True, separators=(",", ":")),
    )


def _from_report_uri(data: object, user_agent: str) -> list[CspReport]:
    if not isinstance(data, dict) or not isinstance(report := data.get("csp-report"), dict):
        raise BadReport('A report-uri body is a JSON object: {"csp-report": {...}}.')
    return [_normalise(CspReport.Format.REPORT_URI, report, raw=data, user_agent=user_agent)]


def _from_reporting_api(data: object, user_agent: str) -> list[CspReport]:
    if not isinstance(data, list):
        raise BadReport('A report-to body is a JSON array of {"type": ..., "body": {...}}.')
    reports = []
    for item in data:
        if not isinstance(item, dict):
            raise BadReport("Each item of a report-to array must be a JSON object.")
        # The same endpoint may receive other report types (deprecation, ...).
        if item.get("type") != "csp-violation":
            continue
        body = item.get("body")
        if not isinstance(body, dict):
            raise BadReport('A "csp-violation" report needs a "body" object.')
        reports.append(
            _normalise(
                CspReport.Format.REPORT_TO,
                body,
                raw=item,
                page=_text(item.get("url")),
                user_agent=_text(item.get("user_agent")) or user_agent,
            )
        )
    return reports


def parse(body: bytes, *, content_type: str, user_agent: str = "") -> list[CspReport]:
    """Return the (unsaved) CSP reports in ``body``, or raise ``BadReport``.

    In ``application/json`` an object is a ``report-uri`` report, an array a ``report-to`` batch.
    """
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        raise BadReport("The JSON is nested too deeply.") from None
    except ValueError:
        # Also bad UTF-8, and integers too long to convert (Python 3.11+).
        raise BadReport("The body is not valid JSON.") from None
    if _depth(data) > MAX_DEPTH:
        raise BadReport("The JSON is nested too deeply.")
    user_agent = _text(user_agent)
    if content_type == CSP_REPORT or (content_type == JSON and not isinstance(data, list)):
        return _from_report_uri(data, user_agent)
    return _from_reporting_api(data, user_agent)


def store(reports: Sequence[CspReport]) -> None:
    """Save ``reports`` and keep only the newest ``MAX_STORED_REPORTS``, atomically."""
    with transaction.atomic():
        CspReport.objects.bulk_create(reports)
        CspReport.objects.keep_newest(MAX_STORED_REPORTS)


def _host(host: str) -> str | None:
    domain, _port = split_domain_port(host)
    return domain or None


def page_host(url: str) -> str | None:
    """Return the domain of an http(s) page URL, or None for anything else."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return _host(parts.netloc.rpartition("@")[2])


def on_this_site(report: CspReport, request: HttpRequest) -> bool:
    """Whether the report is about a page of the host (in ALLOWED_HOSTS) it was posted to.

    Ports are not compared: behind a proxy, the site's port need not be the address bar's.
    """
    host = _host(request.get_host())
    return host is not None and page_host(report.document_uri) == host


def _refuse(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.headers.get("content-length") or 0)
    except ValueError:
        return 0


@csrf_exempt  # Browsers send reports without a CSRF token: everything else is checked.
@require_POST
def report(request: HttpRequest) -> HttpResponse:
    """Receive CSP violation reports (``report-uri`` and ``report-to``); answer 204."""
    # Counted before anything is read: a flood costs one cache increment a POST.
    wait = limits.limited_for(request, RATE_GROUP, "ip", REPORT_RATE)
    if wait is not None:
        # Browsers ignore the body and drop the report; Retry-After is for people.
        refusal = _refuse(429, f"Too many reports from this address: try again in {wait} s.")
        refusal["Retry-After"] = str(wait)
        return refusal
    content_type = request.content_type or ""
    if content_type not in CONTENT_TYPES:
        return _refuse(415, f"Send CSP reports as {', '.join(CONTENT_TYPES)}.")
    too_large = f"A report body may have at most {MAX_BODY_BYTES} bytes."
    # A declared length over the cap is refused unread; a wrong one reads one byte too many.
    if _declared_length(request) > MAX_BODY_BYTES:
        return _refuse(413, too_large)
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _refuse(413, too_large)
    try:
        reports = parse(
            body, content_type=content_type, user_agent=request.headers.get("User-Agent", "")
        )
    except BadReport as error:
        return _refuse(400, str(error))
    ours = [item for item in reports if on_this_site(item, request)]
    if len(ours) < len(reports):
        # Another site's pages (or a made-up one): nothing this site can fix.
        logger.info("Ignored %d CSP reports about other hosts.", len(reports) - len(ours))
    if len(ours) > MAX_REPORTS_PER_REQUEST:
        logger.info("CSP report batch of %d cut to %d.", len(ours), MAX_REPORTS_PER_REQUEST)
    if ours:
        store(ours[:MAX_REPORTS_PER_REQUEST])
    return HttpResponse(status=204)


def _reporting_directives() -> list[tuple[str, str, str]]:
    """Return (header, directive, value) for each reporting directive in force."""
    headers = {"enforce": csp_header.ENFORCED, "report-only": csp_header.REPORT_ONLY}
    return [
        (headers[mode], directive, " ".join(policies.sent_sources(directive, sources)))
        for mode, policy in compat.configured_policies().items()
        for directive in ("report-uri", "report-to")
        if isinstance(sources := policy.get(directive), list) and sources
    ]


def _list_context() -> dict[str, Any]:
    return {
        "reports": CspReport.objects.all()[:LIST_LENGTH],
        "total": CspReport.objects.count(),
        "by_directive": CspReport.objects.values("effective_directive")
        .annotate(count=Count("pk"))
        .order_by("-count", "effective_directive"),
        "list_length": LIST_LENGTH,
        "max_stored": MAX_STORED_REPORTS,
    }


def _page_context(request: HttpRequest) -> dict[str, Any]:
    report_url = reverse("django_six_demos_csp:report")
    middleware_on = REPORTING_MIDDLEWARE in settings.MIDDLEWARE
    # What the middleware does in development over plain HTTP (see reporting.py).
    report_to_dropped = middleware_on and settings.DEBUG and not request.is_secure()
    sends_header = middleware_on and not report_to_dropped
    return {
        **_list_context(),
        **demo_for(__name__).context(),
        "report_url": report_url,
        "report_absolute_url": request.build_absolute_uri(report_url),
        "reporting_directives": _reporting_directives(),
        "reporting_header": reporting.header_value(request, reporting.endpoints())
        if sends_header
        else "",
        "report_to_dropped": report_to_dropped,
        "max_body_kib": MAX_BODY_BYTES // 1024,
        "max_per_request": MAX_REPORTS_PER_REQUEST,
        "content_types": CONTENT_TYPES,
        "report_rate": REPORT_RATE,
        # For the curl example: a report about another host would be ignored.
        "example_page": request.build_absolute_uri(reverse("django_six_demos_csp:index")),
    }


def _staff_only(request: HttpRequest, action: str) -> HttpResponseBase | None:
    """Refuse anyone but staff (reports hold other visitors' URLs): sign in, or a 403."""
    if not request.user.is_authenticated:
        return limits.sign_in(request, next_path=reverse("django_six_demos_csp:reports"))
    if not access.is_staff(request.user):
        return limits.refused(request, f"Only staff may {action}.", status=403)
    return None


@require_GET
@vary_on_headers("HX-Request")
def reports(request: HtmxHttpRequest) -> HttpResponseBase:
    """The reports received, newest first; htmx polls for ``reports.html#list``. Staff only."""
    if refusal := _staff_only(request, "read the violation reports"):
        return refusal
    if request.htmx:
        return TemplateResponse(request, LIST_TEMPLATE, _list_context())
    return TemplateResponse(request, REPORTS_TEMPLATE, _page_context(request))


@require_POST
@vary_on_headers("HX-Request")
def clear_reports(request: HtmxHttpRequest) -> HttpResponseBase:
    """Delete every stored report (staff only; CSRF-protected like any form)."""
    if refusal := _staff_only(request, "clear the violation reports"):
        return refusal
    deleted, _ = CspReport.objects.all().delete()
    logger.info("%s cleared %d CSP reports.", request.user, deleted)
    if request.htmx:
        return TemplateResponse(request, LIST_TEMPLATE, _list_context())
    return redirect("django_six_demos_csp:reports")
