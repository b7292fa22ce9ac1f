"""URLs of the tasks demo."""

from __future__ import annotations

from django.urls import path

from django_six_demos.tasks import migration, views

app_name = "django_six_demos_tasks"

urlpatterns = [
    path("", views.index, name="index"),
    path("emails/", views.enqueue_emails, name="enqueue-emails"),
    path("exports/", views.enqueue_export, name="enqueue-export"),
    path("failures/", views.enqueue_failure, name="enqueue-failure"),
    path("attempts/", views.enqueue_attempt, name="enqueue-attempt"),
    # Before the result ids: no backend's ids look like "migrate".
    path("migrate/", migration.migrate, name="migrate"),
    # Any backend's result ids (UUIDs, random strings); a malformed one is a 404.
    path("<slug:result_id>/", views.status, name="status"),
    path("<slug:result_id>/re-enqueue/", views.reenqueue, name="reenqueue"),
    path("<slug:result_id>/download/", views.download, name="download"),
]
