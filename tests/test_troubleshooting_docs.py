"""docs/howto/troubleshooting.rst: the messages it quotes are what the code prints.

Also the fix it shows for "database is locked", run here, and the URLs and defaults it names.
"""

from __future__ import annotations

import inspect
import socket
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management.base import CommandError
from django.core.management.commands import runserver
from django.db import connections
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from django_six_demos import checks, compat
from django_six_demos.demo import check_requirements
from django_six_demos.sqlite.checks import check_sqlite_settings
from django_six_demos.tasks.management.commands import demos_worker
from django_six_demos.tasks.views import STALL_AFTER, worker_warning
from tests.migration_pages import howto_block
from tests.test_docs import DOCS, read

PAGE = DOCS / "howto" / "troubleshooting.rst"
EXAMPLE_DIR = DOCS.parent / "example_project"


def quoted(name: str) -> list[str]:
    """The lines of the page's code block ``name``, as a terminal shows them."""
    lines = [line[3:] for line in howto_block(PAGE, "code-block", name).content]
    return [line for line in lines if line.strip()]


def printed(message: Any) -> list[str]:
    """A check message as ``manage.py check`` prints it (a tab before the hint)."""
    return str(message).expandtabs(8).splitlines()


def settings_with_the_fix(BASE_DIR: Path) -> dict[str, Any]:
    # [database-is-locked]
    from django_six_demos.sqlite.database import sqlite_database

    DATABASES = {"default": sqlite_database(BASE_DIR)}
    # [/database-is-locked]
    return DATABASES


def test_e001_is_quoted_as_django_5_2_prints_it():
    # Django 5.2 with no backport installed, on any line.
    missing = {backport.module: None for backport in compat.BACKPORTS}
    with (
        mock.patch.object(compat, "required_backports", return_value=compat.BACKPORTS),
        mock.patch.object(compat, "DJANGO_LINE", "5.2"),
        mock.patch.dict(sys.modules, missing),
    ):
        [message] = checks.check_backports(None)

    assert quoted("e001") == printed(message)


def test_e020_is_quoted_as_the_check_prints_it_for_the_api_room():
    missing = {"rest_framework": None, "ninja": None, "msgspec": None}
    with mock.patch.dict(sys.modules, missing):
        messages = check_requirements(None)

    assert quoted("e020") == [line for message in messages for line in printed(message)]


def test_w010_is_quoted_as_the_check_prints_it():
    plain = {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3", "OPTIONS": {}}
    with mock.patch.dict(connections.settings, {"default": plain}):
        [message] = check_sqlite_settings(None)

    assert quoted("w010") == printed(message)


def test_the_fix_for_database_is_locked_silences_w010(tmp_path):
    fixed = settings_with_the_fix(tmp_path)
    with mock.patch.dict(connections.settings, fixed):
        assert check_sqlite_settings(None) == []
    assert fixed["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in fixed["default"]["OPTIONS"]["init_command"]


def test_the_worker_warning_is_quoted_as_the_dashboard_shows_it():
    now = timezone.now()
    warning = worker_warning(
        now=now,
        waiting=3,
        waiting_since=now - STALL_AFTER - timedelta(seconds=1),
        last_finished=None,
        running=0,
    )

    assert quoted("worker-warning") == [warning]


def test_the_demos_worker_serves_every_queue_by_default():
    parser = demos_worker.Command().create_parser("manage.py", "demos_worker")

    assert parser.parse_args([]).queue_name == "*"
    assert "python manage.py demos_worker" in read(PAGE)


@pytest.fixture
def example_importable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make the example project's package importable; forget its modules afterwards."""
    monkeypatch.syspath_prepend(str(EXAMPLE_DIR))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name == "example" or name.startswith("example."):
            del sys.modules[name]


@pytest.mark.usefixtures("example_importable")
def test_the_port_message_is_what_demo_prints():
    from example.management.commands.demo import check_port

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError) as raised:
            check_port("127.0.0.1", port)

    # The page shows port 8000 busy; the suggestion is the first free port after it.
    message = str(raised.value).replace(f"Port {port} ", "Port 8000 ")
    message, suggested = message.rsplit(" ", 1)
    assert int(suggested) > port
    assert quoted("port-in-use") == [f"CommandError: {message} 8001"]


def test_runserver_says_it_its_own_way():
    assert "``Error: That port is already in use.``" in read(PAGE)
    assert '"That port is already in use."' in inspect.getsource(runserver)


class UrlTests(TestCase):
    # tests/urls.py includes the demos under demos/, as the page's example does.
    def test_the_sign_in_page_is_under_the_mount_point(self):
        url = reverse("django_six_demos_sign_in")

        assert url == "/demos/sign-in/"
        assert f"``{url}``" in read(PAGE)
        assert self.client.get(url).status_code == 200

    def test_the_collector_urls_are_under_the_mount_point(self):
        text = read(PAGE)
        for name, shown in (("report", "csp/report/"), ("reports", "csp/reports/")):
            assert reverse(f"django_six_demos_csp:{name}") == f"/demos/{shown}"
            assert f"``{shown}``" in text
