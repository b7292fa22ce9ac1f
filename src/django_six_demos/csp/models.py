"""CSP violation reports as the collector stores them: both browser formats in one row.

Django (6.0+) and django-csp send the policy but ship no view to receive its reports.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class CspReportQuerySet(models.QuerySet["CspReport"]):
    def keep_newest(self, count: int) -> int:
        """Delete all but the ``count`` newest reports (by pk: ``received_at`` ties in a batch)."""
        cutoff = list(self.order_by("-pk").values_list("pk", flat=True)[count : count + 1])
        if not cutoff:
            return 0
        deleted, _ = self.filter(pk__lte=cutoff[0]).delete()
        return deleted


class CspReport(models.Model):
    """One CSP violation, normalised from either report format."""

    class Format(models.TextChoices):
        REPORT_URI = "report-uri", "report-uri (application/csp-report)"
        REPORT_TO = "report-to", "report-to (application/reports+json)"

    class Disposition(models.TextChoices):
        ENFORCE = "enforce", "enforced: blocked"
        REPORT = "report", "report-only: allowed"

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    format = models.CharField(max_length=16, choices=Format.choices)
    document_uri = models.CharField("page", max_length=2048, blank=True)
    effective_directive = models.CharField("directive", max_length=64, blank=True, db_index=True)
    # CSP2 browsers send the whole directive here ("script-src 'self'"); CSP3 the name only.
    violated_directive = models.CharField(max_length=512, blank=True)
    blocked_uri = models.CharField("blocked URL", max_length=2048, blank=True)
    disposition = models.CharField(max_length=8, choices=Disposition.choices, blank=True)
    source_file = models.CharField(max_length=2048, blank=True)
    line_number = models.PositiveIntegerField(null=True, blank=True)
    column_number = models.PositiveIntegerField(null=True, blank=True)
    # Browsers send at most 40 characters (with 'report-sample' in the policy).
    sample = models.CharField(max_length=256, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    # The report as received, as JSON, cut to max_length.
    raw = models.CharField("raw report", max_length=4096, blank=True)

    objects = CspReportQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        verbose_name = "CSP violation report"

    def __str__(self) -> str:
        blocked = self.blocked_uri or "inline"
        return f"{self.effective_directive or '?'} blocked {blocked} on {self.document_uri or '?'}"

    @classmethod
    def text_limits(cls) -> dict[str, int]:
        """Return each text field's ``max_length``, by field name."""
        return {
            field.name: field.max_length
            for field in cls._meta.get_fields()
            if isinstance(field, models.CharField) and field.max_length
        }

    @classmethod
    def fitted(cls, **values: Any) -> CspReport:
        """Return an unsaved report with every text value cut to its field's max_length."""
        limits = cls.text_limits()
        return cls(
            **{
                name: value[: limits[name]] if name in limits and isinstance(value, str) else value
                for name, value in values.items()
            }
        )
