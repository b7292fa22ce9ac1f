"""``manage.py demos_csp_report``: the stored CSP violation reports, counted by directive and page.

``--since`` hours, ``--top`` N pages, ``--json``; ``--clear`` deletes them, asking first
unless ``--no-input``.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils import timezone

from django_six_demos.csp.models import CspReport, CspReportQuerySet


def counts_by(
    reports: CspReportQuerySet, field: str, top: int | None = None
) -> list[tuple[str, int]]:
    """Return the values of ``field`` (the ``top`` ones) with their report counts, most first."""
    rows = reports.values(field).annotate(count=Count("pk")).order_by("-count", field)
    return [(row[field], row["count"]) for row in (rows[:top] if top else rows)]


class Command(BaseCommand):
    help = "Summarise the stored CSP violation reports by directive and by page."

    def add_arguments(self, parser: CommandParser) -> None:
        add = parser.add_argument
        since = "Count only the reports received in the last HOURS hours."
        add("--since", type=float, metavar="HOURS", help=since)
        add("--top", type=int, default=10, metavar="N", help="List the N most reported pages.")
        add("--json", action="store_true", help="Print the summary as JSON.")
        add("--clear", action="store_true", help="Then delete every stored report (asks first).")
        no_input = "With --clear, delete without asking."
        add("--no-input", "--noinput", action="store_false", dest="interactive", help=no_input)

    def handle(self, *args: Any, **options: Any) -> None:
        since: float | None = options["since"]
        top: int = options["top"]
        if top < 1:
            raise CommandError("--top takes a whole number of at least 1.")
        if options["clear"] and since is not None:
            raise CommandError("--clear deletes every report: it cannot be combined with --since.")
        reports = CspReport.objects.all()
        if since is not None:
            if not (math.isfinite(since) and 0 < since <= 24 * 365 * 100):
                raise CommandError("--since takes a positive number of hours (at most 100 years).")
            reports = reports.filter(received_at__gte=timezone.now() - timedelta(hours=since))

        summary: dict[str, Any] = {
            "since_hours": since,
            "total": reports.count(),
            "by_directive": [
                {"directive": directive, "count": count}
                for directive, count in counts_by(reports, "effective_directive")
            ],
            "by_page": [
                {"page": page, "count": count}
                for page, count in counts_by(reports, "document_uri", top)
            ],
        }
        if options["json"]:
            if options["clear"]:
                summary["deleted"] = self.clear(reports, options["interactive"]) or 0
            self.stdout.write(json.dumps(summary, indent=2))
            return
        self.write_summary(summary, top)
        if options["clear"]:
            deleted = self.clear(reports, options["interactive"])
            if deleted is not None:
                self.stdout.write(f"Deleted {deleted} report{'s' if deleted != 1 else ''}.")

    def write_summary(self, summary: dict[str, Any], top: int) -> None:
        since = summary["since_hours"]
        scope = f"in the last {since:g} hours" if since is not None else "stored"
        if not summary["total"]:
            self.stdout.write(f"No CSP violation reports {scope}.")
            return
        self.stdout.write(f"CSP violation reports {scope}: {summary['total']}")
        for heading, key in (("By directive", "directive"), (f"By page (top {top})", "page")):
            self.stdout.write("")
            self.stdout.write(self.style.MIGRATE_HEADING(heading))
            for row in summary[f"by_{key}"]:
                self.stdout.write(f"{row['count']:>7}  {row[key] or '(none)'}")

    def clear(self, reports: CspReportQuerySet, interactive: bool) -> int | None:
        """Delete ``reports``, after asking if ``interactive``; None if the answer was no."""
        total = reports.count()
        if interactive and total:
            answer = input(f"Delete all {total} stored CSP reports? Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                self.stderr.write("Nothing deleted.")
                return None
        deleted, _ = reports.delete()
        return deleted
