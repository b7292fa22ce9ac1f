"""Two worker processes share one PostgreSQL queue: 200 tasks, each run exactly once.

django-tasks-db claims a task with ``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several workers (on one machine or several) can poll the same
table: each takes a task the others have not locked. The test enqueues 200
tasks through the task API, starts two real ``demos_worker --batch``
processes of the example project with its production settings and
``DATABASE_URL`` pointing at the test database, and waits for both to exit.

Each run appends ``<number> <pid>`` to a log (``tests.tasks.pool_tasks``):
every number must be there exactly once (a task claimed twice would show
twice), and both processes must have run some, so the queue really was
shared. The results must agree: SUCCESSFUL, one attempt, by the worker whose
process logged the run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from django_six_demos import compat
from tests import databases
from tests.databases import postgres_only
from tests.tasks import pool_tasks

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent.parent
MANAGE_PY = ROOT / "example_project" / "manage.py"
TASKS = 200
WORKER_IDS = ("worker-a", "worker-b")
# Generous, for a busy two-core machine: the run itself takes a few seconds.
TIMEOUT = 120.0
# The project's variables that must not leak in from the environment of the test run.
ENV_VARS = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "REDIS_URL",
    "DEMOS_TASKS_BACKEND",
    "EXAMPLE_DATA_DIR",
    "EXAMPLE_QUEUE_DB",
    "EXAMPLE_STATIC_ROOT",
)


def child_env(data_dir: Path) -> dict[str, str]:
    """The example project in production, on the test database: configuration only."""
    env = {key: value for key, value in os.environ.items() if key not in ENV_VARS}
    env["DJANGO_SETTINGS_MODULE"] = "example.settings.production"
    env["DJANGO_SECRET_KEY"] = "worker-pool-test-" + "x" * 50
    env["DJANGO_ALLOWED_HOSTS"] = "localhost"
    env["DATABASE_URL"] = databases.database_url(connection.settings_dict["NAME"])
    env["EXAMPLE_DATA_DIR"] = str(data_dir)
    env["EXAMPLE_STATIC_ROOT"] = str(data_dir / "static")
    # The repository root, for the `tests` package (pool_tasks).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@contextlib.contextmanager
def workers(data_dir: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """Start one ``demos_worker --batch`` per WORKER_IDS; kill what is left on the way out."""
    processes = []
    try:
        for worker_id in WORKER_IDS:
            with (data_dir / f"{worker_id}.log").open("w") as log:  # the child keeps its copy
                process = subprocess.Popen(
                    [
                        sys.executable,
                        str(MANAGE_PY),
                        "demos_worker",
                        "--batch",
                        "--no-startup-delay",
                        "--interval=0.05",
                        "--queue-name=default",
                        f"--worker-id={worker_id}",
                    ],
                    cwd=data_dir,
                    env=child_env(data_dir),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    text=True,
                    start_new_session=True,
                )
            processes.append(process)
        yield processes
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=TIMEOUT)


def worker_logs(data_dir: Path) -> str:
    return "\n".join(
        f"--- {worker_id}:\n{(data_dir / f'{worker_id}.log').read_text()}"
        for worker_id in WORKER_IDS
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_200_tasks_and_run_each_exactly_once(tmp_path: Path) -> None:
    if settings.TASKS["default"]["BACKEND"] != compat.DATABASE_TASK_BACKEND:
        pytest.skip("needs django-tasks-db as the default task backend")
    # What the sharing rests on: otherwise a second worker would wait, not skip.
    assert connection.features.has_select_for_update_skip_locked
    run_log = tmp_path / "runs.log"
    run_log.touch()

    results = [pool_tasks.record_run.enqueue(str(run_log), number) for number in range(TASKS)]

    with workers(tmp_path) as processes:
        deadline = time.monotonic() + TIMEOUT
        for process in processes:
            process.wait(timeout=max(deadline - time.monotonic(), 1.0))
        assert [p.returncode for p in processes] == [0, 0], worker_logs(tmp_path)

    runs = [line.split() for line in run_log.read_text().splitlines()]
    # Each task ran exactly once: none twice, none missing.
    counts = Counter(int(number) for number, _ in runs)
    assert [n for n, c in counts.items() if c > 1] == []
    assert sorted(counts) == list(range(TASKS))
    # Both processes took work from the one queue.
    runs_by_pid = Counter(pid for _, pid in runs)
    assert set(runs_by_pid) == {str(p.pid) for p in processes}, (runs_by_pid, worker_logs(tmp_path))

    pid_of = {str(p.pid): worker_id for p, worker_id in zip(processes, WORKER_IDS, strict=True)}
    ran_by = {int(number): pid_of[pid] for number, pid in runs}
    for number, result in enumerate(results):
        result.refresh()
        assert result.status == compat.TaskResultStatus.SUCCESSFUL, result.errors
        assert result.return_value == number
        # One attempt, by the worker whose process logged the run.
        assert result.worker_ids == [ran_by[number]]
