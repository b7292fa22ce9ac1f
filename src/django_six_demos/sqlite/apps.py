"""The SQLite-in-production demo: dj-lite's settings, lock contention, backups."""

from __future__ import annotations

import sqlite3

from django_six_demos.demo import DemoConfig, Source, package, release_series


class SqliteDemoConfig(DemoConfig):
    name = "django_six_demos.sqlite"
    # An explicit label: the default ("sqlite") could clash with other apps.
    label = "django_six_demos_sqlite"
    verbose_name = "SQLite in production demo"
    title = "SQLite in production"
    summary = (
        'dj-lite\'s settings, proof that they remove "database is locked", and online backups.'
    )
    url_prefix = "sqlite/"
    order = 4
    chapter = "tutorial/04-sqlite"
    # Not a Django 6 feature: dj-lite sets the options Django 5.1 added.
    django_docs = "https://docs.djangoproject.com/en/6.0/ref/databases/#sqlite-notes"
    django_docs_title = "SQLite notes"
    package_docs = {"dj-lite": "https://github.com/adamghill/dj-lite"}
    # The contention lab runs as a task, on a real worker.
    features = ("tasks",)
    extra_apps = ("django_tasks_db",)

    def sources(self) -> list[Source]:
        engine = Source("Database engine", "SQLite", release_series(sqlite3.sqlite_version), False)
        return [package("Production settings", "dj-lite"), engine]
