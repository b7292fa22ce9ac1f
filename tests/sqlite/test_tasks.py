from __future__ import annotations

from unittest import mock

import pytest
from django.test import TestCase, override_settings

from django_six_demos import compat
from django_six_demos.sqlite import contention
from django_six_demos.sqlite.models import ContentionRun
from django_six_demos.sqlite.tasks import run_contention_lab

IMMEDIATE = {"default": {"BACKEND": compat.IMMEDIATE_TASK_BACKEND, "QUEUES": []}}


class RunContentionLabTests(TestCase):
    @pytest.mark.slow
    def test_runs_every_variant_and_stores_the_results(self):
        run = ContentionRun.objects.create(writers=2, seconds=0.3)

        summary = run_contention_lab.call(run.pk)

        run.refresh_from_db()
        assert run.status == "done"
        assert [v["name"] for v in run.variants] == ["defaults", "wal", "production"]
        production = run.variants[-1]
        assert production["locked"] == production["lost_rows"] == 0
        assert production["expected_rows"] == production["found_rows"] > 0
        assert summary == {"run": run.pk, "ran": True, "clean": mock.ANY}
        assert summary["clean"]["production"] is True
        assert run.started_at is not None and run.finished_at is not None
        assert run.progress == ""

    def test_writes_progress_while_it_runs(self):
        run = ContentionRun.objects.create(writers=2, seconds=1)
        seen = []

        def fake_run(**kwargs):
            kwargs["on_progress"](contention.Progress("wal", 0.5, 1, 10, 2, 0))
            seen.append(ContentionRun.objects.get(pk=run.pk).progress)
            return []

        with mock.patch.object(contention, "run", side_effect=fake_run):
            run_contention_lab.call(run.pk)

        assert seen == ["wal: 0.5/1 s, 10 commits, 2 locked"]

    def test_a_failure_marks_the_run_failed_and_fails_the_task(self):
        run = ContentionRun.objects.create(writers=2, seconds=1)

        with (
            mock.patch.object(contention, "run", side_effect=contention.ContentionError("boom")),
            pytest.raises(contention.ContentionError),
        ):
            run_contention_lab.call(run.pk)

        run.refresh_from_db()
        assert run.status == "failed"
        assert run.error == "ContentionError: boom"

    def test_a_run_that_is_not_queued_is_never_run_twice(self):
        run = ContentionRun.objects.create(writers=2, seconds=1, status="done")

        with mock.patch.object(contention, "run") as fake_run:
            assert run_contention_lab.call(run.pk) == {"run": run.pk, "ran": False}

        fake_run.assert_not_called()

    @override_settings(TASKS=IMMEDIATE)
    def test_is_a_task_the_backend_accepts(self):
        run = ContentionRun.objects.create(writers=2, seconds=1, status="done")

        result = run_contention_lab.enqueue(run.pk)

        assert result.status == compat.TaskResultStatus.SUCCESSFUL
        assert result.return_value == {"run": run.pk, "ran": False}
