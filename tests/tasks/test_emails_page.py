"""The tasks room says where the acceptance emails went and, in development, lists them.

Also what the room tells a visitor to run (``demos_worker``) and where it sends them to sign in.
"""

from __future__ import annotations

import importlib
import re
import sys
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from django_six_demos import accounts, compat
from django_six_demos.conference.models import Speaker
from django_six_demos.tasks.outbox import FILE_BACKEND
from django_six_demos.tasks.tasks import fail_on_demand, report_attempt
from tests.tasks.backends import run_worker, tasks_db_only
from tests.tasks.test_outbox import use_file_mailer
from tests.tasks.test_tasks import make_conference

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "example_project"
INDEX_URL = reverse("django_six_demos_tasks:index")
EMAILS_URL = reverse("django_six_demos_tasks:enqueue-emails")
WORKER_COMMAND = "python manage.py demos_worker"
# The three columns of a listed message: to, subject (with the body), sent.
ROW = re.compile(
    r"<tr>\s*<td[^>]*>(?P<to>[^<]*)</td>\s*<td[^>]*>\s*<details>\s*<summary>(?P<subject>[^<]*)</summary>"
    r"\s*<pre class=\"email-body\"[^>]*>(?P<body>[^<]*)</pre>\s*</details>\s*</td>\s*"
    r"<td[^>]*>(?:<span class=\"value\">)?(?P<sent>[^<]*)(?:</span>)?</td>",
)

User = get_user_model()


def status_url(result_id: str) -> str:
    return reverse("django_six_demos_tasks:status", args=[result_id])


def listed(text: str) -> list[dict[str, str]]:
    return [match.groupdict() for match in ROW.finditer(text)]


def test_development_keeps_mail_in_files_in_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("EXAMPLE_DATA_DIR", str(tmp_path))
    monkeypatch.syspath_prepend(str(EXAMPLE_DIR))
    before = set(sys.modules)
    try:
        development = importlib.import_module("example.settings.development")
        expected = compat.mail_settings(FILE_BACKEND, file_path=tmp_path / "sent-emails")
        assert {name: getattr(development, name) for name in expected} == expected
        assert not hasattr(development, "EMAIL_BACKEND" if compat.HAS_MAILERS else "MAILERS")
    finally:
        for name in set(sys.modules) - before:
            if name == "example" or name.startswith("example."):
                del sys.modules[name]


class SentEmailsPageTests(TestCase):
    def setUp(self):
        self.directory = use_file_mailer(self)
        self.ada, self.grace, _ = make_conference()
        self.staff = User.objects.create_user("staff", email="staff@example.com", is_staff=True)

    def send_as_staff(self) -> str:
        """Staff send the batch with a grant; the worker runs it. Return the task's id."""
        self.client.force_login(self.staff)
        response = self.client.post(EMAILS_URL, {"travel_grant": "99.50", "arguments": "json"})
        assert response.status_code == 302, response.status_code
        run_worker()
        return response["Location"].removeprefix(INDEX_URL).strip("/")

    def test_staff_see_every_email_the_worker_sent_newest_first(self):
        self.send_as_staff()

        text = self.client.get(INDEX_URL).text

        assert '<h2 id="sent-emails-title">Where the emails went</h2>' in text
        assert f"<code>{FILE_BACKEND}</code>" in text
        assert "file-based backend keeps them, a .log per batch</span>." in text
        assert f'In <code class="mailer-directory">{self.directory}</code>.' in text
        rows = listed(text)
        # One connection, Ada's message first: the last one written is the newest.
        assert [(row["to"], row["subject"]) for row in rows] == [
            ("grace@speakers.example", "Your 10 talks are accepted"),
            ("ada@example.com", "Your 11 talks are accepted"),
        ]
        assert "travel grant of EUR 99.50" in rows[0]["body"]
        # Read from each message's Date header, shown in the current time zone.
        now = timezone.localtime()
        sent = {row["sent"] for row in rows}
        assert sent <= {
            (now - timedelta(seconds=s)).strftime("%Y-%m-%d %H:%M:%S %Z") for s in range(60)
        }, sent

    def test_what_a_speaker_wrote_in_their_name_is_shown_as_text(self):
        Speaker.objects.filter(pk=self.grace.pk).update(name="<script>alert('x')</script>")
        self.send_as_staff()

        text = self.client.get(INDEX_URL).text

        assert "<script>alert" not in text
        assert "Dear &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;," in text

    def test_a_speaker_reads_only_the_emails_sent_to_them(self):
        self.send_as_staff()
        assert self.ada.user is not None
        self.client.force_login(self.ada.user)

        text = self.client.get(INDEX_URL).text

        assert "Sent messages to you, newest first" in text
        assert [row["to"] for row in listed(text)] == ["ada@example.com"]
        assert "grace@speakers.example" not in text

    def test_anyone_else_learns_where_the_emails_went_but_reads_none(self):
        self.send_as_staff()
        self.client.logout()
        visitor = User.objects.create_user("visitor", email="visitor@example.com")

        for user in (None, visitor):
            with self.subTest(user=user):
                if user is not None:
                    self.client.force_login(user)
                text = self.client.get(INDEX_URL).text

                assert "file-based backend keeps them, a .log per batch</span>." in text
                # The directory names the server's files: staff only.
                assert str(self.directory) not in text
                assert "Staff read every message here, a speaker the ones sent to them." in text
                assert listed(text) == []
                assert "ada@example.com" not in text

    def test_before_any_email_the_list_says_so(self):
        self.client.force_login(self.staff)

        text = self.client.get(INDEX_URL).text

        assert list(self.directory.iterdir()) == []
        assert "No emails yet: send them above" in text

    def test_with_another_mailer_the_page_names_it_and_lists_nothing(self):
        self.client.force_login(self.staff)
        cases = {
            "console": "console: printed by the worker, in the terminal it runs in",
            "smtp": "SMTP: sent to your mail server",
        }
        for name, where in cases.items():
            backend = f"django.core.mail.backends.{name}.EmailBackend"
            options = {"host": "localhost"} if name == "smtp" else {}
            with self.subTest(name), override_settings(**compat.mail_settings(backend, **options)):
                text = self.client.get(INDEX_URL).text

                assert f"<code>{backend}</code>" in text
                assert f'<span class="mailer-where">{where}</span>.' in text
                assert 'class="talks sent-emails"' not in text

    def test_the_emails_status_page_says_where_they_went_and_links_to_the_list(self):
        result_id = self.send_as_staff()

        text = self.client.get(status_url(result_id)).text

        assert "SUCCESSFUL" in text
        assert f'<p class="mailer">\n        Sent through <code>{FILE_BACKEND}</code>' in text
        assert f'<a href="{INDEX_URL}#sent-emails">See the sent emails</a>' in text
        assert 'id="sent-emails"' in self.client.get(INDEX_URL).text

    def test_other_tasks_status_pages_say_nothing_about_mail(self):
        result = report_attempt.enqueue()
        run_worker()

        text = self.client.get(status_url(result.id)).text

        assert "SUCCESSFUL" in text
        assert '<p class="mailer">' not in text


@tasks_db_only("The db_worker command the room names")
class WorkerCommandTests(TestCase):
    def test_the_room_names_demos_worker(self):
        text = self.client.get(INDEX_URL).text

        assert f"<code>{WORKER_COMMAND}</code>" in text
        assert "db_worker --queue-name" not in text

    def test_the_stalled_queue_warning_names_demos_worker(self):
        result = report_attempt.enqueue()
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(pk=result.id).update(
            enqueued_at=timezone.now() - timedelta(minutes=2)
        )

        text = self.client.get(INDEX_URL, headers={"HX-Request": "true"}).text

        assert f"is a worker running? Start one with {WORKER_COMMAND}." in text

    def test_a_waiting_tasks_page_names_demos_worker(self):
        result = report_attempt.enqueue()

        text = self.client.get(status_url(result.id)).text

        assert f"None running? Start one: <code>{WORKER_COMMAND}</code>" in text


class SignInLinkTests(TestCase):
    def test_the_room_links_to_the_demos_own_sign_in_page_and_back(self):
        text = self.client.get(INDEX_URL).text

        link = accounts.sign_in_url(INDEX_URL)
        assert link.startswith(reverse("django_six_demos_sign_in") + "?next=")
        assert f'<a href="{link}">Sign in</a> to enqueue tasks' in text

    def test_a_failed_tasks_page_links_to_the_same_sign_in_page(self):
        result = fail_on_demand.enqueue("boom")
        run_worker()
        url = status_url(result.id)

        text = self.client.get(url).text

        assert f'<a href="{accounts.sign_in_url(url)}">Sign in</a> as staff.' in text
