"""What the background tasks demo stores beside django-tasks-db's own results table.

- :class:`ScheduleExport`: one schedule file, written by the export task,
  with the progress the status page shows while it is built.
- :class:`Rerun`: a failed task result and the new task that repeated it.

Task results themselves live in django-tasks-db's ``DBTaskResult``; these rows
point at them by id, as text and without a foreign key: another backend keeps
its results elsewhere, with ids of its own shape (django-tasks-db's are UUIDs,
the dummy backend's random strings).
"""

from __future__ import annotations

from django.db import models


class ScheduleExport(models.Model):
    """The conference schedule as a file, built by ``build_schedule_export``.

    The view creates the row and commits it before it enqueues the task; the
    task records its own result id here (from its context), then the progress
    and finally the content.
    """

    class Format(models.TextChoices):
        CSV = "csv", "CSV (spreadsheets)"
        ICS = "ics", "iCalendar (calendar apps)"

    format = models.CharField(max_length=3, choices=Format)
    # The task result building this export: the status page and the download
    # find the export by it. A re-enqueued export takes the new task's id.
    result_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Progress: talks written so far out of all accepted talks.
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    content = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Schedule export {self.pk} ({self.format})"

    @property
    def filename(self) -> str:
        return f"conference-schedule.{self.format}"

    @property
    def content_type(self) -> str:
        if self.format == self.Format.ICS:
            return "text/calendar; charset=utf-8"
        return "text/csv; charset=utf-8"

    @property
    def is_ready(self) -> bool:
        return self.finished_at is not None


class Rerun(models.Model):
    """A failed task result and the new task enqueued with the same arguments.

    Django's tasks never retry on their own: re-enqueueing makes a new result,
    and this row keeps the link both ways (the old status page points to the
    new task and back).
    """

    # Unique: a failed result is re-enqueued at most once (a second click on
    # the button leads to the same new task).
    original_id = models.CharField(max_length=64, unique=True)
    new_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.original_id} re-enqueued as {self.new_id}"
