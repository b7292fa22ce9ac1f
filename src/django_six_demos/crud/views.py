"""Neapolitan CRUD views: one ``CRUDView`` gives list, detail, create, update and
delete views.
https://noumenal.es/neapolitan/
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
        "django_six_demos/crud/index.html",
        {"room": rooms.ROOMS_BY_SLUG["crud"], "sources": rooms.sources("crud")},
    )
