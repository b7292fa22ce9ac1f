"""The lost-worker reaper, in process on the test database (django-tasks-db backend)."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import SimpleTestCase, TestCase, override_settings
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.compat import task_finished
from django_tasks_db.models import DBTaskResult

from django_six_demos import compat
from django_six_demos.tasks.management.commands.demos_worker import _is_reloader_parent
from django_six_demos.tasks.reaper import (
    DEFAULT_OLDER_THAN,
    WorkerLost,
    idempotent,
    is_idempotent,
    reap_lost_tasks,
)
from tests.tasks import fault_tasks
from tests.tasks.backends import tasks_backend, tasks_db_only

WORKER_LOST = "django_six_demos.tasks.reaper.WorkerLost"


def mark_running(
    result: compat.TaskResult[Any, Any], *, started_ago: timedelta, worker_id: str = "lost-worker"
) -> None:
    DBTaskResult.objects.filter(id=result.id).update(
        status=compat.TaskResultStatus.RUNNING,
        started_at=timezone.now() - started_ago,
        worker_ids=[worker_id],
    )


def temp_progress(test: SimpleTestCase) -> str:
    """A progress file path for a task that really runs, removed after the test."""
    directory = tempfile.mkdtemp()
    test.addCleanup(shutil.rmtree, directory)
    return str(Path(directory) / "progress.txt")


def row(result: compat.TaskResult[Any, Any]) -> DBTaskResult[Any, Any]:
    return DBTaskResult.objects.get(id=result.id)


class IdempotentMarkerTests(SimpleTestCase):
    def test_marked_task_is_registered_by_module_path(self):
        assert is_idempotent(fault_tasks.idempotent_slow.module_path)
        assert fault_tasks.idempotent_slow.module_path == "tests.tasks.fault_tasks.idempotent_slow"

    def test_unmarked_task_is_not_idempotent(self):
        assert not is_idempotent(fault_tasks.slow.module_path)
        assert not is_idempotent("no.such.task")

    def test_decorator_returns_the_task_unchanged(self):
        assert idempotent(fault_tasks.quick) is fault_tasks.quick
        # The Task class of the backend (django-tasks-rq's is the backport's, on 6.x too).
        assert isinstance(fault_tasks.idempotent_slow, tasks_backend(fault_tasks.quick).task_class)


@tasks_db_only("The reaper (it fails DBTaskResult rows)")
class ReapLostTasksTests(TestCase):
    def test_running_task_older_than_threshold_becomes_failed_with_worker_lost(self):
        result = fault_tasks.slow.enqueue("progress.txt")
        mark_running(result, started_ago=timedelta(minutes=11))

        report = reap_lost_tasks(older_than=timedelta(minutes=10))

        result.refresh()
        assert result.status == compat.TaskResultStatus.FAILED
        assert result.finished_at is not None
        error = result.errors[0]
        assert error.exception_class_path == WORKER_LOST
        assert error.exception_class is WorkerLost
        assert "worker lost" in error.traceback
        assert "lost-worker" in error.traceback
        assert "not re-enqueued: not marked @idempotent" in error.traceback
        assert [(t.id, t.rerun, t.new_id) for t in report.tasks] == [(str(result.id), False, None)]
        assert report.replacements == {}
        assert DBTaskResult.objects.count() == 1

    def test_younger_running_task_is_untouched(self):
        result = fault_tasks.slow.enqueue("progress.txt")
        mark_running(result, started_ago=timedelta(minutes=9))

        report = reap_lost_tasks(older_than=timedelta(minutes=10))

        assert report.tasks == ()
        assert row(result).status == compat.TaskResultStatus.RUNNING

    def test_ready_and_finished_tasks_are_untouched(self):
        ready = fault_tasks.quick.enqueue(1)
        successful = fault_tasks.quick.enqueue(2)
        DBTaskResult.objects.filter(id=successful.id).update(
            status=compat.TaskResultStatus.SUCCESSFUL,
            started_at=timezone.now() - timedelta(days=1),
            finished_at=timezone.now() - timedelta(days=1),
        )

        report = reap_lost_tasks(older_than=timedelta(0), now=timezone.now() + timedelta(days=1))

        assert report.tasks == ()
        assert row(ready).status == compat.TaskResultStatus.READY
        assert row(successful).status == compat.TaskResultStatus.SUCCESSFUL

    def test_threshold_is_measured_from_now(self):
        result = fault_tasks.slow.enqueue("progress.txt")
        mark_running(result, started_ago=timedelta(minutes=1))

        assert reap_lost_tasks(older_than=timedelta(minutes=10)).tasks == ()
        later = timezone.now() + timedelta(minutes=10)
        report = reap_lost_tasks(older_than=timedelta(minutes=10), now=later)

        assert report.cutoff == later - timedelta(minutes=10)
        assert [t.id for t in report.tasks] == [str(result.id)]

    def test_dry_run_reports_but_changes_nothing(self):
        lost = fault_tasks.idempotent_slow.enqueue("progress.txt")
        mark_running(lost, started_ago=timedelta(hours=1))
        before = list(DBTaskResult.objects.values())

        report = reap_lost_tasks(older_than=timedelta(minutes=10), dry_run=True)

        assert report.dry_run
        assert [(t.id, t.rerun, t.new_id) for t in report.tasks] == [(str(lost.id), True, None)]
        assert list(DBTaskResult.objects.values()) == before

    def test_idempotent_task_is_reenqueued_as_a_new_ready_task(self):
        lost = fault_tasks.idempotent_slow.using(priority=7).enqueue("progress.txt", steps=3)
        mark_running(lost, started_ago=timedelta(hours=1))

        report = reap_lost_tasks(older_than=timedelta(minutes=10))

        new_id = report.replacements[str(lost.id)]
        assert new_id != str(lost.id)
        new = fault_tasks.idempotent_slow.get_result(new_id)
        assert new.status == compat.TaskResultStatus.READY
        assert new.args == ["progress.txt"]
        assert new.kwargs == {"steps": 3}
        assert new.task.priority == 7
        assert new.task.queue_name == "default"
        assert new.worker_ids == []
        lost.refresh()
        assert lost.status == compat.TaskResultStatus.FAILED
        assert f"re-enqueued as {new_id}" in lost.errors[0].traceback

    def test_reenqueued_copy_runs_on_the_worker(self):
        progress = temp_progress(self)
        lost = fault_tasks.idempotent_slow.enqueue(progress, steps=0)
        mark_running(lost, started_ago=timedelta(hours=1))
        new_id = reap_lost_tasks(older_than=timedelta(minutes=10)).replacements[str(lost.id)]

        run_worker(self, "db_worker")

        new = fault_tasks.idempotent_slow.get_result(new_id)
        assert new.status == compat.TaskResultStatus.SUCCESSFUL
        assert new.return_value == 0
        assert Path(progress).read_text() == "done\n"

    def test_unknown_task_paths_are_failed_without_crashing(self):
        paths = [
            # Looks like an idempotent task of a module that exists.
            "tests.tasks.fault_tasks.idempotent_slow_renamed",
            "no_such_package.tasks.idempotent_job",
            "not a path",
        ]
        results = []
        for path in paths:
            result = fault_tasks.quick.enqueue(1)
            mark_running(result, started_ago=timedelta(hours=1))
            DBTaskResult.objects.filter(id=result.id).update(task_path=path)
            results.append(result)

        report = reap_lost_tasks(older_than=timedelta(minutes=10))

        assert {t.task_path for t in report.tasks} == set(paths)
        assert all(not t.rerun and "cannot be imported" in t.reason for t in report.tasks)
        for result in results:
            failed = row(result)
            assert failed.status == compat.TaskResultStatus.FAILED
            assert failed.exception_class_path == WORKER_LOST
            assert "worker lost" in failed.traceback
        assert DBTaskResult.objects.count() == len(paths)

    def test_path_to_something_that_is_not_a_task_is_failed_not_rerun(self):
        result = fault_tasks.quick.enqueue(1)
        mark_running(result, started_ago=timedelta(hours=1))
        DBTaskResult.objects.filter(id=result.id).update(
            task_path="tests.tasks.fault_tasks._run_slowly"
        )

        (found,) = reap_lost_tasks(older_than=timedelta(minutes=10)).tasks

        assert found.reason == "task path does not point to a Task"
        assert row(result).status == compat.TaskResultStatus.FAILED

    def test_idempotent_task_on_a_queue_no_longer_configured_is_failed_not_rerun(self):
        lost = fault_tasks.idempotent_slow.enqueue("progress.txt")
        mark_running(lost, started_ago=timedelta(hours=1))
        DBTaskResult.objects.filter(id=lost.id).update(queue_name="retired")

        (found,) = reap_lost_tasks(older_than=timedelta(minutes=10)).tasks

        assert not found.rerun
        assert found.reason.startswith("cannot be re-enqueued")
        assert row(lost).status == compat.TaskResultStatus.FAILED
        assert DBTaskResult.objects.count() == 1

    def test_rows_of_another_backend_are_untouched(self):
        result = fault_tasks.slow.enqueue("progress.txt")
        mark_running(result, started_ago=timedelta(hours=1))
        DBTaskResult.objects.filter(id=result.id).update(backend_name="other")

        assert reap_lost_tasks(older_than=timedelta(minutes=10)).tasks == ()
        assert row(result).status == compat.TaskResultStatus.RUNNING

    def test_task_finished_is_sent_for_each_failed_task(self):
        result = fault_tasks.slow.enqueue("progress.txt")
        mark_running(result, started_ago=timedelta(hours=1))
        received = []

        def receiver(sender, task_result, **kwargs):
            received.append((task_result.id, task_result.status))

        task_finished.connect(receiver)
        self.addCleanup(task_finished.disconnect, receiver)
        reap_lost_tasks(older_than=timedelta(minutes=10))

        assert received == [(str(result.id), compat.TaskResultStatus.FAILED)]

    def test_negative_threshold_is_refused(self):
        with pytest.raises(ValueError, match="must not be negative"):
            reap_lost_tasks(older_than=timedelta(seconds=-1))

    @override_settings(
        TASKS={
            "default": {"BACKEND": compat.DATABASE_TASK_BACKEND, "QUEUES": ["default"]},
            "immediate": {"BACKEND": compat.IMMEDIATE_TASK_BACKEND},
        }
    )
    def test_a_backend_other_than_django_tasks_db_is_refused(self):
        with pytest.raises(ValueError, match="not django-tasks-db's DatabaseBackend"):
            reap_lost_tasks(older_than=DEFAULT_OLDER_THAN, backend_alias="immediate")


def run_worker(test, command, **options):
    """Run a worker command in process; db_worker installs signal handlers: restore them."""
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum, handler in previous.items():
        test.addCleanup(signal.signal, signum, handler)
    if hasattr(signal, "SIGQUIT"):
        test.addCleanup(signal.signal, signal.SIGQUIT, signal.getsignal(signal.SIGQUIT))
    stdout = StringIO()
    call_command(
        command,
        batch=True,
        reload=False,
        startup_delay=False,
        verbosity=options.pop("verbosity", 0),
        stdout=stdout,
        **options,
    )
    return stdout.getvalue()


@tasks_db_only("demos_reap_tasks (it fails DBTaskResult rows)")
class ReapCommandTests(TestCase):
    def test_command_fails_lost_tasks_and_lists_them(self):
        lost = fault_tasks.idempotent_slow.enqueue("progress.txt")
        mark_running(lost, started_ago=timedelta(hours=1))
        stale = fault_tasks.slow.enqueue("progress.txt")
        mark_running(stale, started_ago=timedelta(hours=2))
        stdout = StringIO()

        call_command("demos_reap_tasks", stdout=stdout)

        output = stdout.getvalue()
        assert f"Failed {stale.id} tests.tasks.fault_tasks.slow (worker lost)" in output
        assert "not re-enqueued: not marked @idempotent" in output
        new_id = DBTaskResult.objects.exclude(id__in=[lost.id, stale.id]).get().id
        assert f"Failed {lost.id} tests.tasks.fault_tasks.idempotent_slow" in output
        assert f"re-enqueued as {new_id}" in output
        assert "Reaped 2 lost tasks (1 re-enqueued)." in output

    def test_default_threshold_leaves_recent_tasks(self):
        result = fault_tasks.slow.enqueue("progress.txt")
        mark_running(result, started_ago=DEFAULT_OLDER_THAN - timedelta(minutes=1))
        stdout = StringIO()

        call_command("demos_reap_tasks", stdout=stdout)

        assert stdout.getvalue().startswith("No lost tasks")
        assert row(result).status == compat.TaskResultStatus.RUNNING

    def test_dry_run_says_what_it_would_do(self):
        lost = fault_tasks.idempotent_slow.enqueue("progress.txt")
        mark_running(lost, started_ago=timedelta(seconds=5))
        stdout = StringIO()

        call_command("demos_reap_tasks", "--older-than", "1", "--dry-run", "-v", "2", stdout=stdout)

        output = stdout.getvalue()
        assert f"Would fail {lost.id}" in output
        assert "would re-enqueue it" in output
        assert "worker ids: lost-worker" in output
        assert "Dry run: would reap 1 lost task (1 to re-enqueue)." in output
        assert row(lost).status == compat.TaskResultStatus.RUNNING

    def test_verbosity_zero_prints_nothing(self):
        lost = fault_tasks.slow.enqueue("progress.txt")
        mark_running(lost, started_ago=timedelta(hours=1))
        stdout = StringIO()

        call_command("demos_reap_tasks", verbosity=0, stdout=stdout)

        assert stdout.getvalue() == ""
        assert row(lost).status == compat.TaskResultStatus.FAILED

    def test_bad_threshold_is_a_clear_command_error(self):
        for value, message in [("-1", "must be 0 or more"), ("soon", "not a number")]:
            with pytest.raises(CommandError, match=message):
                call_command("demos_reap_tasks", "--older-than", value)

    def test_unknown_backend_is_a_clear_command_error(self):
        with pytest.raises(CommandError, match="--backend"):
            call_command("demos_reap_tasks", "--backend", "nope")


@tasks_db_only("demos_worker (db_worker after the reaper)")
class WorkerCommandTests(TestCase):
    def test_worker_reaps_lost_tasks_then_runs_the_queue(self):
        lost = fault_tasks.idempotent_slow.enqueue(temp_progress(self), steps=0)
        mark_running(lost, started_ago=timedelta(seconds=30))
        queued = fault_tasks.quick.enqueue(21)

        output = run_worker(
            self, "demos_worker", reap_older_than=timedelta(seconds=10), verbosity=1
        )

        assert f"Failed {lost.id} tests.tasks.fault_tasks.idempotent_slow" in output
        assert row(lost).status == compat.TaskResultStatus.FAILED
        queued.refresh()
        assert queued.status == compat.TaskResultStatus.SUCCESSFUL
        assert queued.return_value == 42
        rerun = DBTaskResult.objects.exclude(id__in=[lost.id, queued.id]).get()
        assert rerun.status == compat.TaskResultStatus.SUCCESSFUL

    def test_no_reap_leaves_running_tasks_alone(self):
        lost = fault_tasks.slow.enqueue("progress.txt")
        mark_running(lost, started_ago=timedelta(days=1))

        output = run_worker(self, "demos_worker", reap=False, verbosity=1)

        assert "lost task" not in output
        assert row(lost).status == compat.TaskResultStatus.RUNNING

    def test_worker_keeps_db_worker_options(self):
        first = fault_tasks.quick.enqueue(1)
        second = fault_tasks.quick.enqueue(2)

        run_worker(self, "demos_worker", max_tasks=1, worker_id="demo-worker-1")

        first.refresh()
        second.refresh()
        assert first.status == compat.TaskResultStatus.SUCCESSFUL
        assert first.worker_ids == ["demo-worker-1"]
        assert second.status == compat.TaskResultStatus.READY

    def test_bad_reap_threshold_is_a_clear_command_error(self):
        with pytest.raises(CommandError, match="must be 0 or more"):
            call_command("demos_worker", "--reap-older-than", "-5", "--batch")


class ReloaderTests(SimpleTestCase):
    """With --reload the reloader's child runs the worker: it reaps, its parent doesn't."""

    def test_only_the_reloader_child_reaps(self):
        with mock.patch.dict(os.environ, {DJANGO_AUTORELOAD_ENV: ""}):
            assert _is_reloader_parent({"reload": True, "batch": False})
            assert not _is_reloader_parent({"reload": False, "batch": False})
            # db_worker turns --reload off with --batch.
            assert not _is_reloader_parent({"reload": True, "batch": True})
        with mock.patch.dict(os.environ, {DJANGO_AUTORELOAD_ENV: "true"}):
            assert not _is_reloader_parent({"reload": True, "batch": False})
