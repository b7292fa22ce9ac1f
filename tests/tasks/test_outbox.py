"""The outbox: where the default mailer sends, and the messages Django's file-based backend kept."""

from __future__ import annotations

import tempfile
from datetime import datetime
from datetime import timezone as dt_timezone
from email.utils import format_datetime
from pathlib import Path
from unittest import mock

import pytest
from django.core.mail import EmailMessage
from django.test import SimpleTestCase, override_settings

from django_six_demos import compat
from django_six_demos.tasks import outbox
from django_six_demos.tasks.outbox import FILE_BACKEND, SentEmail, default_mailer, sent_emails

BACKENDS = "django.core.mail.backends"


def message(
    to: str, subject: str, body: str = "Hello.", *, sent: datetime | None = None
) -> EmailMessage:
    headers = {"Date": format_datetime(sent)} if sent is not None else {}
    return EmailMessage(subject=subject, body=body, to=[to], headers=headers)


def at(minute: int) -> datetime:
    return datetime(2026, 10, 5, 9, minute, tzinfo=dt_timezone.utc)


def use_file_mailer(test: SimpleTestCase) -> Path:
    """Make Django's file-based backend the default mailer for ``test``; return its directory."""
    scratch = tempfile.TemporaryDirectory(prefix="demos-outbox-")
    test.addCleanup(scratch.cleanup)
    directory = Path(scratch.name) / "sent-emails"
    mailer = override_settings(**compat.mail_settings(FILE_BACKEND, file_path=directory))
    mailer.enable()
    test.addCleanup(mailer.disable)
    return directory


class FileOutboxTestCase(SimpleTestCase):
    """The default mailer is Django's file-based backend, writing into a directory of its own."""

    def setUp(self):
        self.directory = use_file_mailer(self)

    def send(self, *messages: EmailMessage) -> None:
        """Send ``messages`` on one connection, as the emails task does: one .log file."""
        assert compat.mail_connection().send_messages(list(messages)) == len(messages)

    def log_files(self) -> list[Path]:
        return sorted(self.directory.glob("*.log"))


class MailSettingsTests(SimpleTestCase):
    def test_the_file_path_goes_where_this_django_line_reads_it(self):
        settings = compat.mail_settings(FILE_BACKEND, file_path=Path("/srv/mail"))

        if compat.HAS_MAILERS:
            backend = {"BACKEND": FILE_BACKEND, "OPTIONS": {"file_path": "/srv/mail"}}
            assert settings == {"MAILERS": {"default": backend}}
        else:
            assert settings == {"EMAIL_BACKEND": FILE_BACKEND, "EMAIL_FILE_PATH": "/srv/mail"}

    def test_other_options_too(self):
        settings = compat.mail_settings(f"{BACKENDS}.smtp.EmailBackend", host="mail", port=2525)

        if compat.HAS_MAILERS:
            assert settings["MAILERS"]["default"]["OPTIONS"] == {"host": "mail", "port": 2525}
        else:
            assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"]) == ("mail", 2525)

    def test_without_options_only_the_backend(self):
        backend = f"{BACKENDS}.locmem.EmailBackend"

        expected = {"MAILERS": {"default": {"BACKEND": backend}}}
        assert compat.mail_settings(backend) == (
            expected if compat.HAS_MAILERS else {"EMAIL_BACKEND": backend}
        )

    @pytest.mark.skipif(compat.HAS_MAILERS, reason="Django < 6.1: options become EMAIL_* settings")
    def test_an_option_with_no_email_setting_is_refused(self):
        with pytest.raises(TypeError, match="ssl_context"):
            compat.mail_settings(f"{BACKENDS}.smtp.EmailBackend", ssl_context=None)


class SentEmailsTests(FileOutboxTestCase):
    def test_messages_from_several_connections_are_listed_newest_first(self):
        self.send(message("ada@example.com", "First", sent=at(0)))
        self.send(
            message("grace@speakers.example", "Third", sent=at(2)),
            message("ada@example.com", "Second", sent=at(1)),
        )

        listed = sent_emails(self.directory)

        assert [(m.to, m.subject, m.sent_at) for m in listed] == [
            (("grace@speakers.example",), "Third", at(2)),
            (("ada@example.com",), "Second", at(1)),
            (("ada@example.com",), "First", at(0)),
        ]

    def test_one_connection_writes_one_file_with_a_line_of_dashes_after_each_message(self):
        self.send(*(message(f"speaker{n}@speakers.example", f"Talk {n}") for n in range(3)))

        [log] = self.log_files()
        data = log.read_bytes()
        assert data.count(b"\n" + b"-" * 79 + b"\n") == 3
        assert len(outbox.split_log(data)) == 3
        # Sent within one second, they keep the order they were written in, reversed.
        assert [m.subject for m in sent_emails(self.directory)] == ["Talk 2", "Talk 1", "Talk 0"]

    def test_a_message_keeps_its_recipients_subject_date_and_text(self):
        body = "Dear Ada,\n\nGood news: the programme committee accepted your talk.\nÇa marche ✓"
        self.send(
            EmailMessage(
                subject="Ihr Vortrag ist angenommen ✓",
                body=body,
                to=["ada@example.com", "Grace <grace@speakers.example>"],
                headers={"Date": format_datetime(at(5))},
            )
        )

        [sent] = sent_emails(self.directory)

        assert sent == SentEmail(
            to=("ada@example.com", "grace@speakers.example"),
            subject="Ihr Vortrag ist angenommen ✓",
            sent_at=at(5),
            body=body,
        )

    def test_a_message_without_a_date_gets_its_files_time(self):
        (self.directory).mkdir(parents=True)
        raw = b"To: ada@example.com\nSubject: Undated\n\nHi\n" + b"-" * 79 + b"\n"
        (self.directory / "20261005-090000-1.log").write_bytes(raw)

        [sent] = sent_emails(self.directory)

        assert sent.subject == "Undated"
        assert sent.sent_at.tzinfo is not None
        assert abs(sent.sent_at.timestamp() - self.log_files()[0].stat().st_mtime) < 1

    def test_the_listing_is_capped(self):
        self.send(*(message("ada@example.com", f"Talk {n}", sent=at(n)) for n in range(25)))

        listed = sent_emails(self.directory)

        assert len(listed) == outbox.MAX_LISTED == 20
        assert listed[0].subject == "Talk 24"
        assert [m.subject for m in sent_emails(self.directory, limit=2)] == ["Talk 24", "Talk 23"]

    def test_only_messages_to_an_address_when_asked(self):
        self.send(
            message("ada@example.com", "For Ada"),
            message("grace@speakers.example", "For Grace"),
        )

        listed = sent_emails(self.directory, addressed_to="Grace@speakers.example")

        assert [m.subject for m in listed] == ["For Grace"]

    def test_a_missing_or_empty_directory_lists_nothing(self):
        assert not self.directory.exists()
        assert sent_emails(self.directory) == []

        self.directory.mkdir(parents=True)
        (self.directory / "notes.txt").write_text("not a .log file")
        assert sent_emails(self.directory) == []

        not_a_directory = self.directory / "notes.txt"
        assert sent_emails(not_a_directory) == []

    def test_a_file_cut_off_at_the_read_limit_loses_only_its_incomplete_message(self):
        self.send(*(message("ada@example.com", f"Talk {n}") for n in range(3)))
        [log] = self.log_files()
        first_two = sum(len(chunk) for chunk in outbox.split_log(log.read_bytes())[:2])

        with mock.patch.object(outbox, "MAX_FILE_BYTES", first_two + 2 * 80 + 10):
            listed = sent_emails(self.directory)

        assert [m.subject for m in listed] == ["Talk 1", "Talk 0"]

    def test_a_file_that_is_not_mail_does_not_break_the_listing(self):
        self.send(message("ada@example.com", "Real", sent=at(1)))
        (self.directory / "garbage.log").write_bytes(b"\xff\xfe\x00binary\n" * 10)

        listed = sent_emails(self.directory)

        assert "Real" in [m.subject for m in listed]

    def test_long_bodies_are_shortened(self):
        self.send(message("ada@example.com", "Long", "x" * (outbox.MAX_BODY_CHARS + 100)))

        [sent] = sent_emails(self.directory)

        assert len(sent.body) == outbox.MAX_BODY_CHARS


class DefaultMailerTests(FileOutboxTestCase):
    def test_the_file_based_backend_names_its_directory(self):
        mailer = default_mailer()

        assert mailer.backend == FILE_BACKEND
        assert mailer.file_path == self.directory
        assert mailer.where == "files: Django's file-based backend keeps them, a .log per batch"

    def test_other_backends_say_where_the_mail_went_and_list_nothing(self):
        cases = {
            "smtp": "SMTP: sent to your mail server",
            "console": "console: printed by the worker, in the terminal it runs in",
            "locmem": "memory: kept in the sending process's mail.outbox, gone when it exits",
            "dummy": "dummy: thrown away",
        }
        for name, where in cases.items():
            backend = f"{BACKENDS}.{name}.EmailBackend"
            # MAILERS' SMTP backend needs its host (Django 6.1+).
            options = {"host": "localhost"} if name == "smtp" else {}
            with self.subTest(name), override_settings(**compat.mail_settings(backend, **options)):
                assert default_mailer() == outbox.Mailer(backend, where, None)

    def test_a_backend_that_cannot_be_imported_is_described_not_raised(self):
        with override_settings(**compat.mail_settings("no.such.EmailBackend")):
            mailer = default_mailer()

        assert mailer.backend == "not configured"
        assert mailer.file_path is None
        assert mailer.where.startswith("nowhere: ")
