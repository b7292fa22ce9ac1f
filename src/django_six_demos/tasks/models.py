"""What the tasks room stores beside the backend's results: schedule exports and re-runs.

Rows point at task results by id, as text without a foreign key: each backend keeps
its results elsewhere, with ids of its own shape.
"""

from __future__ import annotations

from django.db import models


class ScheduleExport(models.Model):
    """The conference schedule as a file, written with its progress by ``build_schedule_export``."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV (spreadsheets)"
        ICS = "ics", "iCalendar (calendar apps)"

    format = models.CharField(max_length=3, choices=Format)
    # The task building it; a re-enqueued export takes the new task's id.
    result_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    content = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Schedule export {self.pk} ({self.format})"

    @property
    def filename(self) -> str:
        return f"conference-schedule.{self.format}"

    @property
    def content_type(self) -> str:
        return f"text/{'calendar' if self.format == self.Format.ICS else 'csv'}; charset=utf-8"

    @property
    def is_ready(self) -> bool:
        return self.finished_at is not None


class Rerun(models.Model):
    """A failed task result and the new task enqueued with its arguments (tasks never retry)."""

    # Unique: a second click on the button leads to the same new task.
    original_id = models.CharField(max_length=64, unique=True)
    new_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.original_id} re-enqueued as {self.new_id}"
