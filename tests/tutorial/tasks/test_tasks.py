"""Chapter 3's plain-Django task runs: enqueued, run by db_worker, its result read back.

On Django 5.2 the same file runs with the one change the chapter names: the import
comes from the django-tasks backport (``django_tasks``) instead of ``django.tasks``.
"""

from __future__ import annotations

import ast
import importlib
import signal
import sys
import types
from pathlib import Path

from django.core import mail
from django.core.management import call_command
from django.test import SimpleTestCase, TestCase, override_settings

from django_six_demos import compat
from tests.tutorial.tasks import settings as tutorial_settings

TASKS_FILE = Path(__file__).with_name("tasks.py")
TASKS_MODULE = "tests.tutorial.tasks.tasks"
CORE_IMPORT = "from django.tasks import task"
BACKPORT_IMPORT = "from django_tasks import task"


def tutorial_tasks() -> types.ModuleType:
    """The chapter's ``tasks.py``: as written on Django 6.x, with the backport's import on 5.2."""
    if compat.HAS_BUILTIN_TASKS:
        return importlib.import_module(TASKS_MODULE)
    if (module := sys.modules.get(TASKS_MODULE)) is not None:
        return module
    source = TASKS_FILE.read_text(encoding="utf-8").replace(CORE_IMPORT, BACKPORT_IMPORT)
    module = types.ModuleType(TASKS_MODULE)
    module.__file__ = str(TASKS_FILE)
    # Registered before it runs, as an import would be: the worker finds the task by its path.
    sys.modules[TASKS_MODULE] = module
    exec(compile(source, str(TASKS_FILE), "exec"), module.__dict__)
    return module


send_welcome = tutorial_tasks().send_welcome


class OnDjango52Tests(SimpleTestCase):
    def test_only_the_import_line_names_the_tasks_package(self):
        source = TASKS_FILE.read_text(encoding="utf-8")
        imported = [
            node.module
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom) and node.module != "__future__"
        ]

        assert source.count(CORE_IMPORT) == 1
        assert imported == ["django.core.mail", "django.tasks"]


class TaskTests(SimpleTestCase):
    def test_a_task_is_enqueued_not_called(self):
        with self.assertRaises(TypeError):
            send_welcome("ada@example.com")

        assert mail.outbox == []

    def test_call_runs_the_function_here_and_now(self):
        assert send_welcome.call("ada@example.com") == 1

        assert [message.to for message in mail.outbox] == [["ada@example.com"]]


@override_settings(TASKS={"default": {"BACKEND": compat.IMMEDIATE_TASK_BACKEND}})
class ImmediateBackendTests(SimpleTestCase):
    def test_enqueue_runs_the_task_at_once_in_the_request(self):
        result = send_welcome.enqueue("grace@example.com")

        assert result.status == "SUCCESSFUL"
        assert result.return_value == 1
        assert [message.to for message in mail.outbox] == [["grace@example.com"]]

    def test_arguments_that_are_not_json_are_refused_at_enqueue(self):
        with self.assertRaises(TypeError):
            send_welcome.enqueue({"not", "json"})

        assert mail.outbox == []


@override_settings(TASKS=tutorial_settings.TASKS)
class DatabaseBackendTests(TestCase):
    def setUp(self):
        # db_worker installs its own SIGINT and SIGTERM handlers: put ours back.
        for signum in (signal.SIGINT, signal.SIGTERM):
            self.addCleanup(signal.signal, signum, signal.getsignal(signum))

    def test_the_worker_runs_the_enqueued_task_and_the_result_says_so(self):
        # [lifecycle]
        result = send_welcome.enqueue("ada@example.com")
        assert result.status == "READY"  # Stored in the database; nothing has run yet.
        assert mail.outbox == []

        # What `python manage.py db_worker --batch` does: run what waits, then stop.
        call_command("db_worker", batch=True, startup_delay=False, verbosity=0)

        result.refresh()
        assert result.status == "SUCCESSFUL"
        assert result.return_value == 1
        # Another process that knows only the id asks the task for its result:
        assert send_welcome.get_result(result.id).return_value == 1
        # [/lifecycle]
        assert [message.to for message in mail.outbox] == [["ada@example.com"]]

    def test_the_settings_snippet_lists_the_backends_app(self):
        assert tutorial_settings.INSTALLED_APPS == ["django_tasks_db"]
        assert tutorial_settings.TASKS["default"]["BACKEND"] == compat.DATABASE_TASK_BACKEND
