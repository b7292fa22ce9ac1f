"""Migrate from django-tasks (the backport) to Django 6.0's ``django.tasks``.

The settings come from ``conf.tasks_setting()``, which configures this site too; the code sample is
run on each Django line by tests/tasks/test_migration.py. https://docs.djangoproject.com/en/6.0/topics/tasks/
"""

from __future__ import annotations

from typing import Any, Final

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from django_six_demos import compat, conf
from django_six_demos.demo import demo_for
from django_six_demos.settings_code import DiffLine, migration_page, python_literal, settings_diff
from django_six_demos.tasks.apps import TasksDemoConfig

LABELS: Final = ("Django 5.2 with django-tasks", "Django 6.0 and later, core")
CORE_PACKAGE: Final = "django.tasks"
[BACKPORT] = [b for b in compat.BACKPORTS if b.feature == "tasks"]
# The backport's names that core dropped the "Error" suffix from.
RENAMED: Final = {
    "InvalidTaskError": "InvalidTask",
    "InvalidTaskBackendError": "InvalidTaskBackend",
}
# An alias for tests and scripts: Django's own in-process backend, whose path moves.
IMMEDIATE_ALIAS: Final = "immediate"


def _package(core: bool) -> str:
    return CORE_PACKAGE if core else BACKPORT.module


def tasks_settings_for(*, core: bool) -> dict[str, Any]:
    """Return the apps to add and ``TASKS`` for either stack (``core``: Django 6.0+)."""
    apps = [] if core else [BACKPORT.app]
    # django-tasks-db keeps its app, label (django_tasks_database) and backend path on both.
    apps += list(TasksDemoConfig.extra_apps)
    backend = f"{_package(core)}.backends.immediate.ImmediateBackend"
    tasks = {**conf.tasks_setting(), IMMEDIATE_ALIAS: {"BACKEND": backend, "QUEUES": []}}
    return {"INSTALLED_APPS": apps, "TASKS": tasks}


def settings_code(*, core: bool) -> str:
    """Return the tasks part of a ``settings.py`` for either stack."""
    pieces = tasks_settings_for(core=core)
    return (
        f"INSTALLED_APPS += {python_literal(pieces['INSTALLED_APPS'])}\n"
        f"TASKS = {python_literal(pieces['TASKS'])}\n"
    )


CODE_TEMPLATE: Final = """\
from django.dispatch import receiver
from {package} import task
from {package}.exceptions import {InvalidTaskError}, TaskResultDoesNotExist
from {package}.signals import task_finished

FINISHED: list[str] = []


@task(queue_name="emails")
def add(a: int, b: int) -> int:
    return a + b


@receiver(task_finished)
def remember(sender, task_result, **kwargs):
    FINISHED.append(task_result.status)


def queue_accepted(name: str) -> bool:
    try:
        add.using(queue_name=name)
    except {InvalidTaskError}:
        return False
    return True


def status_of(result_id: str) -> str:
    try:
        return add.get_result(result_id).status
    except TaskResultDoesNotExist:
        return "unknown"
"""


def code_sample(*, core: bool) -> str:
    """Return an app's ``tasks.py`` using a task, a signal and the exceptions, on either stack."""
    names = {old: new if core else old for old, new in RENAMED.items()}
    return CODE_TEMPLATE.format(package=_package(core), **names)


def code_diff() -> list[DiffLine]:
    """Return the diff of ``code_sample()`` from the backport to core, line by line."""
    return settings_diff(
        code_sample(core=False), code_sample(core=True), LABELS, filename="tasks.py"
    )


@require_GET
def migrate(request: HttpRequest) -> TemplateResponse:
    """The migration how-to: settings and code of both stacks, marked, and their diffs."""
    return migration_page(
        request,
        "django_six_demos/tasks/migrate.html",
        demo_for(__name__),
        before=settings_code(core=False),
        after=settings_code(core=True),
        labels=LABELS,
        on_core=compat.HAS_BUILTIN_TASKS,
        code_diff=code_diff(),
    )
