"""SQLite in production: dj-lite's settings (WAL, IMMEDIATE transactions, PRAGMAs)
for Django's SQLite backend.
https://docs.djangoproject.com/en/6.0/ref/databases/#sqlite-notes
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
        "django_six_demos/sqlite/index.html",
        {"room": rooms.ROOMS_BY_SLUG["sqlite"], "sources": rooms.sources("sqlite")},
    )
