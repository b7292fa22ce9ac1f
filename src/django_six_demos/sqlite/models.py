"""The contention lab's runs: what the page asked for, and what the task measured."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from django.db import models
from django.db.models import Max
from django.utils import timezone

# A run queued or running for longer is taken for lost: it no longer blocks a new one.
ACTIVE_FOR: Final = timedelta(minutes=10)
KEEP_RUNS: Final = 20  # older runs are deleted when a run is created


class ContentionRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    writers = models.PositiveSmallIntegerField()
    readers = models.PositiveSmallIntegerField(default=0)
    seconds = models.FloatField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.CharField(max_length=200, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Contention run {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def variants(self) -> list[dict[str, Any]]:
        return list((self.result or {}).get("variants", []))

    @classmethod
    def active(cls) -> ContentionRun | None:
        """The run queued or running now, if any (lost runs excepted)."""
        return cls.objects.filter(
            status__in=[cls.Status.QUEUED, cls.Status.RUNNING],
            created_at__gte=timezone.now() - ACTIVE_FOR,
        ).first()

    @classmethod
    def fail(cls, pk: int, error: str) -> None:
        """Mark run ``pk`` failed with ``error``, unless it has finished."""
        cls.objects.filter(pk=pk, status__in=[cls.Status.QUEUED, cls.Status.RUNNING]).update(
            status=cls.Status.FAILED, error=error[:2000], finished_at=timezone.now()
        )

    @classmethod
    def last_activity(cls) -> datetime | None:
        """When a run was last created, started or finished."""
        latest = cls.objects.aggregate(
            created=Max("created_at"), started=Max("started_at"), finished=Max("finished_at")
        )
        return max((moment for moment in latest.values() if moment is not None), default=None)

    @classmethod
    def prune(cls, keep: int = KEEP_RUNS) -> int:
        """Delete all but the newest ``keep`` runs; return how many went."""
        newest = list(cls.objects.values_list("pk", flat=True)[:keep])
        return cls.objects.exclude(pk__in=newest).delete()[0]
