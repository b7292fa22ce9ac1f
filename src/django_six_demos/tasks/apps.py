"""The background tasks demo: ``@task``, ``enqueue()`` and a real worker."""

from __future__ import annotations

from django_six_demos.demo import DemoConfig, Source, gated, package


class TasksDemoConfig(DemoConfig):
    name = "django_six_demos.tasks"
    # An explicit label: the default ("tasks") could clash with other apps.
    label = "django_six_demos_tasks"
    verbose_name = "Background tasks demo"
    title = "Background tasks"
    summary = (
        "@task and enqueue with a real database worker, status polled with htmx, "
        "failures and lost workers handled."
    )
    url_prefix = "tasks/"
    order = 3
    chapter = "tutorial/03-tasks"
    django_docs = "https://docs.djangoproject.com/en/6.0/topics/tasks/"
    django_docs_title = "Tasks framework"
    added_in = "6.0"
    release_notes = "https://docs.djangoproject.com/en/6.0/releases/6.0/#background-tasks"
    package_docs = {"django-tasks-db": "https://github.com/RealOrangeOne/django-tasks-db"}
    features = ("tasks",)
    # The pages import its model, also when the tasks run on RQ.
    extra_apps = ("django_tasks_db",)

    def sources(self) -> list[Source]:
        return [
            gated("Tasks API", "tasks"),
            package("Database backend and worker", "django-tasks-db"),
        ]
