"""The tasks room's views: the page, enqueueing (who, how often, how much), a task's status."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.core import mail
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, SimpleTestCase, TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HTMX_STOP_POLLING
from django_tasks_db.models import DBTaskResult

from django_six_demos import accounts, compat, conf
from django_six_demos.conference.models import Speaker
from django_six_demos.tasks import caps
from django_six_demos.tasks import tasks as tasks_module
from django_six_demos.tasks.forms import MAX_TRAVEL_GRANT
from django_six_demos.tasks.models import Rerun, ScheduleExport
from django_six_demos.tasks.tasks import (
    build_schedule_export,
    fail_on_demand,
    report_attempt,
)
from django_six_demos.tasks.views import (
    EMAILS_RATE,
    EXPORT_RATE,
    INDEX,
    REENQUEUE_RATE,
    SMALL_TASK_RATE,
    STALL_AFTER,
    exception_message,
    queue_dashboard,
    worker_warning,
)
from tests.databases import postgres_only
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
ENQUEUE_POSTS = [
    (EMAILS_URL, {"travel_grant": "", "arguments": "json"}),
    (EXPORT_URL, {"format": "csv", "delay_ms": "0"}),
    (FAILURE_URL, {"message": "boom"}),
    (ATTEMPT_URL, {}),
]
SIGN_IN = reverse("django_six_demos_sign_in") + "?next="

User = get_user_model()


def staff_user(username: str = "staff") -> AuthUser:
    return User.objects.create_user(username, email=f"{username}@example.com", is_staff=True)


def plain_user(username: str = "visitor") -> AuthUser:
    """Signed in, neither staff nor a speaker."""
    return User.objects.create_user(username, email=f"{username}@example.com")


def rerun_url(result_id):
    return reverse("django_six_demos_tasks:reenqueue", args=[result_id])


def per_user(rate):
    """The count of a django-ratelimit rate string: "3/h" -> 3."""
    return int(rate.per_user.split("/")[0])


def status_url(result_id):
    return reverse("django_six_demos_tasks:status", args=[result_id])


def result_id_from(response):
    """The task id in the redirect to its status page."""
    assert response.status_code == 302, response.status_code
    prefix = reverse("django_six_demos_tasks:index")
    return response["Location"].removeprefix(prefix).strip("/")


class RoomPageTests(TestCase):
    def test_the_room_page_has_the_package_box_the_forms_and_the_dashboard(self):
        self.client.force_login(staff_user())

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


class WhoMayWhatTests(TestCase):
    """The page shows each visitor the forms they may use, and says who may do what."""

    def forms(self, text):
        return {
            url
            for url in (EMAILS_URL, EXPORT_URL, FAILURE_URL, ATTEMPT_URL)
            if f'action="{url}"' in text
        }

    def test_anonymous_visitors_get_a_sign_in_prompt_and_no_forms(self):
        text = self.client.get(INDEX_URL).text

        assert self.forms(text) == set()
        assert f'<a href="{accounts.sign_in_url(INDEX_URL)}">Sign in</a> to enqueue tasks' in text
        assert "Who may do what in this room" in text

    def test_the_page_states_the_limits_and_caps(self):
        text = self.client.get(INDEX_URL).text

        assert "3 an hour per user, 10 an hour per address" in text
        assert f"at most {caps.MAX_READY_PER_QUEUE} tasks waiting" in text
        assert f"the newest {caps.KEEP_EXPORTS} exports are kept" in text
        assert f"the newest {caps.KEEP_RESULTS}" in text

    def test_a_signed_in_visitor_gets_every_form_but_the_emails(self):
        self.client.force_login(plain_user())

        text = self.client.get(INDEX_URL).text

        assert self.forms(text) == {EXPORT_URL, FAILURE_URL, ATTEMPT_URL}
        assert "Staff send the acceptance emails, and a speaker their own" in text
        assert "Sign in</a> to enqueue" not in text

    def test_a_speaker_may_send_their_own_email_without_a_grant(self):
        ada, _, _ = make_conference()
        assert ada.user is not None
        self.client.force_login(ada.user)

        text = self.client.get(INDEX_URL).text

        assert self.forms(text) == {EMAILS_URL, EXPORT_URL, FAILURE_URL, ATTEMPT_URL}
        assert "Send me my acceptance email" in text
        assert 'name="travel_grant"' not in text

    def test_staff_send_everyones_email_with_a_bounded_grant(self):
        self.client.force_login(staff_user())

        text = self.client.get(INDEX_URL).text

        assert "Send the emails" in text
        assert 'name="travel_grant"' in text
        assert f'max="{MAX_TRAVEL_GRANT}"' in text
        assert "EUR 1,500.00 at most" in text


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
        assert dashboard.last_finished_age is not None
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
        assert "Start one with python manage.py demos_worker." in response.text

    def test_a_task_enqueued_just_now_is_not_a_stall(self):
        report_attempt.enqueue()

        assert queue_dashboard().warning is None
        assert "worker-warning" not in self.client.get(INDEX_URL, headers=HTMX).text

    def test_only_staff_get_links_to_the_recent_tasks(self):
        result = report_attempt.enqueue()
        link = f'href="{status_url(result.id)}"'

        def pages():
            return [self.client.get(INDEX_URL, headers=headers).text for headers in ({}, HTMX)]

        for text in pages():  # anonymous
            assert '<td data-label="Task">report_attempt</td>' in text
            assert link not in text
        self.client.force_login(plain_user())
        assert all(link not in text for text in pages())
        self.client.force_login(staff_user())
        assert all(link in text for text in pages())


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
        self.client.force_login(staff_user())

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

    @override_settings(RATELIMIT_ENABLE=False)
    def test_invalid_form_input_is_a_form_error(self):
        cases = [
            (EMAILS_URL, {"travel_grant": "-1", "arguments": "json"}),
            (EMAILS_URL, {"travel_grant": "abc", "arguments": "json"}),
            (EMAILS_URL, {"travel_grant": "1500.01", "arguments": "json"}),
            (EMAILS_URL, {"travel_grant": "99999.99", "arguments": "json"}),
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
        assert "Only a FAILED task can be re-enqueued; this one is READY." in response.text
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
        posts = [*ENQUEUE_POSTS]
        posts[1] = (EXPORT_URL, {"format": "csv", "delay_ms": "50"})
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
        client.force_login(User.objects.get(username="staff"))
        for headers in ({}, HTMX):
            for url in (EMAILS_URL, EXPORT_URL, FAILURE_URL, ATTEMPT_URL):
                assert client.post(url, {}, headers=headers).status_code == 403
        assert stored_ids() == set()


class StatusViewTests(TestCase):
    def test_unknown_and_malformed_ids_are_404(self):
        assert self.client.get(status_url(uuid.uuid4())).status_code == 404
        for path in ("not-a-uuid/", "1/", "../", "00000000-0000-0000-0000-00000000000g/"):
            assert self.client.get(INDEX_URL + path).status_code == 404, path
        self.client.force_login(staff_user())
        assert self.client.post(rerun_url(uuid.uuid4())).status_code == 404

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
        assert '<div class="task-status-region" aria-live="polite">' in page
        assert '<div id="task-status" class="task-status">' in page
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
        ScheduleExport.objects.create(format="ics", result_id=str(result_id))

        for some_id in (result_id, uuid.uuid4()):
            url = reverse("django_six_demos_tasks:download", args=[some_id])
            assert self.client.get(url).status_code == 404


# -- Who may enqueue, how often, how much -------------------------------------------


class SignInRequiredTests(TestCase):
    """Every endpoint that enqueues work needs a signed-in user; strangers store nothing."""

    def setUp(self):
        self.waiting = fail_on_demand.enqueue("boom")

    def endpoints(self):
        return [*ENQUEUE_POSTS, (rerun_url(self.waiting.id), {})]

    def assert_nothing_was_enqueued(self):
        assert stored_ids() == {self.waiting.id}
        assert ScheduleExport.objects.count() == 0
        assert Rerun.objects.count() == 0
        assert mail.outbox == []

    def test_anonymous_posts_are_sent_to_sign_in_and_back_to_the_room(self):
        room = f"http://testserver{INDEX_URL}"
        for url, data in self.endpoints():
            response = self.client.post(url, data, headers={"Referer": room})

            assert response.status_code == 302, url
            assert response["Location"].startswith(SIGN_IN), url
            assert response["Location"].endswith("//testserver/demos/tasks/"), url
        self.assert_nothing_was_enqueued()

    def test_anonymous_htmx_posts_navigate_to_sign_in(self):
        for url, data in self.endpoints():
            response = self.client.post(url, data, headers=HTMX)

            assert response["HX-Redirect"].startswith(SIGN_IN), url
        self.assert_nothing_was_enqueued()


class RolesTests(TestCase):
    """Staff send every speaker's email and re-enqueue; a speaker sends only their own."""

    ada: Speaker
    grace: Speaker

    @classmethod
    def setUpTestData(cls):
        cls.ada, cls.grace, _ = make_conference()

    def test_a_visitor_who_is_neither_staff_nor_a_speaker_may_not_send_emails(self):
        self.client.force_login(plain_user())

        response = self.client.post(EMAILS_URL, {"travel_grant": "10.00", "arguments": "json"})

        assert response.status_code == 403
        assert "Only staff send the acceptance emails, and a speaker their own" in response.text
        assert stored_ids() == set()

    def test_a_speaker_sends_their_own_email_without_a_grant(self):
        assert self.ada.user is not None
        self.client.force_login(self.ada.user)

        response = self.client.post(EMAILS_URL, {"travel_grant": "1000.00", "arguments": "json"})

        stored = get_result(result_id_from(response))
        assert stored.kwargs == {"speaker_id": self.ada.pk}
        run_worker()
        [email] = mail.outbox
        assert email.to == ["ada@example.com"]
        assert "travel grant" not in email.body

    def test_only_staff_re_enqueue(self):
        failed = fail_on_demand.enqueue("boom")
        run_worker()
        assert self.ada.user is not None
        self.client.force_login(self.ada.user)

        response = self.client.post(rerun_url(failed.id))

        assert response.status_code == 403
        assert "Only staff may re-enqueue a failed task." in response.text
        assert stored_ids() == {failed.id}
        assert Rerun.objects.count() == 0


@override_settings(TASKS=DUMMY)
class RateLimitTests(TransactionTestCase):
    """Past the per-user or per-address limit: 429 with Retry-After, nothing enqueued.

    On the dummy backend, which keeps tasks in memory: no cap of the queues
    gets in the way (there is nothing to count), only the limits.
    """

    def setUp(self):
        make_conference()
        self.dummy = tasks_backend(fail_on_demand)
        self.dummy.clear()

    def assert_too_many(self, response):
        assert response.status_code == 429
        assert int(response["Retry-After"]) >= 1
        assert "Too many requests" in response.text

    def test_each_enqueue_view_has_a_per_user_limit(self):
        self.client.force_login(staff_user())
        rates = [EMAILS_RATE, EXPORT_RATE, SMALL_TASK_RATE, SMALL_TASK_RATE]
        for (url, data), rate in zip(ENQUEUE_POSTS, rates, strict=True):
            for _ in range(per_user(rate)):
                assert self.client.post(url, data).status_code == 302, url
            enqueued = len(self.dummy.results)

            self.assert_too_many(self.client.post(url, data))
            assert len(self.dummy.results) == enqueued, url

    def test_one_address_is_limited_across_users(self):
        per_ip = int(EXPORT_RATE.per_ip.split("/")[0])
        users = [plain_user(f"visitor{n}") for n in range(per_ip // per_user(EXPORT_RATE) + 1)]
        statuses = []
        for user in users:
            self.client.force_login(user)
            statuses += [
                self.client.post(EXPORT_URL, ENQUEUE_POSTS[1][1]).status_code
                for _ in range(per_user(EXPORT_RATE))
            ]

        assert statuses.count(302) == per_ip
        assert set(statuses[per_ip:]) == {429}
        assert ScheduleExport.objects.count() == caps.KEEP_EXPORTS


class ReenqueueRateLimitTests(TestCase):
    def test_re_enqueueing_has_a_per_user_limit(self):
        self.client.force_login(staff_user())
        # Not FAILED: each attempt is refused (409), and counted all the same.
        waiting = fail_on_demand.enqueue("not failed yet")
        for _ in range(per_user(REENQUEUE_RATE)):
            assert self.client.post(rerun_url(waiting.id)).status_code == 409

        response = self.client.post(rerun_url(waiting.id))

        assert response.status_code == 429
        assert int(response["Retry-After"]) >= 1
        assert stored_ids() == {waiting.id}


class OneBatchAtATimeTests(TestCase):
    """While acceptance emails wait or run, no second batch (nor a speaker's own email)."""

    ada: Speaker
    staff: AuthUser

    @classmethod
    def setUpTestData(cls):
        cls.ada, _, _ = make_conference()
        cls.staff = staff_user()

    def setUp(self):
        self.client.force_login(self.staff)
        self.first = result_id_from(self.client.post(EMAILS_URL, ENQUEUE_POSTS[0][1]))

    def assert_refused(self):
        response = self.client.post(EMAILS_URL, ENQUEUE_POSTS[0][1])
        assert response.status_code == 409
        assert "one batch at a time, so nothing was enqueued" in response.text
        assert stored_ids() == {self.first}

    def test_a_second_batch_while_one_is_ready_is_refused(self):
        self.assert_refused()
        assert self.ada.user is not None
        self.client.force_login(self.ada.user)
        self.assert_refused()

    @tasks_db_only("Setting a task RUNNING by hand (its table)")
    def test_a_second_batch_while_one_is_running_is_refused(self):
        DBTaskResult.objects.filter(pk=self.first).update(status="RUNNING")

        self.assert_refused()

    def test_once_the_batch_has_finished_the_next_goes(self):
        run_worker()

        second = result_id_from(self.client.post(EMAILS_URL, ENQUEUE_POSTS[0][1]))

        assert stored_ids() == {self.first, second}


class QueueCapTests(TransactionTestCase):
    """A queue with MAX_READY_PER_QUEUE tasks waiting takes no more: 503, Retry-After."""

    def setUp(self):
        make_conference()
        self.client.force_login(staff_user())
        self.failed = fail_on_demand.enqueue("boom")
        run_worker()
        for _ in range(caps.MAX_READY_PER_QUEUE):
            report_attempt.enqueue()
        self.before = stored_ids()

    def test_a_full_queue_refuses_more_and_stores_nothing(self):
        for url, data in [*ENQUEUE_POSTS[2:], (rerun_url(self.failed.id), {})]:
            response = self.client.post(url, data)

            assert response.status_code == 503, url
            assert response["Retry-After"] == str(caps.RETRY_AFTER_SECONDS)
            assert "the most this demo allows: nothing was enqueued" in response.text
        assert stored_ids() == self.before
        assert Rerun.objects.count() == 0

    def test_other_queues_still_take_tasks(self):
        result_id = result_id_from(self.client.post(*ENQUEUE_POSTS[1]))

        assert stored_ids() == {*self.before, result_id}


@override_settings(RATELIMIT_ENABLE=False)
class ExportCapTests(TransactionTestCase):
    """100 export attempts (no rate limits here): the files and the waiting tasks stay capped."""

    def setUp(self):
        make_conference()
        self.client.force_login(staff_user())

    def test_without_a_worker_the_queue_cap_stops_them(self):
        statuses = [self.client.post(*ENQUEUE_POSTS[1]).status_code for _ in range(100)]

        assert statuses.count(302) == caps.MAX_READY_PER_QUEUE
        assert statuses.count(503) == 100 - caps.MAX_READY_PER_QUEUE
        assert len(stored_ids()) == caps.MAX_READY_PER_QUEUE
        assert ScheduleExport.objects.count() == caps.MAX_READY_PER_QUEUE

    def test_with_a_worker_only_the_newest_exports_are_kept(self):
        result_ids = []
        for _ in range(100):
            result_ids.append(result_id_from(self.client.post(*ENQUEUE_POSTS[1])))
            run_worker()

        kept = ScheduleExport.objects.order_by("pk")
        assert kept.count() == caps.KEEP_EXPORTS
        assert [str(e.result_id) for e in kept] == result_ids[-caps.KEEP_EXPORTS :]
        assert all(export.is_ready for export in kept)
        if not ON_RQ:
            assert len(stored_ids()) <= caps.KEEP_RESULTS


class PruneTests(TestCase):
    def test_only_the_newest_exports_are_kept_finished_or_not(self):
        exports = [
            ScheduleExport.objects.create(
                format="csv", finished_at=timezone.now() if n % 2 else None
            )
            for n in range(caps.KEEP_EXPORTS + 3)
        ]

        assert caps.prune_exports() == 3

        kept = set(ScheduleExport.objects.values_list("pk", flat=True))
        assert kept == {e.pk for e in exports[-caps.KEEP_EXPORTS :]}

    @tasks_db_only("Pruning DBTaskResult rows")
    def test_finished_results_beyond_the_cap_go_never_ready_running_or_other_rooms(self):
        keep = 3
        finished = [report_attempt.enqueue() for _ in range(keep + 2)]
        run_worker()
        other_room = report_attempt.enqueue()
        run_worker()
        DBTaskResult.objects.filter(pk=other_room.id).update(
            task_path="django_six_demos.sqlite.tasks.run_contention_lab"
        )
        running = report_attempt.enqueue()
        DBTaskResult.objects.filter(pk=running.id).update(status="RUNNING")
        ready = fail_on_demand.enqueue("waits")
        DBTaskResult.objects.filter(pk__in=[running.id, ready.id]).update(
            enqueued_at=timezone.now() - timedelta(days=30)
        )

        with mock.patch.object(caps, "KEEP_RESULTS", keep):
            assert caps.prune_results() == 2

        newest = {r.id for r in finished[-keep:]}
        assert stored_ids() == {*newest, other_room.id, running.id, ready.id}


@tasks_db_only("Pruning DBTaskResult rows")
class PruneOnEnqueueTests(TransactionTestCase):
    def test_enqueueing_prunes_the_oldest_finished_results(self):
        self.client.force_login(staff_user())
        for number in range(4):
            fail_on_demand.enqueue(str(number))
        run_worker()
        newest = DBTaskResult.objects.order_by("-finished_at", "-pk")[:2]
        kept = {str(row.pk) for row in newest}

        with mock.patch.object(caps, "KEEP_RESULTS", 2):
            new_id = result_id_from(self.client.post(ATTEMPT_URL))

        assert stored_ids() == {*kept, new_id}


class TracebackTests(TestCase):
    """Tracebacks name the server's files: staff only; everyone sees class and message."""

    def setUp(self):
        self.result = fail_on_demand.enqueue("<b>boom</b> twice")
        run_worker()

    def texts(self):
        """The status page (without the source panel beside it) and its htmx partial."""
        page = self.client.get(status_url(self.result.id)).text.split('<aside class="frame"')[0]
        partial = self.client.get(status_url(self.result.id), headers=HTMX).text
        return [page, partial]

    def test_anonymous_and_signed_in_visitors_see_the_class_and_message_only(self):
        install_path = str(Path(tasks_module.__file__).parent)
        for user in (None, plain_user()):
            if user is not None:
                self.client.force_login(user)
            for text in self.texts():
                assert "django_six_demos.tasks.tasks.DemoFailure" in text
                assert (
                    '<code class="exception-message">&lt;b&gt;boom&lt;/b&gt; twice</code>' in text
                )
                assert "Traceback (most recent call last)" not in text
                assert 'class="traceback"' not in text
                assert install_path not in text
                assert "shown to staff only" in text
                assert "Staff may re-enqueue a failed task" in text
                assert "Re-enqueue as a new task" not in text

    def test_staff_see_the_traceback_and_the_re_enqueue_button(self):
        self.client.force_login(staff_user())
        for text in self.texts():
            assert "Traceback (most recent call last)" in text
            assert "DemoFailure: &lt;b&gt;boom&lt;/b&gt; twice" in text
            assert "Re-enqueue as a new task" in text
            assert "shown to staff only" not in text


class ExceptionMessageTests(SimpleTestCase):
    def error(self, path, traceback):
        return SimpleNamespace(exception_class_path=path, traceback=traceback)

    def test_the_message_follows_the_class_on_the_last_exception_line(self):
        traceback = (
            "Traceback (most recent call last):\n"
            '  File "/srv/app/x.py", line 1, in <module>\n'
            "KeyError: 'a'\n\n"
            "During handling of the above exception, another exception occurred:\n\n"
            "Traceback (most recent call last):\n"
            '  File "/srv/app/x.py", line 3, in <module>\n'
            "app.errors.Broken: first line\nsecond line\n"
        )

        assert exception_message(self.error("app.errors.Broken", traceback)) == (
            "first line\nsecond line"
        )

    def test_builtins_print_without_their_module(self):
        traceback = 'Traceback (most recent call last):\n  File "x.py"\nValueError: bad value\n'

        assert exception_message(self.error("builtins.ValueError", traceback)) == "bad value"

    def test_no_message_or_no_match_is_empty(self):
        assert exception_message(self.error("app.Empty", "Traceback\n  x\napp.Empty\n")) == ""
        assert exception_message(self.error("app.Gone", "something else\n")) == ""


@postgres_only
class ConcurrentBatchTests(TransactionTestCase):
    """Requests at the same moment: exactly one batch of emails is enqueued."""

    def test_one_of_several_simultaneous_batches_goes(self):
        make_conference()
        staff = [staff_user(f"staff{n}") for n in range(4)]
        barrier = threading.Barrier(len(staff))
        statuses = []

        def post(user):
            client = Client()
            client.force_login(user)
            barrier.wait()
            try:
                statuses.append(client.post(*ENQUEUE_POSTS[0]).status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=post, args=(user,)) for user in staff]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(statuses) == [302, 409, 409, 409]
        assert len(stored_ids()) == 1
