"""Tasks for the reaper and worker fault tests (test-only, module level as tasks must be).

``slow`` appends one line per step to the file at ``progress``, so a test
knows the task is running (first line) and whether it finished ("done").
"""

from __future__ import annotations

import time
from pathlib import Path

from django_six_demos.compat import task
from django_six_demos.tasks.reaper import idempotent


def _run_slowly(progress: str, steps: int, step: float) -> int:
    path = Path(progress)
    for number in range(steps):
        with path.open("a") as file:
            file.write(f"step {number}\n")
        time.sleep(step)
    with path.open("a") as file:
        file.write("done\n")
    return steps


@task(queue_name="default")
def slow(progress: str, steps: int = 20, step: float = 0.1) -> int:
    """Run for ``steps * step`` seconds, recording each step in ``progress``."""
    return _run_slowly(progress, steps, step)


@idempotent
@task(queue_name="default")
def idempotent_slow(progress: str, steps: int = 20, step: float = 0.1) -> int:
    """``slow``, marked safe to run twice: the reaper re-enqueues it."""
    return _run_slowly(progress, steps, step)


@task(queue_name="default")
def quick(value: int) -> int:
    return value * 2
