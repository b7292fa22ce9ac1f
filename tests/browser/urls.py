"""The example project's URLs, plus a CSP report collector and deliberately bad pages
(policy breakers, and the planted pages that prove each check of tests/browser/audit.py can fail)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import include, path
from django.views.decorators.http import require_GET, require_POST

from django_six_demos.conference.models import Talk
from tests.browser.collector import collect_report

# Requests that reached the planted endpoint, as (method, path, CSRF header sent).
PLANTED_HITS: list[tuple[str, str, bool]] = []


@require_GET
def inline_script(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "browser/inline_script.html")


@require_GET
def htmx_swap(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "browser/htmx_swap.html")


# The planted pages of tests/browser/test_site.py, by slug: one mistake each ("clean": none).
AUDIT_PAGES = {
    "clean": "browser/audit/base.html",
    "wide-table": "browser/audit/wide_table.html",
    "unlabelled-input": "browser/audit/unlabelled_input.html",
    "low-contrast": "browser/audit/low_contrast.html",
    "dark-low-contrast": "browser/audit/dark_low_contrast.html",
    "over-the-panel": "browser/audit/over_the_panel.html",
}


@require_GET
def audit_page(request: HttpRequest, slug: str) -> TemplateResponse:
    if slug not in AUDIT_PAGES:
        raise Http404("No such planted page.")
    return TemplateResponse(request, AUDIT_PAGES[slug])


@require_POST
def planted(request: HttpRequest, field: str) -> HttpResponse:
    """Where the payloads planted by tests/browser/test_injection.py post: record, 204."""
    PLANTED_HITS.append((request.method or "", request.path, "X-CSRFToken" in request.headers))
    return HttpResponse(status=204)


@login_required
@require_GET
def unsafe_talk(request: HttpRequest, pk: int) -> TemplateResponse:
    """The mistake, on purpose: a talk's text printed with |safe and no hx-disable."""
    talk = get_object_or_404(Talk.objects.select_related("speaker"), pk=pk)
    return TemplateResponse(request, "browser/unsafe_talk.html", {"talk": talk})


urlpatterns = [
    path("__csp-report__/", collect_report),
    path("__test__/inline-script/", inline_script),
    path("__test__/htmx-swap/", htmx_swap),
    path("__test__/audit/<slug:slug>/", audit_page),
    path("__planted__/<slug:field>/", planted),
    path("__test__/unsafe-talk/<int:pk>/", unsafe_talk),
    path("", include("example.urls")),
]
