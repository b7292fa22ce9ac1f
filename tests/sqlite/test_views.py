from __future__ import annotations

import dataclasses
import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from django.db import connections
from django.db.utils import ConnectionHandler
from django.template.loader import render_to_string
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from django_six_demos import compat
from django_six_demos.sqlite.database import sqlite_database
from django_six_demos.sqlite.models import ContentionRun
from django_six_demos.sqlite.views import LAB, charts, result_rows
from tests.databases import postgres_only
from tests.sqlite.utils import default_database

INDEX = reverse("django_six_demos_sqlite:index")
LAB_URL = reverse("django_six_demos_sqlite:lab")
START = reverse("django_six_demos_sqlite:lab-start")
HTMX = {"HX-Request": "true"}
DUMMY = {"default": {"BACKEND": compat.DUMMY_TASK_BACKEND, "QUEUES": []}}


def live_cell(html: str, name: str) -> str:
    row = re.search(rf'<tr id="setting-{name}">(.*?)</tr>', html, re.DOTALL)
    assert row is not None, name
    cell = re.search(r'<td class="(verdict-\w+)">\s*([^<]*?)\s*<', row[1])
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

    def test_a_misconfigured_database_shows_each_difference(self):
        bare = {"ENGINE": "django.db.backends.sqlite3", "NAME": self.directory / "bare.sqlite3"}
        with default_database(bare):
            response = self.client.get(INDEX)

        assert live_cell(response.text, "journal_mode") == "DELETE [verdict-bad]"
        assert live_cell(response.text, "transaction_mode") == "DEFERRED [verdict-bad]"
        assert "9 settings differ from the recommendation" in response.text

    def test_explains_every_setting_with_djangos_default_and_ours(self):
        response = self.client.get(INDEX)

        for setting in response.context["rows"]:
            assert f'<tr id="setting-{setting.setting.name}">' in response.text
            assert escape(setting.setting.why) in response.text
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
    def test_shows_the_form_and_what_each_variant_is(self):
        response = self.client.get(LAB_URL)

        assert response.status_code == 200
        assert f'action="{START}"' in response.text
        assert 'name="csrfmiddlewaretoken"' in response.text
        assert "rollback journal, synchronous=FULL, deferred transactions" in response.text
        assert "IMMEDIATE transactions, timeout 20 s" in response.text

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
        compat.default_task_backend.clear()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(START, {"writers": "2", "readers": "0", "seconds": "1"})

        run = ContentionRun.objects.get()
        assert response["Location"] == reverse("django_six_demos_sqlite:run", args=[run.pk])
        [result] = compat.default_task_backend.results
        assert result.args == [run.pk]
        assert self.client.get(response["Location"]).status_code == 200


@override_settings(TASKS=DUMMY)
class StartRunTests(TestCase):
    def setUp(self):
        compat.default_task_backend.clear()

    def test_enqueues_a_bounded_run_once_the_row_is_committed(self):
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            response = self.client.post(START, {"writers": "8", "readers": "1", "seconds": "3"})

        run = ContentionRun.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("django_six_demos_sqlite:run", args=[run.pk])
        assert (run.writers, run.readers, run.seconds, run.status) == (8, 1, 3.0, "queued")
        assert len(callbacks) == 1
        [result] = compat.default_task_backend.results
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
        assert compat.default_task_backend.results == []

    def test_needs_the_csrf_token(self):
        client = Client(enforce_csrf_checks=True)

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
        assert compat.default_task_backend.results == []

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

        compat.default_task_backend.clear()
        run = ContentionRun.objects.create(writers=4, seconds=2, status="running")
        result = run_contention_lab.enqueue(run.pk)
        ContentionRun.objects.filter(pk=run.pk).update(task_id=result.id)
        backend = compat.default_task_backend
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
