"""The example project's URLs, plus a CSP report collector and a deliberately bad page."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from tests.browser.collector import collect_report


@require_GET
def inline_script(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "browser/inline_script.html")


@require_GET
def htmx_swap(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "browser/htmx_swap.html")


urlpatterns = [
    path("__csp-report__/", collect_report),
    path("__test__/inline-script/", inline_script),
    path("__test__/htmx-swap/", htmx_swap),
    path("", include("example.urls")),
]
