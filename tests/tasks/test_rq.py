"""The tasks demo on RQ: django-tasks-rq, Redis and real RQ workers.

Run by ``tox -e py313-django61-rq`` (``DEMOS_TASKS_BACKEND=rq``), where the rest
of ``tests/tasks`` runs on RQ too. These tests are about what only RQ shows:
the jobs really go through Redis, the documented worker command, the room
without django-tasks-db's dashboard, and RQ's limits (priorities, the backport's
types and signals on Django 6.x, deferred tasks, how long a result is kept).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import TestCase, TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from django_six_demos import compat
from django_six_demos.tasks import rq as tasks_rq
from django_six_demos.tasks.tasks import fail_on_demand, report_attempt, send_acceptance_emails
from tests.tasks.backends import get_result, rq_only, rq_worker, run_worker, stored_ids
from tests.tasks.test_tasks import make_conference
from tests.tasks.test_views import (
    EMAILS_URL,
    FAILURE_URL,
    HTMX,
    INDEX_URL,
    result_id_from,
    staff_user,
    status_url,
)

pytestmark = [pytest.mark.rq, rq_only]

WORKER_COMMAND = "python manage.py rqworker --job-class django_tasks_rq.Job default emails exports"


def rq_queue(name: str) -> Any:
    import django_rq

    return django_rq.get_queue(name)


class RoomOnRQTests(TestCase):
    def test_the_dashboard_is_a_notice_that_does_not_poll(self):
        response = self.client.get(INDEX_URL)

        assert response.status_code == 200
        dashboard = response.text.split('id="dashboard"')[1].split("</div>")[0]
        assert 'class="room-status" role="status"' in dashboard
        assert "<code>django_tasks_rq.backend.RQBackend</code>" in dashboard
        assert "keeps its queue elsewhere" in dashboard
        assert "manage.py rqstats" in dashboard
        assert "hx-trigger" not in dashboard

    def test_an_htmx_poll_from_an_open_page_gets_the_notice(self):
        response = self.client.get(INDEX_URL, headers=HTMX)

        assert response.status_code == 200
        assert response.text.strip().startswith('<div id="dashboard" class="dashboard">')
        assert "keeps its queue elsewhere" in response.text
        assert "hx-trigger" not in response.text

    def test_the_package_box_and_the_forms_name_rq_and_its_worker(self):
        text = self.client.get(INDEX_URL).text

        assert '<th scope="row">django-tasks-rq</th>' in text
        assert "used by django-tasks-rq" in text
        assert f"<code>{WORKER_COMMAND}</code>" in text
        assert "db_worker --queue-name" not in text

    def test_a_waiting_task_points_to_the_rq_worker(self):
        result = report_attempt.enqueue()

        text = self.client.get(status_url(result.id), headers=HTMX).text

        assert "Waiting for a worker" in text
        assert f"<code>{WORKER_COMMAND}</code>" in text

    def test_the_worker_command_is_the_documented_one(self):
        assert shlex.join(["python", "manage.py", *tasks_rq.rq_worker_command()]) == WORKER_COMMAND


class ThroughRedisTests(TransactionTestCase):
    """The demo's views enqueue into Redis; a burst worker on the same Redis runs the jobs."""

    def setUp(self):
        make_conference()
        # Staff: they send every speaker's email and read tracebacks.
        self.client.force_login(staff_user())

    def test_a_view_enqueues_a_job_on_its_queue_and_the_worker_finishes_it(self):
        result_id = result_id_from(
            self.client.post(EMAILS_URL, {"travel_grant": "10.00", "arguments": "json"})
        )

        assert rq_queue("emails").get_job_ids() == [result_id]
        assert self.client.get(status_url(result_id), headers=HTMX).status_code == 200

        run_worker()

        assert rq_queue("emails").get_job_ids() == []
        assert rq_queue("emails").finished_job_registry.get_job_ids() == [result_id]
        response = self.client.get(status_url(result_id), headers=HTMX)
        assert response.status_code == 286
        assert "SUCCESSFUL" in response.text
        assert "&quot;emails&quot;: 2" in response.text

    def test_a_failing_job_is_failed_with_its_class_and_traceback(self):
        result_id = result_id_from(self.client.post(FAILURE_URL, {"message": "broken on RQ"}))

        run_worker()

        assert rq_queue("default").failed_job_registry.get_job_ids() == [result_id]
        page = self.client.get(status_url(result_id)).text
        assert "FAILED" in page
        assert "django_six_demos.tasks.tasks.DemoFailure" in page
        assert "DemoFailure: broken on RQ" in page

    def test_arguments_that_are_not_json_never_reach_redis(self):
        response = self.client.post(EMAILS_URL, {"travel_grant": "10.00", "arguments": "cleaned"})

        assert response.status_code == 422
        assert "enqueue() refused the arguments" in response.text
        assert rq_queue("emails").count == 0
        assert stored_ids() == set()


class LimitsTests(TestCase):
    """What differs on RQ, for the docs: each test pins one limit down."""

    def test_every_priority_but_the_default_is_refused(self):
        # RQ has no priorities. django-tasks-rq 0.12 would put priority 100 at
        # the front of its queue, but its backend does not declare
        # supports_priority, so the backport's validation refuses any
        # priority but 0, 100 included, before anything reaches Redis.
        from django_tasks.exceptions import InvalidTaskError

        assert compat.task_backends["default"].supports_priority is False
        for priority in (-100, 1, 50, 100):
            with pytest.raises(InvalidTaskError, match="does not support setting priority"):
                report_attempt.using(priority=priority)
        assert stored_ids() == set()

    def test_tasks_run_in_the_order_they_were_enqueued(self):
        enqueued = [report_attempt.enqueue() for _ in range(3)]

        run_worker()

        started = sorted(enqueued, key=lambda r: get_result(r.id).started_at)
        assert [r.id for r in started] == [r.id for r in enqueued]

    def test_tasks_and_results_are_the_backports_even_on_django_6(self):
        import django_tasks.base

        result = report_attempt.enqueue()
        run_worker()
        stored = get_result(result.id)

        assert isinstance(send_acceptance_emails, django_tasks.base.Task)
        assert isinstance(stored, django_tasks.base.TaskResult)
        # Statuses are str enums: they compare equal to compat's by value.
        assert stored.status == compat.TaskResultStatus.SUCCESSFUL
        assert stored.status == "SUCCESSFUL"
        if compat.HAS_BUILTIN_TASKS:
            assert not isinstance(send_acceptance_emails, compat.Task)
            assert type(stored.status) is not compat.TaskResultStatus

    def test_an_unknown_id_raises_the_backports_exception(self):
        import django_tasks.exceptions

        with pytest.raises(django_tasks.exceptions.TaskResultDoesNotExist):
            get_result("no-such-result")
        assert django_tasks.exceptions.TaskResultDoesNotExist in (
            compat.task_result_does_not_exist()
        )

    def test_signals_are_the_backports(self):
        import django_tasks.signals

        heard: dict[str, list[str]] = {"backport": [], "core": []}

        def on_backport(sender: Any, task_result: Any, **kwargs: Any) -> None:
            heard["backport"].append(str(task_result.status))

        django_tasks.signals.task_finished.connect(on_backport)
        self.addCleanup(django_tasks.signals.task_finished.disconnect, on_backport)
        if compat.HAS_BUILTIN_TASKS:
            import django.tasks.signals

            def on_core(sender: Any, task_result: Any, **kwargs: Any) -> None:
                heard["core"].append(str(task_result.status))

            django.tasks.signals.task_finished.connect(on_core)
            self.addCleanup(django.tasks.signals.task_finished.disconnect, on_core)

        report_attempt.enqueue()
        fail_on_demand.enqueue("heard?")
        run_worker()

        assert sorted(heard["backport"]) == ["FAILED", "SUCCESSFUL"]
        # On Django 6.x, receivers of django.tasks.signals hear nothing from RQ.
        assert heard["core"] == []

    def test_a_deferred_task_needs_a_worker_with_the_scheduler(self):
        result = report_attempt.using(run_after=timezone.now() - timedelta(seconds=1)).enqueue()

        run_worker()
        assert get_result(result.id).status == compat.TaskResultStatus.READY

        rq_worker().work(burst=True, with_scheduler=True, logging_level="WARNING")
        assert get_result(result.id).status == compat.TaskResultStatus.SUCCESSFUL
        assert "--with-scheduler" in tasks_rq.rq_worker_command(with_scheduler=True)

    def test_a_successful_result_is_kept_500_seconds_a_failed_one_a_year(self):
        import django_rq

        ok = report_attempt.enqueue()
        failed = fail_on_demand.enqueue("kept")
        run_worker()

        redis = django_rq.get_connection()
        # RQ's worker defaults: after that the status page is a 404.
        assert 490 <= redis.ttl(f"rq:job:{ok.id}") <= 500
        assert redis.ttl(f"rq:job:{failed.id}") > 364 * 24 * 3600

    def test_the_backend_checks_for_django_rq_and_each_queue(self):
        # docs/reference/checks.rst: W009 leaves these to django-tasks-rq's own check.
        from django.core.checks import run_checks
        from django.test import override_settings

        def errors() -> list[str]:
            return [m.msg for m in run_checks() if m.level >= 40]

        assert errors() == []
        apps = [app for app in settings.INSTALLED_APPS if app != tasks_rq.RQ_APP]
        with override_settings(INSTALLED_APPS=apps):
            assert errors() == [
                "RQBackend configured as django_tasks_rq backend, but django_rq app not installed"
            ]
        queues = tasks_rq.rq_task_settings(settings.TEST_REDIS_URL, queues=["default"])
        with override_settings(RQ_QUEUES=queues["RQ_QUEUES"]):
            assert sorted(errors()) == [
                "'emails' is not configured for django-rq",
                "'exports' is not configured for django-rq",
            ]

    def test_a_result_gone_from_redis_leaves_the_contention_run_page_working(self):
        # Results expire on RQ; the SQLite room's run page asks for its task's.
        from django_six_demos.sqlite.models import ContentionRun

        run = ContentionRun.objects.create(writers=1, seconds=1, task_id="expired-from-redis")

        response = self.client.get(reverse("django_six_demos_sqlite:run", args=[run.pk]))

        assert response.status_code == 200
        run.refresh_from_db()
        assert run.status == ContentionRun.Status.QUEUED

    def test_the_reaper_and_demos_worker_refuse_the_rq_backend(self):
        for command in ("demos_reap_tasks", "demos_worker"):
            with pytest.raises(CommandError, match="not a database backend"):
                call_command(command, "--batch" if command == "demos_worker" else "--dry-run")


# -- The worker command, in real processes -------------------------------------


@pytest.mark.slow
def test_the_documented_rqworker_command_runs_the_demo_tasks(tmp_path: Path) -> None:
    """The example project with REDIS_URL: enqueue from one process, rqworker runs it."""
    from tests.test_example_project import MANAGE_PY, child_env, manage

    env = child_env(tmp_path, REDIS_URL=settings.TEST_REDIS_URL)
    manage(["migrate", "-v", "0"], env, cwd=tmp_path)
    code = (
        "from django_six_demos.tasks.tasks import fail_on_demand, report_attempt\n"
        "print(report_attempt.enqueue().id)\n"
        "print(fail_on_demand.enqueue('in a subprocess').id)\n"
    )
    ok_id, failed_id = manage(["shell", "-v", "0", "-c", code], env, cwd=tmp_path).stdout.split()
    assert stored_ids() == {ok_id, failed_id}

    # As documented, plus --burst: work until the queues are empty, then exit.
    worker = subprocess.run(
        [sys.executable, str(MANAGE_PY), *tasks_rq.rq_worker_command(), "--burst"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert worker.returncode == 0, worker.stdout + worker.stderr
    ok = get_result(ok_id)
    assert ok.status == compat.TaskResultStatus.SUCCESSFUL
    assert ok.return_value["attempt"] == 1
    assert ok.return_value["worker_id"] == ok.worker_ids[0]
    failed = get_result(failed_id)
    assert failed.status == compat.TaskResultStatus.FAILED
    assert failed.errors[0].exception_class_path == "django_six_demos.tasks.tasks.DemoFailure"


@pytest.mark.slow
def test_the_demo_command_starts_an_rq_worker(tmp_path: Path) -> None:
    from tests.test_example_project import (
        ENQUEUE_AND_WAIT,
        child_env,
        free_port,
        manage,
        running_demo,
    )

    env = child_env(tmp_path, REDIS_URL=settings.TEST_REDIS_URL)
    with running_demo(env, tmp_path, free_port()) as (_, reader, _, children):
        assert f"worker: pid {children[1]} (manage.py {WORKER_COMMAND.split(' ', 2)[2]})" in (
            reader.text
        )

        shell = manage(["shell", "-v", "0", "-c", ENQUEUE_AND_WAIT], env, cwd=tmp_path)

        lines = shell.stdout.splitlines()
        assert lines[0] == "status SUCCESSFUL", shell.stdout + shell.stderr + reader.text
        assert int(lines[1].split()[1]) > 0  # the seeded talks


def test_the_tests_use_their_own_database_on_the_configured_redis_server() -> None:
    import os
    from urllib.parse import urlsplit

    configured, used = urlsplit(os.environ["REDIS_URL"]), urlsplit(settings.TEST_REDIS_URL)

    assert used.netloc == configured.netloc
    assert used.path == f"/{os.environ.get('DEMOS_TEST_REDIS_DB', '15')}"
    expected = tasks_rq.rq_task_settings(settings.TEST_REDIS_URL)
    assert expected["TASKS"] == settings.TASKS
    assert expected["RQ_QUEUES"] == getattr(settings, "RQ_QUEUES", None)
    assert tasks_rq.RQ_APP in settings.INSTALLED_APPS
