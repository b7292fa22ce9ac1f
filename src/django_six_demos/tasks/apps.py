"""The background tasks demo room."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class TasksDemoConfig(AppConfig):
    name = "django_six_demos.tasks"
    # An explicit label: the default ("tasks") could clash with other apps.
    label = "django_six_demos_tasks"
    verbose_name = "Background tasks demo"
    # Django 6.0 changed DEFAULT_AUTO_FIELD's default; pinning it keeps the
    # migrations identical on Django 5.2, 6.0 and 6.1.
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_six_demos.checks import check_tasks_backend

        checks.register(checks.Tags.compatibility)(check_tasks_backend)
