"""Content Security Policy with Django's own API (6.0+): one page, three policies.

The CSP chapter opens with this: the site's ``SECURE_CSP``, a view that replaces
it with ``@csp_override`` and one that only reports it, ``@csp_report_only_override``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override, csp_report_only_override
from django.views.decorators.http import require_GET


@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    # Served under SECURE_CSP: the data: image is blocked.
    return render(request, "schedule.html")


@require_GET
# csp_override replaces SECURE_CSP for this view, so it repeats what it keeps.
@csp_override(
    {
        "default-src": [CSP.SELF],
        "script-src": [CSP.NONCE],
        "img-src": [CSP.SELF, "data:"],
    }
)
def schedule_with_data_images(request: HttpRequest) -> HttpResponse:
    return render(request, "schedule.html")


@require_GET
# An empty policy sends no enforced header; the same policy goes out as
# report-only: the browser loads everything and reports what it would block.
@csp_override({})
@csp_report_only_override(
    {
        "default-src": [CSP.SELF],
        "script-src": [CSP.NONCE],
    }
)
def schedule_report_only(request: HttpRequest) -> HttpResponse:
    return render(request, "schedule.html")
