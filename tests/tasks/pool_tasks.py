"""A task for the worker pool test (test-only, module level as tasks must be).

``record_run`` appends one line, ``<number> <process id>``, to a log file each
time it runs, so the test can count the runs of every task (a task run twice
shows twice) and tell which worker process ran it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_six_demos.compat import task

# How long the first run in a process waits for the other workers to show up.
RENDEZVOUS_TIMEOUT = 30.0

# Whether this process has run a task yet: only its first run waits.
_started = False


def processes_in(log: Path) -> set[str]:
    """The process ids that appear in ``log``."""
    return {line.split()[1] for line in log.read_text().splitlines() if line}


@task(queue_name="default")
def record_run(log: str, number: int, workers: int = 2) -> int:
    """Log this run of ``number``; until ``workers`` processes have logged a run, wait.

    One worker process must not drain the queue before the other has even
    started (Django's start-up takes a second or more on a busy machine): the
    first run in each process waits, at most RENDEZVOUS_TIMEOUT seconds, until
    runs of ``workers`` processes are in the log. After that, tasks run freely.
    """
    global _started
    path = Path(log)
    # One short write in append mode: lines from two processes never interleave.
    with path.open("a") as file:
        file.write(f"{number} {os.getpid()}\n")
    if not _started:
        _started = True
        # A worker that never comes costs one timeout, not one per task; the
        # test then fails, as that worker took no work.
        deadline = time.monotonic() + RENDEZVOUS_TIMEOUT
        while len(processes_in(path)) < workers and time.monotonic() < deadline:
            time.sleep(0.01)
    return number
