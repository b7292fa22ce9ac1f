"""Keep the task queue in its own SQLite file: a database router for django-tasks-db.

With SQLite, the site and the worker share one write lock per database file.
The worker polls by taking that lock (``db_worker`` claims each task in an
``EXCLUSIVE`` transaction), so a busy queue and a busy site wait for each
other. A second file gives the queue its own lock.

django-tasks-db 0.13 has no option naming a database: its models use the
database a router picks, and its worker claims tasks in a transaction on
that same database. This router sends its app (label
``django_tasks_database``) to the ``"tasks"`` alias and keeps everything else
out of it::

    DATABASES["tasks"] = sqlite_database(BASE_DIR, file_name="tasks.sqlite3")
    DATABASE_ROUTERS = ["django_six_demos.sqlite.routers.TaskQueueRouter"]

then ``manage.py migrate`` and ``manage.py migrate --database tasks``.
https://docs.djangoproject.com/en/6.0/topics/db/multi-db/#automatic-database-routing
"""

from __future__ import annotations

from typing import Any, Final

from django.db.models import Model

QUEUE_APP_LABEL: Final = "django_tasks_database"
QUEUE_DATABASE: Final = "tasks"


class TaskQueueRouter:
    """Route django-tasks-db's models to the ``"tasks"`` database alias.

    Subclass it and set ``database`` for another alias.
    """

    app_label: str = QUEUE_APP_LABEL
    database: str = QUEUE_DATABASE

    def _route(self, model: type[Model]) -> str | None:
        return self.database if model._meta.app_label == self.app_label else None

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return self._route(model)

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return self._route(model)

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # Nothing in the queue points at the site's tables, or back.
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        if app_label == self.app_label:
            return db == self.database
        if db == self.database:
            return False  # the queue's file holds the queue only
        return None
