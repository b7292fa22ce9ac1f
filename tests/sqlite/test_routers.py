"""The task queue in its own SQLite file: the router, and the real worker on it."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.test import SimpleTestCase
from django_tasks_db.models import DBTaskResult

from django_six_demos.conference.models import Talk
from django_six_demos.sqlite.routers import TaskQueueRouter
from tests.databases import sqlite_envs_only

ROOT = Path(__file__).resolve().parents[2]
MANAGE_PY = ROOT / "example_project" / "manage.py"


class TaskQueueRouterTests(SimpleTestCase):
    router = TaskQueueRouter()

    def test_sends_the_queue_to_the_tasks_database(self):
        assert self.router.db_for_read(DBTaskResult) == "tasks"
        assert self.router.db_for_write(DBTaskResult) == "tasks"

    def test_has_no_opinion_on_other_models(self):
        assert self.router.db_for_read(Talk) is None
        assert self.router.db_for_write(Talk) is None
        assert self.router.allow_relation(Talk(), Talk()) is None

    def test_migrates_the_queue_only_into_its_database(self):
        assert self.router.allow_migrate("tasks", "django_tasks_database") is True
        assert self.router.allow_migrate("default", "django_tasks_database") is False
        assert self.router.allow_migrate("tasks", "django_six_demos_conference") is False
        assert self.router.allow_migrate("default", "django_six_demos_conference") is None


def tables(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}


@pytest.mark.slow
@sqlite_envs_only("The example project's worker with its queue database (EXAMPLE_QUEUE_DB=1)")
class QueueDatabaseTests(SimpleTestCase):
    def test_the_example_projects_worker_runs_tasks_from_the_queue_database(self):
        """EXAMPLE_QUEUE_DB=1: migrate both files, enqueue, run db_worker, look in each file."""
        with tempfile.TemporaryDirectory() as directory:
            data = Path(directory)
            env = {
                key: value
                for key, value in os.environ.items()
                if key not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
            }
            env.update(
                EXAMPLE_DATA_DIR=str(data),
                EXAMPLE_QUEUE_DB="1",
                DJANGO_SETTINGS_MODULE="example.settings.development",
            )

            def manage(*args: str) -> str:
                result = subprocess.run(
                    [sys.executable, str(MANAGE_PY), *args],
                    cwd=data,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                assert result.returncode == 0, result.stdout + result.stderr
                return result.stdout

            manage("migrate", "--verbosity=0")
            manage("migrate", "--database=tasks", "--verbosity=0")
            task_id = manage(
                "shell",
                "--no-imports",
                "-c",
                "from example.tasks import count_talks; print(count_talks.enqueue().id)",
            ).split()[-1]
            manage("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--queue-name=*")

            assert "django_tasks_database_dbtaskresult" not in tables(data / "db.sqlite3")
            assert "django_six_demos_conference_talk" not in tables(data / "tasks.sqlite3")
            with contextlib.closing(sqlite3.connect(data / "tasks.sqlite3")) as queue:
                rows = queue.execute(
                    "SELECT id, status, return_value FROM django_tasks_database_dbtaskresult"
                ).fetchall()
            assert [(row[0].replace("-", ""), row[1], row[2]) for row in rows] == [
                (task_id.replace("-", ""), "SUCCESSFUL", "0")
            ]
