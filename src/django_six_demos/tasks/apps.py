"""The background tasks demo room."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class TasksDemoConfig(AppConfig):
    name = "django_six_demos.tasks"
    # An explicit label: the default ("tasks") could clash with other apps.
    label = "django_six_demos_tasks"
    verbose_name = "Background tasks demo"

    def ready(self) -> None:
        from django_six_demos.checks import check_tasks_backend

        checks.register(checks.Tags.compatibility)(check_tasks_backend)
