from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from unittest import mock

from django.core import mail
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from django_six_demos import compat, conf
from django_six_demos.tasks.models import Rerun, ScheduleExport
from django_six_demos.tasks.tasks import build_schedule_export, fail_on_demand, report_attempt
from django_six_demos.tasks.views import (
    HTMX_STOP_POLLING,
    INDEX,
    STALL_AFTER,
    queue_dashboard,
    worker_warning,
)
from tests.tasks.backends import (
    ON_RQ,
    break_task_path,
    get_result,
    run_worker,
    stored_ids,
    tasks_backend,
    tasks_db_only,
)
from tests.tasks.test_tasks import DUMMY, IMMEDIATE, make_conference

HTMX = {"HX-Request": "true"}
INDEX_URL = reverse("django_six_demos_tasks:index")
EMAILS_URL = reverse("django_six_demos_tasks:enqueue-emails")
EXPORT_URL = reverse("django_six_demos_tasks:enqueue-export")
FAILURE_URL = reverse("django_six_demos_tasks:enqueue-failure")
ATTEMPT_URL = reverse("django_six_demos_tasks:enqueue-attempt")


def status_url(result_id):
    return reverse("django_six_demos_tasks:status", args=[result_id])


def result_id_from(response):
    """The task id in the redirect to its status page."""
    assert response.status_code == 302, response.status_code
    prefix = reverse("django_six_demos_tasks:index")
    return response["Location"].removeprefix(prefix).strip("/")


class RoomPageTests(TestCase):
    def test_the_room_page_has_the_package_box_the_forms_and_the_dashboard(self):
        response = self.client.get(INDEX_URL)

        assert response.status_code == 200
        text = response.text
        assert "Which package does what" in text
        for package in ("<code>django.tasks</code>", "django-tasks", "django-tasks-db"):
            assert package in text
        for url in (EMAILS_URL, EXPORT_URL, FAILURE_URL, ATTEMPT_URL):
            assert f'action="{url}"' in text
        assert 'id="dashboard"' in text
        assert "The live demo for this room is being built" not in text
        assert f"<code>{compat.TASKS_PACKAGE}</code>" in text

    def test_the_package_box_says_what_this_line_uses(self):
        response = self.client.get(INDEX_URL)

        if ON_RQ:
            # django-tasks-rq builds on the backport, on Django 6.x too.
            assert "used by django-tasks-rq" in response.text
            assert "<code>django_tasks_rq.backend.RQBackend</code>" in response.text
        else:
            assert "django_tasks_db.backend.DatabaseBackend" in response.text
            if compat.HAS_BUILTIN_TASKS:
                assert "not needed" in response.text
        if not compat.HAS_BUILTIN_TASKS:
            assert "not in Django 5.2" in response.text

    def test_htmx_polls_get_the_dashboard_partial_only(self):
        response = self.client.get(INDEX_URL, headers=HTMX)

        assert response.status_code == 200
        assert "<html" not in response.text
        assert response.text.strip().startswith('<div id="dashboard" class="dashboard"')
        expected = render_to_string(
            f"{INDEX}#dashboard", response.context_data, request=response.wsgi_request
        )
        assert response.text == expected

    @tasks_db_only("The queue dashboard (it reads DBTaskResult rows)")
    def test_the_dashboard_polls_its_own_url(self):
        response = self.client.get(INDEX_URL)

        assert f'hx-get="{INDEX_URL}" hx-trigger="every 3s" hx-swap="outerHTML"' in response.text

    def test_responses_vary_on_hx_request_and_are_not_cached(self):
        for headers in ({}, HTMX):
            response = self.client.get(INDEX_URL, headers=headers)
            assert "HX-Request" in response["Vary"]
            assert "no-store" in response["Cache-Control"]

    def test_only_get_is_allowed(self):
        assert self.client.post(INDEX_URL).status_code == 405


@tasks_db_only("The queue dashboard (it reads DBTaskResult rows)")
class DashboardTests(TestCase):
    def test_counts_by_queue_and_status_include_configured_empty_queues(self):
        fail_on_demand.enqueue("a")
        fail_on_demand.enqueue("b")
        report_attempt.enqueue()
        run_worker()
        report_attempt.enqueue()

        dashboard = queue_dashboard()

        assert dashboard.statuses == ["READY", "RUNNING", "FAILED", "SUCCESSFUL"]
        by_name = {queue.name: queue for queue in dashboard.queues}
        assert set(by_name) == set(conf.TASK_QUEUES)
        assert by_name["default"].counts == [1, 0, 2, 1]
        assert by_name["default"].total == 4
        assert by_name["emails"].counts == [0, 0, 0, 0]
        assert dashboard.waiting == 1
        assert dashboard.running == 0

    def test_recent_results_are_the_ten_newest(self):
        results = [fail_on_demand.enqueue(str(n)) for n in range(12)]

        recent = queue_dashboard().recent

        assert [str(row.id) for row in recent] == [r.id for r in reversed(results[2:])]

    def test_heartbeat_is_the_last_finish_time(self):
        assert queue_dashboard().last_finished is None

        report_attempt.enqueue()
        run_worker()

        dashboard = queue_dashboard()
        assert dashboard.last_finished == DBTaskResult.objects.get().finished_at
        assert dashboard.last_finished_age >= timedelta(0)
        assert dashboard.warning is None

    def test_waiting_tasks_with_no_worker_raise_the_warning_on_the_page(self):
        result = report_attempt.enqueue()
        DBTaskResult.objects.filter(pk=result.id).update(
            enqueued_at=timezone.now() - timedelta(minutes=2)
        )

        response = self.client.get(INDEX_URL, headers=HTMX)

        assert 'class="worker-warning" role="alert"' in response.text
        assert "1 task ready for over 30 s and no task has ever finished" in response.text
        assert "db_worker --queue-name &#x27;*&#x27;" in response.text

    def test_a_task_enqueued_just_now_is_not_a_stall(self):
        report_attempt.enqueue()

        assert queue_dashboard().warning is None
        assert "worker-warning" not in self.client.get(INDEX_URL, headers=HTMX).text


class WorkerWarningTests(TestCase):
    now = datetime(2026, 10, 5, 12, 0, tzinfo=dt_timezone.utc)

    def warning(self, *, waiting=1, waited=STALL_AFTER, finished_ago=None, running=0):
        return worker_warning(
            now=self.now,
            waiting=waiting,
            waiting_since=self.now - waited,
            last_finished=None if finished_ago is None else self.now - finished_ago,
            running=running,
        )

    def test_no_waiting_tasks_no_warning(self):
        assert self.warning(waiting=0) is None
        assert (
            worker_warning(
                now=self.now, waiting=0, waiting_since=None, last_finished=None, running=0
            )
            is None
        )

    def test_tasks_waiting_less_than_the_threshold_are_fine(self):
        assert self.warning(waited=STALL_AFTER - timedelta(seconds=1)) is None

    def test_a_recent_finish_means_a_worker_is_alive(self):
        assert self.warning(finished_ago=timedelta(seconds=5)) is None

    def test_waiting_and_nothing_finished_lately_warns(self):
        message = self.warning(waiting=3, finished_ago=timedelta(minutes=5))

        assert message.startswith("3 tasks ready for over 30 s and none has finished since")
        assert "is a worker running?" in message

    def test_the_warning_mentions_running_tasks(self):
        message = self.warning(running=1)

        assert message.endswith("1 running: a long task may be holding the only worker.")


class EnqueueViewTests(TransactionTestCase):
    """Real commits: the views enqueue in transaction.on_commit, which runs at commit."""

    def setUp(self):
        make_conference()

    def test_the_export_row_is_committed_before_the_worker_looks_for_it(self):
        response = self.client.post(EXPORT_URL, {"format": "ics", "delay_ms": "0"})
        result_id = result_id_from(response)

        # The row the task reads, and the task, are both committed.
        export = ScheduleExport.objects.get()
        assert stored_ids() == {result_id}
        stored = get_result(result_id)
        assert (stored.args, stored.kwargs) == ([export.pk], {"delay_ms": 0})
        run_worker()

        export.refresh_from_db()
        assert str(export.result_id) == result_id
        assert export.content.count("BEGIN:VEVENT") == 21
        page = self.client.get(status_url(result_id))
        assert "SUCCESSFUL" in page.text
        assert "<progress" in page.text
        assert 'max="21" value="21"' in page.text
        download = reverse("django_six_demos_tasks:download", args=[result_id])
        assert f'href="{download}" download' in page.text

    def test_emails_are_sent_by_the_worker(self):
        response = self.client.post(EMAILS_URL, {"travel_grant": "99.50", "arguments": "json"})
        result_id = result_id_from(response)

        assert mail.outbox == []
        run_worker()

        assert len(mail.outbox) == 2
        page = self.client.get(status_url(result_id))
        assert "&quot;travel_grant&quot;: &quot;99.50&quot;" in page.text

    def test_a_decimal_argument_is_a_form_error_and_nothing_is_stored(self):
        response = self.client.post(EMAILS_URL, {"travel_grant": "99.50", "arguments": "cleaned"})

        assert response.status_code == 422
        assert "enqueue() refused the arguments" in response.text
        assert "Unsupported type" in response.text
        assert "Nothing was stored." in response.text
        assert stored_ids() == set()

    def test_invalid_form_input_is_a_form_error(self):
        cases = [
            (EMAILS_URL, {"travel_grant": "-1", "arguments": "json"}),
            (EMAILS_URL, {"travel_grant": "abc", "arguments": "json"}),
            (EMAILS_URL, {"arguments": "pickle"}),
            (EXPORT_URL, {"format": "pdf", "delay_ms": "0"}),
            (EXPORT_URL, {"format": "csv", "delay_ms": "99999"}),
            (FAILURE_URL, {"message": ""}),
            (FAILURE_URL, {"message": "x" * 201}),
            (FAILURE_URL, {"message": "a\x00b"}),
        ]
        for url, data in cases:
            response = self.client.post(url, data)
            assert response.status_code == 422, (url, data)
            assert "errorlist" in response.text
        assert stored_ids() == set()
        assert ScheduleExport.objects.count() == 0

    def test_the_failing_task_shows_its_class_and_traceback_and_can_be_re_enqueued(self):
        failed_id = result_id_from(self.client.post(FAILURE_URL, {"message": "<b>boom</b>"}))
        run_worker()

        page = self.client.get(status_url(failed_id))
        assert "FAILED" in page.text
        assert "django_six_demos.tasks.tasks.DemoFailure" in page.text
        # The traceback is escaped, never markup.
        assert "DemoFailure: &lt;b&gt;boom&lt;/b&gt;" in page.text
        assert "<b>boom</b>" not in page.text
        rerun_url = reverse("django_six_demos_tasks:reenqueue", args=[failed_id])
        assert f'action="{rerun_url}"' in page.text

        new_id = result_id_from(self.client.post(rerun_url))

        assert new_id != failed_id
        new = get_result(new_id)
        assert (new.args, new.kwargs) == (["<b>boom</b>"], {})
        assert new.task.module_path == fail_on_demand.module_path
        assert new.status == compat.TaskResultStatus.READY
        assert Rerun.objects.get().new_id == new_id
        old_page = self.client.get(status_url(failed_id))
        assert f'Re-enqueued as <a href="{status_url(new_id)}">' in old_page.text
        assert f'action="{rerun_url}"' not in old_page.text
        assert "Re-enqueued from" in self.client.get(status_url(new_id)).text

    def test_re_enqueueing_twice_leads_to_the_same_new_task(self):
        failed_id = result_id_from(self.client.post(FAILURE_URL, {"message": "boom"}))
        run_worker()
        rerun_url = reverse("django_six_demos_tasks:reenqueue", args=[failed_id])

        first = result_id_from(self.client.post(rerun_url))
        second = result_id_from(self.client.post(rerun_url))

        assert first == second
        assert stored_ids() == {failed_id, first}

    def test_only_failed_tasks_can_be_re_enqueued(self):
        result_id = result_id_from(self.client.post(ATTEMPT_URL))
        rerun_url = reverse("django_six_demos_tasks:reenqueue", args=[result_id])

        response = self.client.post(rerun_url)

        assert response.status_code == 409
        assert response.text == "Only a FAILED task can be re-enqueued; this one is READY."
        assert stored_ids() == {result_id}

    def test_the_context_task_page_shows_its_attempt(self):
        result_id = result_id_from(self.client.post(ATTEMPT_URL))
        run_worker()

        page = self.client.get(status_url(result_id))

        assert "&quot;attempt&quot;: 1" in page.text
        assert "<dt>Attempts</dt><dd>1</dd>" in page.text

    @override_settings(TASKS=DUMMY)
    def test_each_view_enqueues_one_task_on_its_queue(self):
        dummy = tasks_backend(fail_on_demand)
        dummy.clear()
        posts = [
            (EMAILS_URL, {"travel_grant": "", "arguments": "json"}),
            (EXPORT_URL, {"format": "csv", "delay_ms": "50"}),
            (FAILURE_URL, {"message": "boom"}),
            (ATTEMPT_URL, {}),
        ]
        for url, data in posts:
            result_id_from(self.client.post(url, data))

        results = dummy.results
        assert [r.task.name for r in results] == [
            "send_acceptance_emails",
            "build_schedule_export",
            "fail_on_demand",
            "report_attempt",
        ]
        assert results[0].kwargs == {"travel_grant": None}
        assert results[1].kwargs == {"delay_ms": 50}
        assert [r.task.queue_name for r in results] == ["emails", "exports", "default", "default"]

    def test_enqueue_views_work_under_atomic_requests(self):
        # ATOMIC_REQUESTS would hold on_commit back until after the view:
        # the views opt out (non_atomic_requests), so they still see the result.
        with mock.patch.dict(connection.settings_dict, {"ATOMIC_REQUESTS": True}):
            response = self.client.post(EXPORT_URL, {"format": "csv", "delay_ms": "0"})

        result_id = result_id_from(response)
        assert result_id in stored_ids()

    def test_enqueue_views_accept_only_post(self):
        for url in (EMAILS_URL, EXPORT_URL, FAILURE_URL, ATTEMPT_URL):
            assert self.client.get(url).status_code == 405

    def test_posts_without_the_csrf_token_are_refused_htmx_or_not(self):
        client = Client(enforce_csrf_checks=True)
        for headers in ({}, HTMX):
            for url in (EMAILS_URL, EXPORT_URL, FAILURE_URL, ATTEMPT_URL):
                assert client.post(url, {}, headers=headers).status_code == 403
        assert stored_ids() == set()


class StatusViewTests(TestCase):
    def test_unknown_and_malformed_ids_are_404(self):
        assert self.client.get(status_url(uuid.uuid4())).status_code == 404
        for path in ("not-a-uuid/", "1/", "../", "00000000-0000-0000-0000-00000000000g/"):
            assert self.client.get(INDEX_URL + path).status_code == 404, path
        rerun_url = reverse("django_six_demos_tasks:reenqueue", args=[uuid.uuid4()])
        assert self.client.post(rerun_url).status_code == 404

    def test_a_waiting_task_polls_every_second(self):
        result = report_attempt.enqueue()

        response = self.client.get(status_url(result.id), headers=HTMX)

        assert response.status_code == 200
        assert "<html" not in response.text
        assert response.text.strip().startswith('<div id="task-status"')
        assert 'hx-trigger="every 1s"' in response.text
        assert f'hx-get="{status_url(result.id)}"' in response.text
        assert "Waiting for a worker" in response.text

    def test_a_finished_task_answers_286_and_stops_polling(self):
        result = report_attempt.enqueue()
        run_worker()

        response = self.client.get(status_url(result.id), headers=HTMX)

        assert response.status_code == HTMX_STOP_POLLING == 286
        assert response.reason_phrase == "Stop Polling"
        assert "hx-trigger" not in response.text
        assert "SUCCESSFUL" in response.text

    def test_the_full_page_is_200_even_when_finished(self):
        result = report_attempt.enqueue()
        run_worker()

        response = self.client.get(status_url(result.id))

        assert response.status_code == 200
        assert response.text.startswith("<!doctype html>")
        # The page itself, not the source panel beside it (which shows the template).
        page = response.text.split('<aside class="frame"')[0]
        assert '<div id="task-status" class="task-status" aria-live="polite">' in page
        assert "hx-trigger" not in page.split('id="task-status"')[1]

    def test_the_page_shows_timings_attempts_and_worker_ids(self):
        result = report_attempt.enqueue()
        run_worker()
        result.refresh()

        text = self.client.get(status_url(result.id)).text

        for label in ("Enqueued", "Started", "Finished", "Attempts", "Worker ids"):
            assert f"<dt>{label}</dt>" in text
        assert "(waited " in text
        assert "(ran " in text
        assert f"<code>{result.worker_ids[0]}</code>" in text
        assert "<code>django_six_demos.tasks.tasks.report_attempt</code>" in text

    def test_status_responses_vary_on_hx_request(self):
        result = report_attempt.enqueue()
        for headers in ({}, HTMX):
            response = self.client.get(status_url(result.id), headers=headers)
            assert "HX-Request" in response["Vary"]
            assert "no-store" in response["Cache-Control"]

    @override_settings(TASKS=IMMEDIATE)
    def test_a_backend_that_cannot_look_results_up_gives_a_clear_404(self):
        response = self.client.get(status_url(uuid.uuid4()))

        assert response.status_code == 404

    def test_a_task_whose_code_is_gone_is_404_not_500(self):
        for gone in ("django_six_demos.gone.task", "django_six_demos.tasks.tasks.gone"):
            result = report_attempt.enqueue()
            break_task_path(result.id, gone)

            response = self.client.get(status_url(result.id))

            assert response.status_code == 404, gone


class DownloadTests(TestCase):
    def test_a_finished_export_downloads_as_an_attachment(self):
        make_conference()
        export = ScheduleExport.objects.create(format="csv")
        result = build_schedule_export.enqueue(export.pk)
        run_worker()

        response = self.client.get(reverse("django_six_demos_tasks:download", args=[result.id]))

        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == ('attachment; filename="conference-schedule.csv"')
        export.refresh_from_db()
        assert response.content.decode() == export.content

    def test_an_unfinished_or_unknown_export_is_404(self):
        result_id = uuid.uuid4()
        ScheduleExport.objects.create(format="ics", result_id=result_id)

        for some_id in (result_id, uuid.uuid4()):
            url = reverse("django_six_demos_tasks:download", args=[some_id])
            assert self.client.get(url).status_code == 404
