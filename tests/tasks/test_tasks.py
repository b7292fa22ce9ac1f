from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from typing import Any, cast
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, transaction
from django.test import SimpleTestCase, TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from django_six_demos import compat, conf
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.tasks import reaper
from django_six_demos.tasks.caps import MAX_TOTAL_DELAY
from django_six_demos.tasks.models import ScheduleExport
from django_six_demos.tasks.tasks import (
    CONFERENCE_START,
    CSV_HEADER,
    DERIVED_EMAIL_DOMAIN,
    MAX_DELAY_MS,
    PROGRESS_EVERY,
    Slot,
    build_schedule_export,
    fail_on_demand,
    ics_fold,
    ics_text,
    report_attempt,
    schedule,
    schedule_csv,
    schedule_ics,
    send_acceptance_emails,
    speaker_email,
)
from tests.tasks.backends import (
    ON_RQ,
    get_result,
    invalid_task_errors,
    run_worker,
    stored_ids,
    tasks_backend,
)

User = get_user_model()

DUMMY = {"default": {"BACKEND": compat.DUMMY_TASK_BACKEND, "QUEUES": list(conf.TASK_QUEUES)}}
IMMEDIATE = {
    "default": {"BACKEND": compat.IMMEDIATE_TASK_BACKEND, "QUEUES": list(conf.TASK_QUEUES)}
}


def talk(pk, title, *, track="web", duration=30, speaker=None, **fields):
    """An unsaved talk: enough for the schedule and the file writers."""
    speaker = speaker or Speaker(name="Ada Lovelace", slug="ada")
    return Talk(
        pk=pk,
        title=title,
        slug=f"talk-{pk}",
        speaker=speaker,
        track=track,
        level="beginner",
        duration=duration,
        abstract=fields.pop("abstract", "An abstract."),
        **fields,
    )


def make_conference() -> tuple[Speaker, Speaker, list[Talk]]:
    """Two speakers (one linked to a user with an email), accepted and other talks."""
    ada_user = User.objects.create_user("ada", email="ada@example.com")
    ada = Speaker.objects.create(name="Ada Lovelace", slug="ada", user=ada_user)
    grace = Speaker.objects.create(name="Grace Hopper", slug="grace")
    talks: list[Talk] = []
    for number in range(1, 24):
        talks.append(
            Talk.objects.create(
                title=f"Talk {number:02d}",
                slug=f"talk-{number:02d}",
                speaker=ada if number % 2 else grace,
                abstract="Background tasks, in practice.",
                track="web" if number % 3 else "data",
                level="intermediate",
                status="accepted" if number <= 21 else "rejected",
                duration=25,
            )
        )
    return ada, grace, talks


class ScheduleTests(SimpleTestCase):
    def test_each_track_gets_a_room_and_talks_run_back_to_back(self):
        slots = schedule([talk(1, "B"), talk(2, "A"), talk(3, "C", track="security")])

        # In start order, then by room.
        [security, first, second] = slots
        assert (first.talk.title, first.room) == ("A", "Web & htmx")
        assert first.start == CONFERENCE_START
        assert first.end == CONFERENCE_START + timedelta(minutes=30)
        assert (security.talk.title, security.room) == ("C", "Security")
        assert security.start == CONFERENCE_START
        # Ten minutes' changeover between two talks in one room.
        assert second.start == first.end + timedelta(minutes=10)

    def test_a_talk_that_would_end_after_the_day_moves_to_the_next_morning(self):
        talks = [talk(n, f"Talk {n}", duration=180) for n in range(1, 4)]

        starts = [slot.start for slot in schedule(talks)]

        assert starts[0] == CONFERENCE_START
        assert starts[1] == CONFERENCE_START + timedelta(minutes=190)
        # 9:00 + 2 x (180 + 10) minutes ends at 18:20, after 17:30.
        assert starts[2] == CONFERENCE_START + timedelta(days=1)

    def test_csv_has_a_header_and_one_row_per_talk(self):
        slots = schedule([talk(1, 'Quotes "and", commas'), talk(2, "Line\nbreak")])
        calls: list[int] = []

        content = schedule_csv(slots, on_slot=calls.append)

        rows = list(csv.reader(io.StringIO(content)))
        assert rows[0] == list(CSV_HEADER)
        assert rows[1] == [
            "2026-10-05",
            "09:00",
            "09:30",
            "Web & htmx",
            "Line\nbreak",
            "Ada Lovelace",
            "Beginner",
        ]
        assert rows[2][4] == 'Quotes "and", commas'
        assert calls == [1, 2]

    def test_csv_cells_that_spreadsheets_would_run_as_formulas_are_quoted(self):
        titles = ["=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "Plain"]
        slots = schedule([talk(n, title) for n, title in enumerate(titles, start=1)])

        rows = list(csv.reader(io.StringIO(schedule_csv(slots))))

        assert sorted(row[4] for row in rows[1:]) == [
            "'+1",
            "'-1",
            "'=HYPERLINK(1)",
            "'@SUM(A1)",
            "Plain",
        ]

    def test_ics_text_escapes_backslashes_semicolons_commas_and_newlines(self):
        assert ics_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"

    def test_ics_fold_keeps_lines_within_75_octets_and_unfolds_to_the_original(self):
        line = "DESCRIPTION:" + "é" * 40 + "x" * 100

        folded = ics_fold(line)

        parts = folded.split("\r\n")
        assert len(parts) > 1
        assert all(len(part.encode()) <= 75 for part in parts)
        assert all(part.startswith(" ") for part in parts[1:])
        # Unfolding (RFC 5545: drop each CRLF and the space after it) restores it.
        assert folded.replace("\r\n ", "") == line

    def test_short_lines_are_not_folded(self):
        assert ics_fold("SUMMARY:Short") == "SUMMARY:Short"

    def test_ics_has_one_event_per_talk_with_utc_times(self):
        slots = schedule([talk(1, "Tasks; queues, workers", abstract="x" * 300), talk(2, "B")])
        stamp = datetime(2026, 9, 1, 12, 0, tzinfo=dt_timezone.utc)

        content = schedule_ics(slots, stamp=stamp)

        assert content.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
        assert content.endswith("END:VCALENDAR\r\n")
        assert content.count("BEGIN:VEVENT") == 2
        assert "DTSTART:20261005T090000Z\r\nDTEND:20261005T093000Z" in content
        assert "DTSTAMP:20260901T120000Z" in content
        assert "SUMMARY:Tasks\\; queues\\, workers" in content
        assert "UID:talk-1@django-six-demos.example" in content
        lines = content.split("\r\n")
        assert all(len(line.encode()) <= 75 for line in lines)
        # Every line ends in CRLF: no bare newline anywhere.
        assert "\n" not in content.replace("\r\n", "")

    def test_the_writers_work_on_an_empty_schedule(self):
        assert schedule([]) == []
        assert schedule_csv([]).count("\r\n") == 1
        content = schedule_ics([], stamp=CONFERENCE_START)
        assert "VEVENT" not in content

    def test_slots_are_named_tuples(self):
        [slot] = schedule([talk(1, "A")])

        assert isinstance(slot, Slot)
        assert slot._fields == ("talk", "room", "start", "end")


class SpeakerEmailTests(TestCase):
    def test_a_linked_user_with_an_address_gets_it(self):
        user = User.objects.create_user("ada", email="ada@example.com")

        assert speaker_email(Speaker(name="Ada", slug="ada", user=user)) == "ada@example.com"

    def test_others_get_a_derived_address_under_a_reserved_domain(self):
        user = User.objects.create_user("grace")

        assert speaker_email(Speaker(name="Grace", slug="grace", user=user)) == (
            f"grace@{DERIVED_EMAIL_DOMAIN}"
        )
        assert speaker_email(Speaker(name="Kay", slug="kay")) == "kay@speakers.example"


@override_settings(TASKS=DUMMY)
class EnqueueTests(TestCase):
    def setUp(self):
        self.dummy = tasks_backend(send_acceptance_emails)
        self.dummy.clear()

    def test_each_task_goes_to_its_queue(self):
        results: list[compat.TaskResult[..., Any]] = [
            send_acceptance_emails.enqueue(travel_grant="250.00"),
            build_schedule_export.enqueue(1, delay_ms=0),
            fail_on_demand.enqueue("boom"),
            report_attempt.enqueue(),
        ]

        assert [r.task.queue_name for r in results] == ["emails", "exports", "default", "default"]
        assert all(r.status == compat.TaskResultStatus.READY for r in results)
        assert self.dummy.results == results

    def test_every_queue_the_tasks_use_is_in_the_tasks_setting(self):
        queues = {t.queue_name for t in (send_acceptance_emails, build_schedule_export)}

        assert queues <= set(conf.TASK_QUEUES)
        assert conf.tasks_setting()["default"]["QUEUES"] == list(conf.TASK_QUEUES)

    def test_non_json_arguments_fail_at_enqueue_and_nothing_is_stored(self):
        for value in (Decimal("12.50"), {"web", "data"}, datetime.now(tz=dt_timezone.utc)):
            with pytest.raises(TypeError, match="Unsupported type"):
                # Untyped callers: values the annotations (str) refuse.
                send_acceptance_emails.enqueue(travel_grant=cast(str, value))
        with pytest.raises(ValueError, match="Unsupported value"):
            fail_on_demand.enqueue(cast(str, b"\xff"))

        assert self.dummy.results == []

    def test_only_the_export_is_marked_idempotent(self):
        assert reaper.is_idempotent(build_schedule_export.module_path)
        for other in (send_acceptance_emails, fail_on_demand, report_attempt):
            assert not reaper.is_idempotent(other.module_path)

    @pytest.mark.skipif(not compat.HAS_BUILTIN_TASKS, reason="Django 6.0+")
    @pytest.mark.skipif(ON_RQ, reason="django-tasks-rq makes backport tasks (test_rq.py)")
    def test_tasks_are_djangos_own_on_django_6(self):
        from django.tasks import Task

        assert isinstance(send_acceptance_emails, Task)
        assert compat.TASKS_PACKAGE == "django.tasks"

    @pytest.mark.skipif(compat.HAS_BUILTIN_TASKS, reason="Django < 6.0")
    def test_tasks_come_from_the_backport_on_django_52(self):
        from django_tasks.base import Task

        assert isinstance(send_acceptance_emails, Task)
        assert compat.TASKS_PACKAGE == "django_tasks"


class StoredEnqueueTests(TestCase):
    """The configured backend (django-tasks-db, or RQ) stores nothing it refuses."""

    def test_non_json_arguments_store_nothing(self):
        with pytest.raises(TypeError):
            send_acceptance_emails.enqueue(travel_grant=cast(str, Decimal("1")))

        assert stored_ids() == set()

    def test_an_unknown_queue_is_refused_and_stores_nothing(self):
        with pytest.raises(invalid_task_errors()):
            fail_on_demand.using(queue_name="nowhere").enqueue("boom")

        assert stored_ids() == set()


@override_settings(TASKS=IMMEDIATE)
class ImmediateTests(TestCase):
    def test_the_context_task_sees_its_own_result_and_attempt(self):
        result = report_attempt.enqueue()

        assert result.status == compat.TaskResultStatus.SUCCESSFUL
        assert result.return_value == {
            "attempt": 1,
            "result_id": result.id,
            "worker_id": result.worker_ids[0],
        }

    def test_the_failing_task_fails_with_its_class_and_message(self):
        result = fail_on_demand.enqueue("on purpose")

        assert result.status == compat.TaskResultStatus.FAILED
        [error] = result.errors
        assert error.exception_class_path == "django_six_demos.tasks.tasks.DemoFailure"
        assert "DemoFailure: on purpose" in error.traceback


class WorkerTests(TestCase):
    """The real path: the backend stores the task, its worker runs it.

    django-tasks-db and ``db_worker --batch``, or RQ and a burst ``rqworker``.
    """

    ada: Speaker
    grace: Speaker
    talks: list[Talk]

    @classmethod
    def setUpTestData(cls):
        cls.ada, cls.grace, cls.talks = make_conference()

    def test_acceptance_emails_go_to_each_speaker_with_accepted_talks(self):
        result = send_acceptance_emails.enqueue(travel_grant="250.00")

        run_worker()

        result.refresh()
        assert result.status == compat.TaskResultStatus.SUCCESSFUL
        assert result.return_value == {
            "emails": 2,
            "talks": 21,
            "derived_addresses": 1,
            "travel_grant": "250.00",
        }
        assert sorted(m.to[0] for m in mail.outbox) == [
            "ada@example.com",
            f"grace@{DERIVED_EMAIL_DOMAIN}",
        ]
        [to_ada] = [m for m in mail.outbox if m.to == ["ada@example.com"]]
        assert to_ada.subject == "Your 11 talks are accepted"
        assert "  - Talk 01 (Web & htmx, 25 minutes)" in to_ada.body
        assert "Talk 23" not in to_ada.body  # rejected
        assert "travel grant of EUR 250.00" in to_ada.body

    def test_one_speakers_email_goes_to_that_speaker_alone(self):
        result = send_acceptance_emails.enqueue(speaker_id=self.grace.pk)

        run_worker()

        result.refresh()
        assert result.return_value["emails"] == 1
        assert result.return_value["talks"] == 10
        [email] = mail.outbox
        assert email.to == [f"grace@{DERIVED_EMAIL_DOMAIN}"]

    def test_no_travel_grant_no_mention(self):
        send_acceptance_emails.enqueue()

        run_worker()

        assert len(mail.outbox) == 2
        assert all("travel grant" not in m.body for m in mail.outbox)

    def test_the_export_writes_its_file_progress_and_result_id(self):
        export = ScheduleExport.objects.create(format="csv")
        result = build_schedule_export.enqueue(export.pk)

        run_worker()

        result.refresh()
        assert result.status == compat.TaskResultStatus.SUCCESSFUL
        export.refresh_from_db()
        assert str(export.result_id) == result.id
        assert (export.done, export.total) == (21, 21)
        assert export.is_ready
        rows = list(csv.reader(io.StringIO(export.content)))
        assert len(rows) == 1 + 21
        assert result.return_value == {
            "export_id": export.pk,
            "format": "csv",
            "talks": 21,
            "bytes": len(export.content.encode()),
            "filename": "conference-schedule.csv",
        }

    def test_the_ics_export_holds_an_event_per_accepted_talk(self):
        export = ScheduleExport.objects.create(format="ics")
        build_schedule_export.enqueue(export.pk)

        run_worker()

        export.refresh_from_db()
        assert export.content.count("BEGIN:VEVENT") == 21
        assert export.filename == "conference-schedule.ics"

    def test_the_export_reports_progress_every_few_talks(self):
        export = ScheduleExport.objects.create(format="csv")
        build_schedule_export.enqueue(export.pk)

        with CaptureQueriesContext(connection) as queries:
            run_worker()

        progress = [
            q["sql"]
            for q in queries
            if q["sql"].startswith('UPDATE "django_six_demos_tasks_scheduleexport" SET "done"')
        ]
        # 21 talks: after the 10th and the 20th (the last count comes with the content).
        assert len(progress) == 21 // PROGRESS_EVERY == 2

    def test_an_export_run_again_starts_over(self):
        export = ScheduleExport.objects.create(format="csv")
        first = build_schedule_export.enqueue(export.pk)
        run_worker()
        again = build_schedule_export.enqueue(export.pk)
        run_worker()

        export.refresh_from_db()
        assert str(export.result_id) == again.id != first.id
        assert len(list(csv.reader(io.StringIO(export.content)))) == 22

    def test_the_slow_export_pauses_at_most_max_total_delay_in_all(self):
        cap = MAX_TOTAL_DELAY.total_seconds()
        # 21 talks: 50 ms each stays under the cap; 1 s each would not.
        for delay_ms, expected in ((50, 0.05), (MAX_DELAY_MS, cap / 21)):
            export = ScheduleExport.objects.create(format="csv")
            build_schedule_export.enqueue(export.pk, delay_ms=delay_ms)

            with mock.patch("django_six_demos.tasks.tasks.time.sleep") as sleep:
                run_worker()

            pauses = [call.args[0] for call in sleep.call_args_list]
            assert len(pauses) == 21
            assert pauses == pytest.approx([expected] * 21)
            assert sum(pauses) <= cap + 1e-9
            export.refresh_from_db()
            assert export.is_ready

    def test_an_export_pruned_before_it_ran_fails_clearly(self):
        export = ScheduleExport.objects.create(format="csv")
        export_id = export.pk
        result = build_schedule_export.enqueue(export_id)
        export.delete()

        run_worker()

        result.refresh()
        assert result.status == compat.TaskResultStatus.FAILED
        assert result.errors[0].exception_class_path == "builtins.ValueError"
        assert f"Schedule export {export_id} no longer exists" in result.errors[0].traceback

    def test_an_out_of_range_delay_fails_the_export(self):
        export = ScheduleExport.objects.create(format="csv")
        result = build_schedule_export.enqueue(export.pk, delay_ms=60_000)

        run_worker()

        result.refresh()
        assert result.status == compat.TaskResultStatus.FAILED
        assert result.errors[0].exception_class_path == "builtins.ValueError"

    def test_the_failing_task_is_failed_with_its_traceback(self):
        result = fail_on_demand.enqueue("failed on purpose")

        run_worker()

        result.refresh()
        assert result.status == compat.TaskResultStatus.FAILED
        assert result.attempts == 1
        [error] = result.errors
        assert error.exception_class_path == "django_six_demos.tasks.tasks.DemoFailure"
        assert "raise DemoFailure(message)" in error.traceback
        assert error.traceback.rstrip().endswith("DemoFailure: failed on purpose")

    def test_the_context_task_reports_its_attempt_and_worker(self):
        result = report_attempt.enqueue()

        run_worker()

        result.refresh()
        assert result.return_value == {
            "attempt": 1,
            "result_id": result.id,
            "worker_id": result.worker_ids[0],
        }


class OnCommitTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_conference()

    def test_the_task_is_enqueued_only_at_commit_and_the_worker_sees_the_row(self):
        with self.captureOnCommitCallbacks() as callbacks:
            with transaction.atomic():
                export = ScheduleExport.objects.create(format="csv")
                transaction.on_commit(lambda: build_schedule_export.enqueue(export.pk))
            # Until the transaction commits, there is nothing for a worker to run.
            assert stored_ids() == set()

        [enqueue] = callbacks
        enqueue()
        run_worker()

        [result_id] = stored_ids()
        assert get_result(result_id).status == compat.TaskResultStatus.SUCCESSFUL
        export.refresh_from_db()
        assert export.is_ready


class MailConnectionTests(SimpleTestCase):
    """compat.mail_connection(), which the emails task sends through."""

    @pytest.mark.skipif(not compat.HAS_MAILERS, reason="Django 6.1+")
    def test_it_is_the_default_mailer_on_django_61(self):
        from django.core.mail import mailers

        assert type(compat.mail_connection()) is type(mailers.default)
        # django-stubs takes BaseEmailBackend(alias=...) but does not declare the attribute.
        assert compat.mail_connection().alias == "default"  # type: ignore[attr-defined]

    @pytest.mark.skipif(compat.HAS_MAILERS, reason="Django < 6.1")
    def test_it_is_get_connection_before_django_61(self):
        from django.core.mail import get_connection

        assert type(compat.mail_connection()) is type(get_connection())

    def test_it_sends_several_messages(self):
        messages = [
            mail.EmailMessage("One", "Body", to=["a@example.com"]),
            mail.EmailMessage("Two", "Body", to=["b@example.com"]),
        ]

        assert compat.mail_connection().send_messages(messages) == 2
        assert [m.subject for m in mail.outbox] == ["One", "Two"]
