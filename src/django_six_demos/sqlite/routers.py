"""A database router that keeps django-tasks-db's queue in its own SQLite file, with its own lock.
https://docs.djangoproject.com/en/6.0/topics/db/multi-db/#automatic-database-routing

``DATABASE_ROUTERS = ["django_six_demos.sqlite.routers.TaskQueueRouter"]`` with ``DATABASES["tasks"]``.
"""

from __future__ import annotations

from typing import Any, Final

from django.db.models import Model

QUEUE_APP_LABEL: Final = "django_tasks_database"
QUEUE_DATABASE: Final = "tasks"


class TaskQueueRouter:
    """Route django-tasks-db's models to the ``"tasks"`` alias (subclass it for another)."""

    app_label: str = QUEUE_APP_LABEL
    database: str = QUEUE_DATABASE

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return self.database if model._meta.app_label == self.app_label else None

    db_for_write = db_for_read

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        return None  # nothing in the queue points at the site's tables

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        if app_label == self.app_label:
            return db == self.database
        if db == self.database:
            return False  # the queue's file holds the queue only
        return None
