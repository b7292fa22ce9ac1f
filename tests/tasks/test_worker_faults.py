"""Worker faults with real processes: SIGKILL, SIGTERM, an unknown task path, a reaping start.

Every process runs the example project (``manage.py``) on one SQLite file in a
temporary ``EXAMPLE_DATA_DIR``, with the repository root on ``PYTHONPATH`` so
that ``tests.tasks.fault_tasks`` (queue "default") can be enqueued and run.
The test reads rows straight from that file with ``sqlite3``. Every wait is
bounded; each worker starts in its own session and its process group is
killed in ``finally``.
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
from pathlib import Path
from typing import Any

import pytest

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


def child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ENV_VARS}
    env["DJANGO_SETTINGS_MODULE"] = "example.settings.development"
    env["EXAMPLE_DATA_DIR"] = str(data_dir)
    # The repository root, for the `tests` package (fault_tasks).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def manage(data_dir: Path, *args: str, **extra_env: str) -> str:
    result = subprocess.run(
        [sys.executable, str(MANAGE_PY), *args],
        cwd=data_dir,
        env=child_env(data_dir, **extra_env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def shell(data_dir: Path, code: str, **extra_env: str) -> list[str]:
    return manage(data_dir, "shell", "-v", "0", "-c", code, **extra_env).split()


def enqueue(data_dir: Path, *calls: tuple[str, list[Any], dict[str, Any]]) -> list[str]:
    return shell(data_dir, ENQUEUE, FAULT_CALLS=json.dumps(calls))


def fetch(data_dir: Path, task_id: str) -> dict[str, Any]:
    """The task's row, read from the SQLite file the processes share."""
    with contextlib.closing(sqlite3.connect(data_dir / "db.sqlite3", timeout=20)) as db:
        db.row_factory = sqlite3.Row
        # Django stores UUIDs on SQLite as 32 hex digits.
        row = db.execute(f"SELECT * FROM {TABLE} WHERE id = ?", (uuid.UUID(task_id).hex,))
        found = row.fetchone()
    assert found is not None, task_id
    return dict(found)


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
def worker(data_dir: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """Start ``manage.py <args>`` in its own session; kill its group on the way out."""
    with (data_dir / "worker.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(MANAGE_PY), *args],
            cwd=data_dir,
            env=child_env(data_dir),
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


def worker_log(data_dir: Path) -> str:
    return (data_dir / "worker.log").read_text()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database, made once: each test copies it."""
    data_dir = tmp_path_factory.mktemp("migrated")
    manage(data_dir, "migrate", "-v", "0")
    return data_dir


@pytest.fixture
def data_dir(tmp_path: Path, migrated: Path) -> Path:
    for path in migrated.glob("db.sqlite3*"):  # with any WAL file
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


# -- SIGKILL, then the reaper ---------------------------------------------------------


def test_sigkilled_task_stays_running_until_the_reaper_fails_it(data_dir):
    progress = data_dir / "progress.txt"
    (task_id,) = enqueue(data_dir, ("slow", [str(progress)], {"steps": 100, "step": 0.1}))

    with worker(data_dir, "db_worker", *WORKER) as process:
        wait_for(started(progress), "the task to start", process)
        os.killpg(process.pid, signal.SIGKILL)
        assert process.wait(timeout=TIMEOUT) == -signal.SIGKILL

    assert fetch(data_dir, task_id)["status"] == "RUNNING"  # nothing else would ever change it

    output = manage(data_dir, "demos_reap_tasks", "--older-than", "0")

    assert f"Failed {task_id} tests.tasks.fault_tasks.slow (worker lost)" in output
    assert "not re-enqueued: not marked @idempotent" in output
    row = fetch(data_dir, task_id)
    assert row["status"] == "FAILED"
    assert row["finished_at"] is not None
    assert row["exception_class_path"] == WORKER_LOST
    assert "worker lost" in row["traceback"]
    assert "done" not in progress.read_text()


def test_sigkilled_idempotent_task_is_failed_and_runs_again_as_a_new_task(data_dir):
    progress = data_dir / "progress.txt"
    (task_id,) = enqueue(data_dir, ("idempotent_slow", [str(progress)], {"steps": 10, "step": 0.1}))

    with worker(data_dir, "demos_worker", "--no-reap", *WORKER) as process:
        wait_for(started(progress), "the task to start", process)
        os.killpg(process.pid, signal.SIGKILL)
        assert process.wait(timeout=TIMEOUT) == -signal.SIGKILL

    output = manage(data_dir, "demos_reap_tasks", "--older-than", "0")

    match = re.search(rf"Failed {task_id} \S+ \(worker lost\); re-enqueued as ([0-9a-f-]+)", output)
    assert match, output
    new_id = match[1]
    row = fetch(data_dir, task_id)
    assert row["status"] == "FAILED"
    assert row["exception_class_path"] == WORKER_LOST
    assert f"re-enqueued as {new_id}" in row["traceback"]
    new = fetch(data_dir, new_id)
    assert new["status"] == "READY"
    assert json.loads(new["args_kwargs"]) == {
        "args": [str(progress)],
        "kwargs": {"steps": 10, "step": 0.1},
    }

    manage(data_dir, "db_worker", "--batch", "--no-reload", "--no-startup-delay")

    new = fetch(data_dir, new_id)
    assert new["status"] == "SUCCESSFUL"
    assert json.loads(new["return_value"]) == 10
    # The lost run's first steps, then the whole second run.
    assert progress.read_text().count("step 0\n") == 2
    assert progress.read_text().endswith("step 9\ndone\n")


# -- SIGTERM ------------------------------------------------------------------------


def test_sigterm_lets_the_running_task_finish_and_the_worker_exit_0(data_dir):
    progress = data_dir / "progress.txt"
    (task_id,) = enqueue(data_dir, ("slow", [str(progress)], {"steps": 10, "step": 0.1}))

    with worker(data_dir, "demos_worker", *WORKER) as process:
        wait_for(started(progress), "the task to start", process)
        assert "done" not in progress.read_text()
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=TIMEOUT) == 0, worker_log(data_dir)

    row = fetch(data_dir, task_id)
    assert row["status"] == "SUCCESSFUL"
    assert json.loads(row["return_value"]) == 10
    assert progress.read_text().endswith("step 9\ndone\n")
    assert "shutting down gracefully" in worker_log(data_dir)


# -- An unknown task path -------------------------------------------------------------


def test_unknown_task_path_is_failed_and_the_next_task_still_runs(data_dir):
    unknown_id, quick_id = shell(data_dir, UNKNOWN_THEN_QUICK)

    manage(data_dir, "db_worker", "--batch", "--no-reload", "--no-startup-delay")

    unknown = fetch(data_dir, unknown_id)
    assert unknown["status"] == "FAILED"
    assert unknown["exception_class_path"] == "builtins.ImportError"
    assert "gone" in unknown["traceback"]
    quick = fetch(data_dir, quick_id)
    assert quick["status"] == "SUCCESSFUL"
    assert json.loads(quick["return_value"]) == 42


# -- A worker that reaps when it starts ------------------------------------------------


def test_worker_reaps_a_stale_task_at_start_then_runs_the_queue(data_dir):
    progress = data_dir / "progress.txt"
    stale_id, quick_id = shell(data_dir, STALE_THEN_QUICK.format(progress=progress))

    output = manage(
        data_dir,
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
    assert fetch(data_dir, stale_id)["status"] == "FAILED"
    assert fetch(data_dir, match[1])["status"] == "SUCCESSFUL"  # the copy ran in this batch
    assert progress.read_text() == "done\n"
    quick = fetch(data_dir, quick_id)
    assert quick["status"] == "SUCCESSFUL"
    assert json.loads(quick["return_value"]) == 42
    # The reaper ran before the worker started.
    assert output.index("Reaped 1 lost task") < output.index("Starting worker")
