"""The example project's URLs, plus a CSP report collector and a deliberately bad page."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

# Reports received by the live server (it runs in the test process, in a thread).
REPORTS: list[dict[str, object]] = []


@csrf_exempt
@require_POST
def collect_report(request: HttpRequest) -> HttpResponse:
    REPORTS.append(json.loads(request.body))
    return HttpResponse(status=204)


@require_GET
def inline_script(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "browser/inline_script.html")


urlpatterns = [
    path("__csp-report__/", collect_report),
    path("__test__/inline-script/", inline_script),
    path("", include("example.urls")),
]
