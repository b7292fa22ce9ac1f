"""Template partials: ``{% partialdef %}`` and ``"page.html#name"`` (Django 6.0;
django-template-partials on Django 5.2).
https://docs.djangoproject.com/en/6.0/ref/templates/language/#template-partials
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
        "django_six_demos/partials/index.html",
        {"room": rooms.ROOMS_BY_SLUG["partials"], "sources": rooms.sources("partials")},
    )
