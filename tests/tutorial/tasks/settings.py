"""Chapter 3's settings: Django's TASKS setting, with django-tasks-db's database backend."""

from __future__ import annotations

INSTALLED_APPS = [
    # ... your project's apps, and the backend's own (its table of results):
    "django_tasks_db",
]

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
    },
}
