"""Background tasks: ``django.tasks`` (Django 6.0; django-tasks on Django 5.2) with
django-tasks-db's database backend and worker.
https://docs.djangoproject.com/en/6.0/topics/tasks/
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
        "django_six_demos/tasks/index.html",
        {"room": rooms.ROOMS_BY_SLUG["tasks"], "sources": rooms.sources("tasks")},
    )
