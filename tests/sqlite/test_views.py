from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from unittest import mock

from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.db import connections
from django.db.utils import ConnectionHandler
from django.template.loader import render_to_string
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from django_six_demos import compat
from django_six_demos.sqlite import contention
from django_six_demos.sqlite.database import sqlite_database
from django_six_demos.sqlite.models import KEEP_RUNS, ContentionRun
from django_six_demos.sqlite.tasks import run_contention_lab
from django_six_demos.sqlite.views import (
    LAB,
    LAB_COOL_DOWN,
    LAB_RATE,
    charts,
    result_rows,
)
from tests.databases import postgres_only
from tests.sqlite.utils import default_database

if TYPE_CHECKING:
    from django.tasks.backends.dummy import DummyBackend

INDEX = reverse("django_six_demos_sqlite:index")
LAB_URL = reverse("django_six_demos_sqlite:lab")
START = reverse("django_six_demos_sqlite:lab-start")
RECENT = reverse("django_six_demos_sqlite:recent-runs")
HTMX = {"HX-Request": "true"}
DUMMY = {"default": {"BACKEND": compat.DUMMY_TASK_BACKEND, "QUEUES": []}}
User = get_user_model()
RUN = {"writers": "2", "readers": "0", "seconds": "1"}


@contextmanager
def clock_ahead(delta: timedelta) -> Iterator[None]:
    """Move Django's clock (``timezone.now()``) forward by ``delta``, without sleeping."""
    real_now = timezone.now
    with mock.patch.object(timezone, "now", lambda: real_now() + delta):
        yield


def dummy_backend() -> DummyBackend:
    """The default task backend under ``DUMMY`` (core's or the backport's): it keeps its results."""
    return cast("DummyBackend", compat.default_task_backend)


def page(response: Any) -> str:
    """The page itself, without the frame that shows the view's source beside it."""
    return str(response.text.split('<aside class="frame"')[0])


def finish(run: ContentionRun) -> None:
    """Let the lab's task run ``run`` to the end, without starting processes."""
    with mock.patch.object(contention, "run", return_value=[]):
        run_contention_lab.call(run.pk)


def live_cell(html: str, name: str) -> str:
    row = re.search(rf'<tr id="setting-{name}">(.*?)</tr>', html, re.DOTALL)
    assert row is not None, name
    cell = re.search(r'<td class="(verdict-\w+)"[^>]*>\s*([^<]*?)\s*<', row[1])
    assert cell is not None, name
    return f"{cell[2]} [{cell[1]}]"


def variant(name: str, label: str, commits: int, locked: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "summary": f"{label} summary",
        "commits": commits,
        "commits_per_second": commits / 2,
        "locked": locked,
        "lock_error_rate": locked / (commits + locked) if commits + locked else 0.0,
        "other_errors": 0,
        "p50_ms": 0.03,
        "p99_ms": 4.5,
        "expected_rows": commits,
        "found_rows": commits,
        "lost_rows": 0,
        "reads_per_second": 0,
        "clean": locked == 0,
        **extra,
    }


RESULT = {
    "variants": [
        variant("defaults", "Django's defaults", 200, 1500),
        variant("wal", "WAL alone", 6000, 90000),
        variant("production", "Production settings", 24000, 0),
    ]
}


class SettingsPageTests(TestCase):
    """The page reads the default connection; a file database stands in for a deployed site."""

    def setUp(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.directory = Path(directory.name)

    def test_shows_wal_normal_and_immediate_read_live_from_a_file_database(self):
        with default_database(sqlite_database(self.directory, file_name="site.sqlite3")):
            response = self.client.get(INDEX)

        assert response.status_code == 200
        assert live_cell(response.text, "journal_mode") == "WAL [verdict-ok]"
        assert live_cell(response.text, "synchronous") == "NORMAL [verdict-ok]"
        assert live_cell(response.text, "transaction_mode") == "IMMEDIATE [verdict-ok]"
        assert live_cell(response.text, "busy_timeout") == "20000 ms [verdict-ok]"
        assert "Every setting is live as recommended." in response.text
        assert "the file <code>site.sqlite3</code>" in response.text
        # The file's name only, never where it lives.
        assert str(self.directory) not in response.text

    def test_over_asgi_no_persistent_connection_is_the_recommendation(self):
        get = async_to_sync(self.async_client.get)
        # Django's ASGI handler gives each request a thread: a kept connection is never reused.
        asgi_settings = sqlite_database(self.directory, file_name="site.sqlite3", conn_max_age=0)
        with default_database(asgi_settings):
            response = get(INDEX)

        assert live_cell(response.content.decode(), "CONN_MAX_AGE") == "0 s [verdict-ok]"
        assert "Every setting is live as recommended." in response.content.decode()
        assert "This page came over ASGI" in response.content.decode()

        with default_database(sqlite_database(self.directory, file_name="site.sqlite3")):
            response = get(INDEX)

        assert live_cell(response.content.decode(), "CONN_MAX_AGE") == "600 s [verdict-bad]"

    def test_a_misconfigured_database_shows_each_difference(self):
        bare = {"ENGINE": "django.db.backends.sqlite3", "NAME": self.directory / "bare.sqlite3"}
        with default_database(bare):
            response = self.client.get(INDEX)

        assert live_cell(response.text, "journal_mode") == "DELETE [verdict-bad]"
        assert live_cell(response.text, "transaction_mode") == "DEFERRED [verdict-bad]"
        assert "9 settings differ from the recommendation" in response.text

    def test_explains_every_setting_with_djangos_default_and_ours(self):
        response = self.client.get(INDEX)

        rows = re.findall(r'<tr id="setting-(\w+)">(.*?)</tr>', response.text, re.DOTALL)
        assert [name for name, _ in rows] == [row.setting.name for row in response.context["rows"]]
        for name, row in rows:
            # The last cell says why: a sentence of its own for each setting.
            why = " ".join(re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)[-1].split())
            assert len(why) > 60, name
        assert len({row for _, row in rows}) == len(rows)
        assert "134217728 bytes" in response.text

    def test_states_the_three_warnings(self):
        response = self.client.get(INDEX)

        assert "synchronous=NORMAL is consistent, not durable." in response.text
        assert "Never back up a live WAL database by copying its file." in response.text
        assert "WAL needs a local disk." in response.text

    def test_on_postgresql_says_the_settings_apply_to_sqlite_without_querying(self):
        connection = connections["default"]
        with (
            mock.patch.object(connection, "vendor", "postgresql"),
            mock.patch.object(connection, "display_name", "PostgreSQL"),
            self.assertNumQueries(0),
        ):
            response = self.client.get(INDEX)

        assert response.status_code == 200
        assert "These settings and measurements apply to SQLite; this site runs on" in response.text
        assert "PostgreSQL, so there is nothing to read live here." in " ".join(
            response.text.split()
        )
        page = response.text.split('<aside class="frame"')[0]
        assert '<th scope="col">Live</th>' not in page
        assert "verdict-bad" not in page

    def test_says_where_the_task_queue_lives(self):
        response = self.client.get(INDEX)
        assert "This site keeps the task queue in its default database." in response.text

        # Complete settings (Django's defaults filled in), as DATABASES["tasks"] would get.
        tasks = sqlite_database(self.directory, file_name="tasks.sqlite3")
        tasks = ConnectionHandler({"default": tasks}).settings["default"]
        router = "django_six_demos.sqlite.routers.TaskQueueRouter"
        with (
            override_settings(DATABASE_ROUTERS=[router]),
            mock.patch.dict(connections.settings, {"tasks": tasks}),
        ):
            response = self.client.get(INDEX)
            del connections["tasks"]  # described, never opened

        assert "its own file,\n      <code>tasks.sqlite3</code>" in response.text

    def test_links_to_the_lab(self):
        response = self.client.get(INDEX)
        assert f'href="{LAB_URL}"' in response.text

    def test_refuses_post(self):
        assert self.client.post(INDEX).status_code == 405


class LabPageTests(TestCase):
    staff: AuthUser
    ada: AuthUser

    @classmethod
    def setUpTestData(cls):
        cls.staff = User.objects.create_user("staff", is_staff=True)
        cls.ada = User.objects.create_user("ada")

    def test_shows_staff_the_form_and_what_each_variant_is(self):
        self.client.force_login(self.staff)

        response = self.client.get(LAB_URL)

        assert response.status_code == 200
        assert f'action="{START}"' in response.text
        assert 'name="csrfmiddlewaretoken"' in response.text
        assert "rollback journal, synchronous=FULL, deferred transactions" in response.text
        assert "IMMEDIATE transactions, timeout 20 s" in response.text
        assert "Only staff may start a run." not in page(response)

    def test_anonymous_visitors_get_no_form_but_why_and_a_sign_in_link(self):
        response = self.client.get(LAB_URL)

        assert response.status_code == 200
        assert f'action="{START}"' not in page(response)
        assert "Only staff may start a run." in page(response)
        assert f'href="/demos/sign-in/?next={LAB_URL}"' in page(response)
        # The guard is stated with its figures.
        text = " ".join(page(response).split())
        assert "the next no sooner than 2 minutes after the last one started or finished" in text
        assert "at most 10 an hour per person and 20 an hour per address" in text
        assert f"the newest {KEEP_RUNS} runs are kept" in text

    def test_signed_in_visitors_who_are_not_staff_get_no_form(self):
        self.client.force_login(self.ada)

        response = self.client.get(LAB_URL)

        assert f'action="{START}"' not in page(response)
        assert "Only staff may start a run." in page(response)
        assert "/demos/sign-in/" not in page(response)

    def test_tells_staff_when_the_next_run_may_start(self):
        self.client.force_login(self.staff)
        run = ContentionRun.objects.create(writers=2, seconds=1)
        finish(run)

        response = self.client.get(LAB_URL)

        wait = re.search(r"The next run can start in (\d+) s\.", page(response))
        assert wait is not None
        assert 0 < int(wait[1]) <= LAB_COOL_DOWN.total_seconds()
        with clock_ahead(LAB_COOL_DOWN):
            assert "The next run can start" not in page(self.client.get(LAB_URL))

    def test_lists_recent_runs(self):
        run = ContentionRun.objects.create(writers=4, seconds=2)

        response = self.client.get(LAB_URL)

        assert f'href="{reverse("django_six_demos_sqlite:run", args=[run.pk])}"' in response.text

    def test_on_postgresql_says_the_figures_describe_sqlite(self):
        connection = connections["default"]
        with (
            mock.patch.object(connection, "vendor", "postgresql"),
            mock.patch.object(connection, "display_name", "PostgreSQL"),
        ):
            response = self.client.get(LAB_URL)

        assert "These measurements apply to SQLite; this site runs on PostgreSQL." in " ".join(
            response.text.split()
        )


@postgres_only
class OnPostgreSQLTests(TestCase):
    """The room on a site that really runs on PostgreSQL (no mocked vendor)."""

    def test_the_settings_page_says_they_apply_to_sqlite_and_queries_nothing(self):
        with self.assertNumQueries(0):
            response = self.client.get(INDEX)

        text = " ".join(response.text.split())
        assert response.status_code == 200
        assert (
            "These settings and measurements apply to SQLite; this site runs on PostgreSQL, "
            "so there is nothing to read live here." in text
        )
        page = response.text.split('<aside class="frame"')[0]
        assert '<th scope="col">Live</th>' not in page

    def test_the_lab_says_its_figures_describe_sqlite(self):
        response = self.client.get(LAB_URL)

        assert response.status_code == 200
        assert "These measurements apply to SQLite; this site runs on PostgreSQL." in " ".join(
            response.text.split()
        )

    @override_settings(TASKS=DUMMY)
    def test_a_lab_run_is_stored_in_postgresql_and_its_page_answers(self):
        dummy_backend().clear()
        self.client.force_login(User.objects.create_user("staff", is_staff=True))
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(START, {"writers": "2", "readers": "0", "seconds": "1"})

        run = ContentionRun.objects.get()
        assert response["Location"] == reverse("django_six_demos_sqlite:run", args=[run.pk])
        [result] = dummy_backend().results
        assert result.args == [run.pk]
        assert self.client.get(response["Location"]).status_code == 200


@override_settings(TASKS=DUMMY)
class StartRunTests(TestCase):
    staff: AuthUser

    @classmethod
    def setUpTestData(cls):
        cls.staff = User.objects.create_user("staff", is_staff=True)

    def setUp(self):
        dummy_backend().clear()
        self.client.force_login(self.staff)

    def test_enqueues_a_bounded_run_once_the_row_is_committed(self):
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            response = self.client.post(START, {"writers": "8", "readers": "1", "seconds": "3"})

        run = ContentionRun.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("django_six_demos_sqlite:run", args=[run.pk])
        assert (run.writers, run.readers, run.seconds, run.status) == (8, 1, 3.0, "queued")
        assert len(callbacks) == 1
        [result] = dummy_backend().results
        assert result.task.name == "run_contention_lab"
        assert result.args == [run.pk]
        run.refresh_from_db()
        assert run.task_id == str(result.id)

    def test_bad_input_is_a_form_error_and_starts_nothing(self):
        for data in (
            {"writers": "64", "readers": "0", "seconds": "2"},
            {"writers": "4", "readers": "0", "seconds": "600"},
            {"writers": "x"},
            {},
        ):
            with self.subTest(data), self.captureOnCommitCallbacks(execute=True):
                response = self.client.post(START, data)

            assert response.status_code == 400
            assert "The run was not started:" in response.text
        assert not ContentionRun.objects.exists()
        assert dummy_backend().results == []

    def test_needs_the_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.staff)

        response = client.post(START, {"writers": "2", "readers": "0", "seconds": "1"})

        assert response.status_code == 403
        assert not ContentionRun.objects.exists()

    def test_refuses_get(self):
        assert self.client.get(START).status_code == 405

    def test_one_run_at_a_time(self):
        active = ContentionRun.objects.create(writers=2, seconds=1)

        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(START, {"writers": "8", "readers": "0", "seconds": "3"})

        assert response["Location"] == reverse("django_six_demos_sqlite:run", args=[active.pk])
        assert ContentionRun.objects.count() == 1
        assert dummy_backend().results == []

    def test_a_lost_run_does_not_block_a_new_one(self):
        lost = ContentionRun.objects.create(writers=2, seconds=1, status="running")
        ContentionRun.objects.filter(pk=lost.pk).update(
            created_at=timezone.now() - timedelta(minutes=11)
        )

        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(START, {"writers": "2", "readers": "0", "seconds": "1"})

        assert ContentionRun.objects.count() == 2

    @override_settings(TASKS={"default": {"BACKEND": compat.DUMMY_TASK_BACKEND, "QUEUES": ["x"]}})
    def test_a_run_that_cannot_be_enqueued_fails_visibly(self):
        with (
            self.assertLogs("django_six_demos.sqlite.views", "ERROR"),
            self.captureOnCommitCallbacks(execute=True),
        ):
            response = self.client.post(START, {"writers": "2", "readers": "0", "seconds": "1"})

        run = ContentionRun.objects.get()
        assert response.status_code == 302
        assert run.status == "failed"
        assert run.error.startswith("The task could not be enqueued: InvalidTask")


@override_settings(TASKS=DUMMY)
class LabGuardTests(TestCase):
    """Who may start a run, how often, and how many runs are kept."""

    staff: AuthUser
    ada: AuthUser

    @classmethod
    def setUpTestData(cls):
        cls.staff = User.objects.create_user("staff", is_staff=True)
        cls.ada = User.objects.create_user("ada")

    def setUp(self):
        dummy_backend().clear()

    def post(self, client: Client | None = None, /, **headers: str) -> Any:
        with self.captureOnCommitCallbacks(execute=True):
            return (client or self.client).post(START, RUN, headers=headers)

    def assert_nothing_started(self, runs: int = 0) -> None:
        assert ContentionRun.objects.count() == runs
        # The test settings' backend is the dummy one, which keeps its results.
        assert len(dummy_backend().results) == runs

    def test_anonymous_visitors_are_sent_to_sign_in_and_back_to_the_lab(self):
        response = self.post(Referer=f"http://testserver{LAB_URL}")

        assert response.status_code == 302
        assert response["Location"] == f"/demos/sign-in/?next=http%3A//testserver{LAB_URL}"
        htmx = self.post(**HTMX)
        assert htmx["HX-Redirect"].startswith("/demos/sign-in/")
        self.assert_nothing_started()

    def test_signed_in_visitors_who_are_not_staff_are_refused(self):
        self.client.force_login(self.ada)

        response = self.post()

        assert response.status_code == 403
        assert "Only staff may start a contention run." in response.text
        self.assert_nothing_started()

    def test_past_the_per_user_limit_a_429(self):
        self.client.force_login(self.staff)
        allowed = int(LAB_RATE.per_user.split("/")[0])
        # The first post starts a run; the next ones are shown that run.
        answers = [self.post().status_code for _ in range(allowed)]
        assert answers == [302] * allowed

        response = self.post()

        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 3600
        assert "Too many requests to start a contention run" in response.text
        self.assert_nothing_started(runs=1)

    def test_past_the_per_address_limit_a_429_whoever_asks(self):
        per_user = int(LAB_RATE.per_user.split("/")[0])
        per_ip = int(LAB_RATE.per_ip.split("/")[0])
        staff = [User.objects.create_user(f"staff{n}", is_staff=True) for n in range(3)]
        clients = []
        for user in staff:
            client = Client()
            client.force_login(user)
            clients.append(client)
        for number in range(per_ip):
            assert self.post(clients[number // per_user]).status_code == 302

        response = self.post(clients[-1])

        assert response.status_code == 429
        assert response.has_header("Retry-After")

    def test_the_cool_down_refuses_a_new_run_until_it_has_passed(self):
        self.client.force_login(self.staff)
        self.post()
        first = ContentionRun.objects.get()
        finish(first)
        assert ContentionRun.objects.get().status == "done"

        refused = self.post()

        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= LAB_COOL_DOWN.total_seconds()
        assert "The lab is cooling down after the last run" in refused.text
        with clock_ahead(LAB_COOL_DOWN - timedelta(seconds=5)):
            assert self.post().status_code == 429
        self.assert_nothing_started(runs=1)

        with clock_ahead(LAB_COOL_DOWN + timedelta(seconds=1)):
            response = self.post()

        second = ContentionRun.objects.exclude(pk=first.pk).get()
        assert response.status_code == 302
        assert response["Location"] == reverse("django_six_demos_sqlite:run", args=[second.pk])
        assert len(dummy_backend().results) == 2

    def test_an_htmx_refusal_is_a_notice_in_the_page(self):
        self.client.force_login(self.staff)
        finish(ContentionRun.objects.create(writers=2, seconds=1))

        response = self.post(**HTMX)

        assert response.status_code == 429
        assert response["HX-Retarget"] == "#demo-notice"
        assert "<html" not in response.text

    # The runs are far apart in (patched) time, so the rate limits, tested
    # above, would refuse them: this test is about what is kept.
    @override_settings(RATELIMIT_ENABLE=False)
    def test_only_the_newest_runs_are_kept(self):
        self.client.force_login(self.staff)
        started = []
        for number in range(KEEP_RUNS + 10):
            with clock_ahead(number * (LAB_COOL_DOWN + timedelta(seconds=1))):
                response = self.post()
                assert response.status_code == 302, number
                run = ContentionRun.objects.order_by("-pk").first()
                assert run is not None
                finish(run)
            started.append(run.pk)
            assert ContentionRun.objects.count() <= KEEP_RUNS

        kept = set(ContentionRun.objects.values_list("pk", flat=True))
        assert kept == set(started[-KEEP_RUNS:])

    def test_pruning_deletes_the_oldest_runs_lost_ones_included(self):
        # Queued a day ago and never picked up: no longer active, and the oldest.
        old = ContentionRun.objects.create(writers=2, seconds=1)
        ContentionRun.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - timedelta(days=1)
        )
        for _ in range(KEEP_RUNS):
            ContentionRun.objects.create(writers=2, seconds=1, status="done")

        assert ContentionRun.prune() == 1
        assert not ContentionRun.objects.filter(pk=old.pk).exists()
        assert ContentionRun.objects.count() == KEEP_RUNS


@override_settings(TASKS=DUMMY)
class RunStatusTests(TestCase):
    def url(self, run):
        return reverse("django_six_demos_sqlite:run", args=[run.pk])

    def test_the_full_page_polls_the_runs_status(self):
        run = ContentionRun.objects.create(writers=4, seconds=2)

        response = self.client.get(self.url(run))

        assert response.status_code == 200
        assert response.text.startswith("<!doctype html>")
        assert (
            f'hx-get="{self.url(run)}" hx-trigger="every 1s" hx-swap="outerHTML"' in response.text
        )
        assert "Queued: waiting for a task worker" in response.text

    def test_htmx_gets_only_the_status_partial_until_finished(self):
        run = ContentionRun.objects.create(
            writers=4, seconds=2, status="running", progress="wal: 1.0/2 s, 10 commits"
        )

        response = self.client.get(self.url(run), headers=HTMX)

        assert response.status_code == 200
        assert "<html" not in response.text
        expected = render_to_string(f"{LAB}#run-status", response.context_data)
        assert response.text == expected
        assert "wal: 1.0/2 s, 10 commits" in response.text
        assert "hx-trigger" in response.text

    def test_responses_vary_on_hx_request(self):
        run = ContentionRun.objects.create(writers=4, seconds=2)
        for headers in ({}, HTMX):
            assert "HX-Request" in self.client.get(self.url(run), headers=headers)["Vary"]

    def test_a_finished_run_answers_286_to_stop_polling(self):
        run = ContentionRun.objects.create(writers=4, seconds=2, status="done", result=RESULT)

        response = self.client.get(self.url(run), headers=HTMX)

        assert response.status_code == 286
        assert "hx-trigger" not in response.text
        assert '<tr id="result-production">' in response.text
        assert re.search(r'verdict-ok">0 \(0%\)</td>', response.text)

    def test_results_show_a_table_and_inline_svg_bars(self):
        run = ContentionRun.objects.create(writers=4, seconds=2, status="done", result=RESULT)

        response = self.client.get(self.url(run))

        assert response.text.count("<svg ") == 2
        widths = re.findall(r'<rect x="150" y="\d+" width="(\d+)" height="20"', response.text)
        # Commits/s scaled to the fastest; lock errors to the most.
        assert widths == ["2", "60", "240", "4", "240", "0"]
        assert "12,000/s" in response.text
        assert "style=" not in response.text
        assert 'class="lab-bar lab-bar-production"' in response.text

    def test_a_failed_run_shows_its_error_and_stops_polling(self):
        run = ContentionRun.objects.create(
            writers=4, seconds=2, status="failed", error="ContentionError: boom"
        )

        response = self.client.get(self.url(run), headers=HTMX)

        assert response.status_code == 286
        assert "The run failed: ContentionError: boom" in response.text

    def test_a_run_whose_task_failed_is_marked_failed(self):
        from django_six_demos.sqlite.tasks import run_contention_lab

        dummy_backend().clear()
        run = ContentionRun.objects.create(writers=4, seconds=2, status="running")
        result = run_contention_lab.enqueue(run.pk)
        ContentionRun.objects.filter(pk=run.pk).update(task_id=result.id)
        backend = dummy_backend()
        backend.results[0] = dataclasses.replace(
            backend.results[0], status=compat.TaskResultStatus.FAILED
        )

        response = self.client.get(self.url(run), headers=HTMX)

        run.refresh_from_db()
        assert response.status_code == 286
        assert run.status == "failed"
        assert run.error == "The background task failed (unknown)."

    def test_a_long_queued_run_hints_at_a_missing_worker(self):
        run = ContentionRun.objects.create(writers=4, seconds=2)
        assert (
            "Is <code>manage.py db_worker</code> running?"
            not in self.client.get(self.url(run)).text
        )

        ContentionRun.objects.filter(pk=run.pk).update(
            created_at=timezone.now() - timedelta(seconds=30)
        )
        response = self.client.get(self.url(run), headers=HTMX)

        assert "Is <code>manage.py db_worker</code> running?" in response.text

    def test_an_unknown_run_is_404(self):
        assert (
            self.client.get(reverse("django_six_demos_sqlite:run", args=[999])).status_code == 404
        )


@override_settings(TASKS=DUMMY)
class RecentRunsTests(TestCase):
    """The lab's list of recent runs follows a run until it finishes, then stops polling."""

    def test_the_list_polls_while_a_run_is_queued(self):
        run = ContentionRun.objects.create(writers=4, seconds=2)

        response = self.client.get(LAB_URL)

        assert f'hx-get="{RECENT}" hx-trigger="every 2s" hx-swap="outerHTML"' in response.text
        item = re.search(rf'<li id="recent-run-{run.pk}">(.*?)</li>', response.text, re.DOTALL)
        assert item is not None
        assert "queued" in item[1]

    def test_htmx_gets_the_list_alone_until_every_run_has_finished(self):
        run = ContentionRun.objects.create(writers=4, seconds=2, status="running")

        response = self.client.get(RECENT, headers=HTMX)

        assert response.status_code == 200
        assert "<html" not in response.text
        assert response.text == render_to_string(f"{LAB}#recent-runs", response.context_data)
        assert "hx-trigger" in response.text
        assert "running" in response.text

        ContentionRun.objects.filter(pk=run.pk).update(status="done", result=RESULT)
        response = self.client.get(RECENT, headers=HTMX)

        # 286 stops htmx polling, and the list it sends polls no more.
        assert response.status_code == 286
        assert "hx-trigger" not in response.text
        assert re.search(rf'<li id="recent-run-{run.pk}">.*done', response.text, re.DOTALL)
        assert "HX-Request" in response["Vary"]

    def test_finished_runs_are_not_polled(self):
        ContentionRun.objects.create(writers=4, seconds=2, status="failed", error="boom")

        assert "hx-trigger" not in page(self.client.get(LAB_URL)).split("Recent runs")[1]

    def test_a_run_queued_too_long_is_taken_for_lost_and_not_polled(self):
        ContentionRun.objects.create(writers=4, seconds=2)
        ContentionRun.objects.update(created_at=timezone.now() - timedelta(hours=1))

        response = self.client.get(RECENT, headers=HTMX)

        assert response.status_code == 286
        assert "hx-trigger" not in response.text

    def test_a_plain_get_is_a_200_and_a_post_is_refused(self):
        assert self.client.get(RECENT).status_code == 200
        assert self.client.post(RECENT).status_code == 405


class ChartTests(TestCase):
    def test_bars_are_scaled_to_the_largest_value(self):
        commits, locked = charts(RESULT["variants"])

        assert [bar.width for bar in commits.bars] == [2, 60, 240]
        assert [bar.value for bar in locked.bars] == ["1,500", "90,000", "0"]
        assert commits.height == 3 * 28 + 4

    def test_nothing_to_scale_draws_empty_bars(self):
        [commits, locked] = charts([variant("production", "Production", 0, 0)])

        assert commits.bars[0].width == 0
        assert locked.bars[0].width == 0

    def test_unknown_variant_names_never_become_class_names(self):
        [commits, _] = charts([variant('x" onclick="y', "Odd", 1, 0)])

        assert commits.bars[0].css_class == "lab-bar"

    def test_rows_are_formatted(self):
        [row] = result_rows([variant("production", "Production", 24000, 0, p99_ms=None)])

        assert row["commits"] == "24,000"
        assert row["commits_per_second"] == "12,000"
        assert row["p99_ms"] == "–"
        assert row["lock_error_rate"] == "0%"
