"""Content Security Policy: ``ContentSecurityPolicyMiddleware`` and ``SECURE_CSP``
(Django 6.0; django-csp on Django 5.2).
https://docs.djangoproject.com/en/6.0/ref/csp/
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from django_six_demos import rooms


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request,
        "django_six_demos/csp/index.html",
        {"room": rooms.ROOMS_BY_SLUG["csp"], "sources": rooms.sources("csp")},
    )
