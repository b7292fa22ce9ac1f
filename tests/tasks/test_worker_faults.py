"""Worker faults with real processes: SIGKILL, SIGTERM, an unknown task path, a reaping start.

Every process runs the example project (``manage.py``) with a temporary
``EXAMPLE_DATA_DIR``, with the repository root on ``PYTHONPATH`` so that
``tests.tasks.fault_tasks`` (queue "default") can be enqueued and run. The
site's database is the suite's vendor: one SQLite file in that directory, or,
when the suite runs on PostgreSQL (``DATABASE_URL``), a database of its own on
that server, given to the processes as ``DATABASE_URL``. Each test starts from
a copy of one migrated site (the file copied, or ``CREATE DATABASE ...
TEMPLATE``). The test reads rows straight from the database (``sqlite3`` or
psycopg). Every wait is bounded; each worker starts in its own session and
its process group is killed in ``finally``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests import databases
from tests.tasks.backends import tasks_db_only

pytestmark = [pytest.mark.slow, tasks_db_only("db_worker's behaviour on faults (SIGKILL, SIGTERM)")]

ROOT = Path(__file__).resolve().parent.parent.parent
MANAGE_PY = ROOT / "example_project" / "manage.py"
TABLE = "django_tasks_database_dbtaskresult"
WORKER_LOST = "django_six_demos.tasks.reaper.WorkerLost"
TIMEOUT = 60.0
# The project's variables that must not leak in from the environment of the test run.
ENV_VARS = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "REDIS_URL",
    "EXAMPLE_DATA_DIR",
    "EXAMPLE_STATIC_ROOT",
)
WORKER = ["--no-reload", "--no-startup-delay", "--interval", "0.1"]

# Enqueue [task name, args, kwargs] calls from FAULT_CALLS; print each id.
ENQUEUE = """
import json, os
from tests.tasks import fault_tasks
for name, args, kwargs in json.loads(os.environ["FAULT_CALLS"]):
    print(getattr(fault_tasks, name).enqueue(*args, **kwargs).id)
"""

# A row whose task path no longer exists, then a quick task.
UNKNOWN_THEN_QUICK = """
from django_tasks_db.models import DBTaskResult
from tests.tasks import fault_tasks
unknown = fault_tasks.quick.enqueue(1)
DBTaskResult.objects.filter(id=unknown.id).update(task_path="tests.tasks.fault_tasks.gone")
print(unknown.id)
print(fault_tasks.quick.enqueue(21).id)
"""

# A task a crashed worker left RUNNING five minutes ago, then a quick task.
STALE_THEN_QUICK = """
from datetime import timedelta
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from tests.tasks import fault_tasks
stale = fault_tasks.idempotent_slow.enqueue("{progress}", steps=0)
DBTaskResult.objects.filter(id=stale.id).update(
    status="RUNNING", started_at=timezone.now() - timedelta(minutes=5), worker_ids=["crashed"]
)
print(stale.id)
print(fault_tasks.quick.enqueue(21).id)
"""


# -- Helpers -----------------------------------------------------------------------

# The site's database follows the suite's: SQLite, or PostgreSQL (DATABASE_URL).
ON_POSTGRESQL = connection.vendor == "postgresql"
# Columns that SQLite stores as JSON text (PostgreSQL's jsonb reads back as values).
JSON_COLUMNS = ("args_kwargs", "return_value", "worker_ids")


@dataclass(frozen=True)
class Site:
    """A copy of the migrated example site: its directory, and its database.

    ``database`` is None on SQLite (the file ``db.sqlite3`` in ``dir``), else
    the name of the site's own database on the suite's PostgreSQL server.
    """

    dir: Path
    database: str | None = None


def child_env(site: Site, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ENV_VARS}
    env["DJANGO_SETTINGS_MODULE"] = "example.settings.development"
    env["EXAMPLE_DATA_DIR"] = str(site.dir)
    if site.database is not None:
        env["DATABASE_URL"] = databases.database_url(site.database)
    # The repository root, for the `tests` package (fault_tasks).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def manage(site: Site, *args: str, **extra_env: str) -> str:
    result = subprocess.run(
        [sys.executable, str(MANAGE_PY), *args],
        cwd=site.dir,
        env=child_env(site, **extra_env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def shell(site: Site, code: str, **extra_env: str) -> list[str]:
    return manage(site, "shell", "-v", "0", "-c", code, **extra_env).split()


def enqueue(site: Site, *calls: tuple[str, list[Any], dict[str, Any]]) -> list[str]:
    return shell(site, ENQUEUE, FAULT_CALLS=json.dumps(calls))


def fetch(site: Site, task_id: str) -> dict[str, Any]:
    """The task's row, read from the database the processes share; JSON decoded."""
    if site.database is not None:
        with databases.connect(site.database) as db:
            found = db.execute(
                f"SELECT * FROM {TABLE} WHERE id = %s", (uuid.UUID(task_id),)
            ).fetchone()
        assert found is not None, task_id
        return dict(found)
    with contextlib.closing(sqlite3.connect(site.dir / "db.sqlite3", timeout=20)) as db:
        db.row_factory = sqlite3.Row
        # Django stores UUIDs on SQLite as 32 hex digits.
        row = db.execute(f"SELECT * FROM {TABLE} WHERE id = ?", (uuid.UUID(task_id).hex,))
        found = row.fetchone()
    assert found is not None, task_id
    values = dict(found)
    for column in JSON_COLUMNS:
        if values[column] is not None:
            values[column] = json.loads(values[column])
    return values


def wait_for(
    condition: Callable[[], bool], what: str, process: subprocess.Popen[str] | None = None
) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the worker exited ({process.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextlib.contextmanager
def worker(site: Site, *args: str) -> Iterator[subprocess.Popen[str]]:
    """Start ``manage.py <args>`` in its own session; kill its group on the way out."""
    with (site.dir / "worker.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(MANAGE_PY), *args],
            cwd=site.dir,
            env=child_env(site),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=TIMEOUT)


def started(progress: Path) -> Callable[[], bool]:
    return lambda: progress.exists() and progress.read_text().startswith("step 0")


def worker_log(site: Site) -> str:
    return (site.dir / "worker.log").read_text()


def _database_name(role: str) -> str:
    # Beside the suite's test database (test_<NAME>), never the database NAME itself.
    return f"test_{connection.settings_dict['NAME']}_faults_{role}"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A migrated site, made once: each test copies it."""
    directory = tmp_path_factory.mktemp("migrated")
    if not ON_POSTGRESQL:
        manage(Site(directory), "migrate", "-v", "0")
        yield Site(directory)
        return
    name = _database_name("template")
    databases.create_database(name)
    manage(Site(directory, name), "migrate", "-v", "0")
    yield Site(directory, name)
    databases.drop_database(name)


@pytest.fixture
def site(tmp_path: Path, migrated: Site) -> Iterator[Site]:
    if migrated.database is not None:
        name = _database_name("site")
        databases.create_database(name, template=migrated.database)
        yield Site(tmp_path, name)
        databases.drop_database(name)
        return
    for path in migrated.dir.glob("db.sqlite3*"):  # with any WAL file
        shutil.copy(path, tmp_path / path.name)
    yield Site(tmp_path)


# -- SIGKILL, then the reaper ---------------------------------------------------------


def test_sigkilled_task_stays_running_until_the_reaper_fails_it(site):
    progress = site.dir / "progress.txt"
    (task_id,) = enqueue(site, ("slow", [str(progress)], {"steps": 100, "step": 0.1}))

    with worker(site, "db_worker", *WORKER) as process:
        wait_for(started(progress), "the task to start", process)
        os.killpg(process.pid, signal.SIGKILL)
        assert process.wait(timeout=TIMEOUT) == -signal.SIGKILL

    assert fetch(site, task_id)["status"] == "RUNNING"  # nothing else would ever change it

    output = manage(site, "demos_reap_tasks", "--older-than", "0")

    assert f"Failed {task_id} tests.tasks.fault_tasks.slow (worker lost)" in output
    assert "not re-enqueued: not marked @idempotent" in output
    row = fetch(site, task_id)
    assert row["status"] == "FAILED"
    assert row["finished_at"] is not None
    assert row["exception_class_path"] == WORKER_LOST
    assert "worker lost" in row["traceback"]
    assert "done" not in progress.read_text()


def test_sigkilled_idempotent_task_is_failed_and_runs_again_as_a_new_task(site):
    progress = site.dir / "progress.txt"
    (task_id,) = enqueue(site, ("idempotent_slow", [str(progress)], {"steps": 10, "step": 0.1}))

    with worker(site, "demos_worker", "--no-reap", *WORKER) as process:
        wait_for(started(progress), "the task to start", process)
        os.killpg(process.pid, signal.SIGKILL)
        assert process.wait(timeout=TIMEOUT) == -signal.SIGKILL

    output = manage(site, "demos_reap_tasks", "--older-than", "0")

    match = re.search(rf"Failed {task_id} \S+ \(worker lost\); re-enqueued as ([0-9a-f-]+)", output)
    assert match, output
    new_id = match[1]
    row = fetch(site, task_id)
    assert row["status"] == "FAILED"
    assert row["exception_class_path"] == WORKER_LOST
    assert f"re-enqueued as {new_id}" in row["traceback"]
    new = fetch(site, new_id)
    assert new["status"] == "READY"
    assert new["args_kwargs"] == {
        "args": [str(progress)],
        "kwargs": {"steps": 10, "step": 0.1},
    }

    manage(site, "db_worker", "--batch", "--no-reload", "--no-startup-delay")

    new = fetch(site, new_id)
    assert new["status"] == "SUCCESSFUL"
    assert new["return_value"] == 10
    # The lost run's first steps, then the whole second run.
    assert progress.read_text().count("step 0\n") == 2
    assert progress.read_text().endswith("step 9\ndone\n")


# -- SIGTERM ------------------------------------------------------------------------


def test_sigterm_lets_the_running_task_finish_and_the_worker_exit_0(site):
    progress = site.dir / "progress.txt"
    (task_id,) = enqueue(site, ("slow", [str(progress)], {"steps": 10, "step": 0.1}))

    with worker(site, "demos_worker", *WORKER) as process:
        wait_for(started(progress), "the task to start", process)
        assert "done" not in progress.read_text()
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=TIMEOUT) == 0, worker_log(site)

    row = fetch(site, task_id)
    assert row["status"] == "SUCCESSFUL"
    assert row["return_value"] == 10
    assert progress.read_text().endswith("step 9\ndone\n")
    assert "shutting down gracefully" in worker_log(site)


# -- An unknown task path -------------------------------------------------------------


def test_unknown_task_path_is_failed_and_the_next_task_still_runs(site):
    unknown_id, quick_id = shell(site, UNKNOWN_THEN_QUICK)

    manage(site, "db_worker", "--batch", "--no-reload", "--no-startup-delay")

    unknown = fetch(site, unknown_id)
    assert unknown["status"] == "FAILED"
    assert unknown["exception_class_path"] == "builtins.ImportError"
    assert "gone" in unknown["traceback"]
    quick = fetch(site, quick_id)
    assert quick["status"] == "SUCCESSFUL"
    assert quick["return_value"] == 42


# -- A worker that reaps when it starts ------------------------------------------------


def test_worker_reaps_a_stale_task_at_start_then_runs_the_queue(site):
    progress = site.dir / "progress.txt"
    stale_id, quick_id = shell(site, STALE_THEN_QUICK.format(progress=progress))

    output = manage(
        site,
        "demos_worker",
        "--reap-older-than",
        "0",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
    )

    match = re.search(
        rf"Failed {stale_id} \S+ \(worker lost\); re-enqueued as ([0-9a-f-]+)", output
    )
    assert match, output
    assert fetch(site, stale_id)["status"] == "FAILED"
    assert fetch(site, match[1])["status"] == "SUCCESSFUL"  # the copy ran in this batch
    assert progress.read_text() == "done\n"
    quick = fetch(site, quick_id)
    assert quick["status"] == "SUCCESSFUL"
    assert quick["return_value"] == 42
    # The reaper ran before the worker started.
    assert output.index("Reaped 1 lost task") < output.index("Starting worker")
