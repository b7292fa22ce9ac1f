from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.test import TestCase
from django.utils import timezone

from django_six_demos.tasks.models import Rerun, ScheduleExport


class ScheduleExportTests(TestCase):
    def test_file_name_and_content_type_follow_the_format(self):
        csv = ScheduleExport(format=ScheduleExport.Format.CSV)
        ics = ScheduleExport(format=ScheduleExport.Format.ICS)

        assert (csv.filename, csv.content_type) == (
            "conference-schedule.csv",
            "text/csv; charset=utf-8",
        )
        assert (ics.filename, ics.content_type) == (
            "conference-schedule.ics",
            "text/calendar; charset=utf-8",
        )

    def test_an_export_is_ready_once_finished(self):
        export = ScheduleExport.objects.create(format="csv")
        assert not export.is_ready
        assert str(export) == f"Schedule export {export.pk} (csv)"

        export.finished_at = timezone.now()
        assert export.is_ready

    def test_two_exports_cannot_claim_one_task_result(self):
        ScheduleExport.objects.create(format="csv", result_id="abc")

        with pytest.raises(IntegrityError):
            ScheduleExport.objects.create(format="ics", result_id="abc")


class RerunTests(TestCase):
    def test_a_result_is_re_enqueued_at_most_once(self):
        rerun = Rerun.objects.create(original_id="old", new_id="new")
        assert str(rerun) == "old re-enqueued as new"

        with pytest.raises(IntegrityError):
            Rerun.objects.create(original_id="old", new_id="newer")
