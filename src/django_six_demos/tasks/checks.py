"""The tasks demo's system check: a backend with a real worker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from django_six_demos import compat


@register(Tags.compatibility)
def check_tasks_backend(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """W009: the default backend is django-tasks-db's or RQ's (which checks its own needs)."""
    if not compat.tasks_api_importable():
        return []  # E001 already says to install django-tasks.
    tasks = getattr(settings, "TASKS", None) or {}
    backend = tasks.get(compat.DEFAULT_TASK_BACKEND_ALIAS, {}).get("BACKEND")
    if backend not in (compat.DATABASE_TASK_BACKEND, compat.RQ_TASK_BACKEND):
        return [
            Warning(
                f"The default TASKS backend is {backend!r}, not django-tasks-db's or "
                "django-tasks-rq's.",
                hint="Set TASKS = django_six_demos.conf.tasks_setting() to run the worker demo.",
                id="django_six_demos.W009",
            )
        ]
    return []
