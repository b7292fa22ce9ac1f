"""``demos_worker`` serves every queue by default: the acceptance emails (queue ``emails``) run."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import load_command_class
from django.test import TestCase

from django_six_demos import compat, conf
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.tasks.tasks import send_acceptance_emails
from tests.tasks import fault_tasks
from tests.tasks.backends import tasks_db_only
from tests.tasks.test_reaper import run_worker


@tasks_db_only("demos_worker (db_worker after the reaper)")
class DemosWorkerQueueTests(TestCase):
    def setUp(self):
        user = get_user_model().objects.create_user("ada", email="ada@example.com")
        speaker = Speaker.objects.create(name="Ada Lovelace", slug="ada", user=user)
        Talk.objects.create(
            title="Tasks in practice",
            slug="tasks-in-practice",
            speaker=speaker,
            abstract="Background tasks, in practice.",
            track="web",
            level="intermediate",
            status="accepted",
            duration=25,
        )

    def test_the_acceptance_emails_run_with_the_commands_defaults(self):
        result = send_acceptance_emails.enqueue()
        assert result.task.queue_name == "emails"

        # No --queue-name: only what a test needs to stop (batch) and stay in process.
        run_worker(self, "demos_worker")

        result.refresh()
        assert result.status == compat.TaskResultStatus.SUCCESSFUL
        assert result.return_value["emails"] == 1
        assert [message.to for message in mail.outbox] == [["ada@example.com"]]

    def test_a_task_on_each_demo_queue_runs(self):
        results = {
            queue: fault_tasks.quick.using(queue_name=queue).enqueue(index)
            for index, queue in enumerate(conf.TASK_QUEUES)
        }

        run_worker(self, "demos_worker")

        for queue, result in results.items():
            result.refresh()
            assert result.status == compat.TaskResultStatus.SUCCESSFUL, queue

    def test_an_explicit_queue_name_still_wins(self):
        emails = send_acceptance_emails.enqueue()
        default = fault_tasks.quick.enqueue(21)

        run_worker(self, "demos_worker", queue_name="default")

        emails.refresh()
        default.refresh()
        assert default.status == compat.TaskResultStatus.SUCCESSFUL
        assert emails.status == compat.TaskResultStatus.READY
        assert mail.outbox == []

    def test_the_help_says_every_queue_is_the_default(self):
        parser = load_command_class("django_six_demos.tasks", "demos_worker").create_parser(
            "manage.py", "demos_worker"
        )

        assert "(default: '*')" in " ".join(parser.format_help().split())
