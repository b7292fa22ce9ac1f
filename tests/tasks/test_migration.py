"""The django-tasks to django.tasks migration how-to: its settings, code, page and claims.

On Django 5.2 a fresh project runs the "before" settings and code; on 6.x the how-to's two diffs,
as the page quotes them, are applied to those and the result runs: a task is enqueued and run.
"""

from __future__ import annotations

import html
import json
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse

from django_six_demos import compat, conf
from django_six_demos.settings_code import settings_diff
from django_six_demos.tasks import migration
from tests.migration_pages import MigrationPageChecks, howto_block, run_settings
from tests.test_docs import DOCS, toctree_entries

HOWTO = DOCS / "howto" / "migrate-django-tasks.rst"

only_on_core = pytest.mark.skipif(not compat.HAS_BUILTIN_TASKS, reason="Django 6.0+: core tasks")
only_on_backport = pytest.mark.skipif(compat.HAS_BUILTIN_TASKS, reason="Django 5.2: django-tasks")


def quoted_diff(name: str) -> list[str]:
    """The lines of the how-to's diff block ``name``, as the page shows them."""
    lines = [line[3:] for line in howto_block(HOWTO, "code-block", name).content]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def apply_diff(before: str, diff: list[str]) -> str:
    """Apply a unified diff to ``before``, checking every line it removes or keeps.

    The page's blank context lines lose their leading space: an empty line is a blank one.
    """
    old = before.splitlines()
    new: list[str] = []
    at = 0
    for line in diff:
        if line.startswith(("--- ", "+++ ")):
            continue
        if hunk := re.match(r"@@ -(\d+)", line):
            start = int(hunk.group(1)) - 1
            new += old[at:start]
            at = start
            continue
        tag, text = (line[0], line[1:]) if line else (" ", "")
        if tag in " -":
            assert old[at] == text, f"line {at + 1}: {old[at]!r} is not {text!r}"
            at += 1
        if tag in " +":
            new.append(text)
    return "\n".join(new + old[at:]) + "\n"


def documented_after() -> tuple[str, str]:
    """The settings and the code for Django 6.x: the quoted diffs applied to the "before"."""
    return (
        apply_diff(migration.settings_code(core=False), quoted_diff("settings-diff")),
        apply_diff(migration.code_sample(core=False), quoted_diff("code-diff")),
    )


# -- The settings --------------------------------------------------------------------


def test_tasks_settings_for_the_backport():
    settings = migration.tasks_settings_for(core=False)

    assert settings["INSTALLED_APPS"] == ["django_tasks", "django_tasks_db"]
    assert settings["TASKS"]["default"] == conf.tasks_setting()["default"]
    assert settings["TASKS"]["immediate"] == {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": [],
    }


def test_tasks_settings_for_core():
    settings = migration.tasks_settings_for(core=True)

    assert settings["INSTALLED_APPS"] == ["django_tasks_db"]
    assert settings["TASKS"]["default"] == conf.tasks_setting()["default"]
    assert settings["TASKS"]["immediate"] == {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": [],
    }


def test_the_database_backend_is_the_same_on_both():
    backport, core = (migration.tasks_settings_for(core=c)["TASKS"] for c in (False, True))

    assert (
        backport["default"]["BACKEND"]
        == core["default"]["BACKEND"]
        == "django_tasks_db.DatabaseBackend"
    )


def test_this_lines_settings_are_what_the_site_runs():
    settings = migration.tasks_settings_for(core=compat.HAS_BUILTIN_TASKS)

    assert settings["TASKS"]["immediate"]["BACKEND"] == compat.IMMEDIATE_TASK_BACKEND
    assert set(settings["INSTALLED_APPS"]) <= set(conf.installed_apps())
    assert ("django_tasks" in conf.installed_apps()) is not compat.HAS_BUILTIN_TASKS


@pytest.mark.parametrize("core", [True, False])
def test_settings_code_is_python_holding_tasks_settings_for(core):
    settings = run_settings(migration.settings_code(core=core), INSTALLED_APPS=["notify"])
    expected = migration.tasks_settings_for(core=core)

    assert settings["INSTALLED_APPS"] == ["notify", *expected["INSTALLED_APPS"]]
    assert settings["TASKS"] == expected["TASKS"]


# -- The how-to's diffs, applied, give the core side ----------------------------------------


def test_howto_shows_the_generated_settings_diff():
    diff = settings_diff(
        migration.settings_code(core=False), migration.settings_code(core=True), migration.LABELS
    )

    assert quoted_diff("settings-diff") == [line.text.rstrip() for line in diff]


def test_howto_shows_the_generated_code_diff():
    generated = [line.text.rstrip() for line in migration.code_diff()]
    while not generated[-1]:  # A code block drops its trailing blank lines.
        generated.pop()

    assert quoted_diff("code-diff") == generated


def test_applying_the_howtos_diffs_gives_the_core_settings_and_code():
    settings, code = documented_after()

    assert settings == migration.settings_code(core=True)
    assert code == migration.code_sample(core=True)
    assert "django_tasks." not in settings
    assert "django_tasks " not in code


def test_apply_diff_refuses_a_diff_of_other_lines():
    with pytest.raises(AssertionError, match="is not"):
        apply_diff("a\nb\n", ["@@ -1,1 +1,1 @@", "-x", "+y"])


def test_howto_is_in_the_howto_toctree():
    assert "migrate-django-tasks" in toctree_entries(DOCS / "howto" / "index.rst")


# -- The steps, executed in a fresh project -------------------------------------------------

PROJECT_SETTINGS = """\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "migration-test"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
INSTALLED_APPS = ["notify"]
"""

ENQUEUE = """\
import json, sys
import django
django.setup()
from notify import tasks

immediate = tasks.add.using(backend="immediate").enqueue(2, 3)
queued = tasks.add.enqueue(20, 3)
print(json.dumps({
    "immediate": [immediate.status, immediate.return_value],
    "heard": tasks.FINISHED,
    "queued": [queued.id, queued.status],
    "unknown queue accepted": tasks.queue_accepted("nope"),
    "emails queue accepted": tasks.queue_accepted("emails"),
    "unknown result": tasks.status_of("00000000-0000-0000-0000-000000000000"),
    "task class": type(tasks.add).__module__,
    "backport imported": "django_tasks" in sys.modules,
}))
"""

RESULT = """\
import json, sys
import django
django.setup()
from notify import tasks

result = tasks.add.get_result(sys.argv[1])
print(json.dumps([result.status, result.return_value, tasks.status_of(sys.argv[1])]))
"""


def run(project: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-W", "error", *args],
        cwd=project,
        env={"DJANGO_SETTINGS_MODULE": "project_settings", "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_the_documented_steps_run_a_task_on_this_line(tmp_path):
    """5.2: the "before" project; 6.x: the before with the how-to's diffs applied."""
    if compat.HAS_BUILTIN_TASKS:
        settings, code = documented_after()
    else:
        settings, code = migration.settings_code(core=False), migration.code_sample(core=False)
    (tmp_path / "project_settings.py").write_text(PROJECT_SETTINGS + settings)
    (tmp_path / "notify").mkdir()
    (tmp_path / "notify" / "__init__.py").write_text("")
    (tmp_path / "notify" / "tasks.py").write_text(code)

    assert "no issues" in run(tmp_path, "-m", "django", "check")
    run(tmp_path, "-m", "django", "migrate", "-v", "0")
    enqueued = json.loads(run(tmp_path, "-c", ENQUEUE))
    worker = ["db_worker", "--batch", "--no-reload", "--no-startup-delay"]
    run(tmp_path, "-m", "django", *worker, "--queue-name", "emails", "-v", "0")
    result = json.loads(run(tmp_path, "-c", RESULT, enqueued["queued"][0]))

    assert enqueued["immediate"] == ["SUCCESSFUL", 5]
    assert enqueued["heard"] == ["SUCCESSFUL"]
    assert enqueued["queued"][1] == "READY"
    assert enqueued["unknown queue accepted"] is False
    assert enqueued["emails queue accepted"] is True
    assert enqueued["unknown result"] == "unknown"
    assert result == ["SUCCESSFUL", 23, "SUCCESSFUL"]
    if compat.HAS_BUILTIN_TASKS:
        assert enqueued["task class"] == "django.tasks.base"
        assert enqueued["backport imported"] is False
    else:
        assert enqueued["task class"] == "django_tasks.base"


@only_on_core
@pytest.mark.slow
def test_core_task_result_is_not_generic_at_run_time_by_itself():
    code = "from django.tasks import TaskResult\nTaskResult[int]"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )

    assert "TypeError: type 'TaskResult' is not subscriptable" in done.stderr


# -- The page ---------------------------------------------------------------------------


class MigratePageTests(MigrationPageChecks, TestCase):
    url = reverse("django_six_demos_tasks:migrate")
    room_url_name = "django_six_demos_tasks:index"
    feature = "tasks"
    labels = migration.LABELS
    on_core = compat.HAS_BUILTIN_TASKS
    howto = HOWTO
    howto_table = "tasks-changes"
    before = migration.settings_code(core=False)
    after = migration.settings_code(core=True)

    def test_shows_both_settings_blocks_highlighted_and_their_diff(self):
        # This page shows two diffs: the settings', then the code's.
        page = self.get()

        before, after = self.column(page, "before"), self.column(page, "after")
        assert self.labels[0] in before
        assert self.labels[1] in after
        shown = re.findall(r'<span class="(diff-[a-z]+)">(.*?)</span>', page)
        diffs = [*settings_diff(self.before, self.after, self.labels), *migration.code_diff()]
        assert shown == [(line.css, html.escape(line.text)) for line in diffs]

    def test_columns_hold_each_stacks_settings(self):
        page = self.get()

        before, after = self.column(page, "before"), self.column(page, "after")
        assert "django_tasks.backends.immediate.ImmediateBackend" in before
        assert "django.tasks.backends.immediate.ImmediateBackend" in after
        assert "django_tasks_db.DatabaseBackend" in before
        assert "django_tasks_db.DatabaseBackend" in after

    def test_the_tasks_room_is_reachable_from_here(self):
        assert reverse("django_six_demos_tasks:index") in self.get()


# -- The table of changes is true on this line --------------------------------------------


def lowest(a: int, b: int) -> int:
    return min(a, b)


def exceptions_module() -> Any:
    import importlib

    return importlib.import_module(f"{compat.TASKS_PACKAGE}.exceptions")


class NamesTests(SimpleTestCase):
    def test_renamed_exceptions(self):
        exceptions = exceptions_module()
        names = migration.RENAMED.values() if compat.HAS_BUILTIN_TASKS else migration.RENAMED
        others = migration.RENAMED if compat.HAS_BUILTIN_TASKS else migration.RENAMED.values()

        assert all(hasattr(exceptions, name) for name in names)
        assert not any(hasattr(exceptions, name) for name in others)

    def test_unchanged_exceptions_and_the_backend_error_is_improperly_configured(self):
        from django.core.exceptions import ImproperlyConfigured

        exceptions = exceptions_module()
        backend_error = (
            "InvalidTaskBackend" if compat.HAS_BUILTIN_TASKS else "InvalidTaskBackendError"
        )

        assert issubclass(getattr(exceptions, backend_error), ImproperlyConfigured)
        assert exceptions.TaskResultDoesNotExist and exceptions.TaskResultMismatch
        assert issubclass(compat.InvalidTask, Exception)

    def test_task_result_is_generic_at_run_time_once_django_tasks_db_is_imported(self):
        import django_tasks_db  # noqa: F401  (it calls django_stubs_ext.monkeypatch())

        assert compat.TaskResult[int]  # type: ignore[misc]

    @override_settings(TASKS={"default": {"BACKEND": compat.IMMEDIATE_TASK_BACKEND}})
    def test_the_logger_and_the_signals_follow_the_module(self):
        import importlib

        signals = importlib.import_module(f"{compat.TASKS_PACKAGE}.signals")
        heard: list[str] = []

        def receiver(sender: Any, task_result: Any, **kwargs: Any) -> None:
            heard.append(task_result.status)

        signals.task_finished.connect(receiver)
        try:
            with self.assertLogs(compat.TASKS_PACKAGE, logging.INFO) as logs:
                compat.task(lowest).enqueue(2, 1)
        finally:
            signals.task_finished.disconnect(receiver)

        assert heard == ["SUCCESSFUL"]
        assert any("state=SUCCESSFUL" in line for line in logs.output)
