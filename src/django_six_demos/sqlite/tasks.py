"""The contention lab's background task: a bounded run of ``contention.py`` for the web page.
https://docs.djangoproject.com/en/6.0/topics/tasks/
"""

from __future__ import annotations

import time
from typing import Any

from django.utils import timezone

from django_six_demos import compat
from django_six_demos.sqlite import contention
from django_six_demos.sqlite.models import ContentionRun

PROGRESS_EVERY = 0.5  # seconds between two progress writes


# [lab-task]
@compat.task
def run_contention_lab(run_id: int) -> dict[str, Any]:
    """Run the lab for ``ContentionRun`` ``run_id``; return a short summary."""
    updated = ContentionRun.objects.filter(pk=run_id, status=ContentionRun.Status.QUEUED).update(
        status=ContentionRun.Status.RUNNING, started_at=timezone.now(), progress="Starting…"
    )
    if not updated:
        # Already run, or deleted: a repeated task is a no-op.
        return {"run": run_id, "ran": False}
    run = ContentionRun.objects.get(pk=run_id)
    last_write = 0.0

    def progress(report: contention.Progress) -> None:
        nonlocal last_write
        if time.monotonic() - last_write >= PROGRESS_EVERY:
            last_write = time.monotonic()
            ContentionRun.objects.filter(pk=run_id).update(progress=str(report)[:200])

    try:
        results = contention.run(
            writers=run.writers,
            readers=run.readers,
            seconds=run.seconds,
            on_progress=progress,
            progress_every=PROGRESS_EVERY,
        )
    except Exception as error:
        ContentionRun.fail(run_id, f"{type(error).__name__}: {error}")
        raise  # the task fails too, with the traceback in its result
    ContentionRun.objects.filter(pk=run_id).update(
        status=ContentionRun.Status.DONE,
        progress="",
        result={"variants": [result.to_dict() for result in results]},
        finished_at=timezone.now(),
    )
    return {"run": run_id, "ran": True, "clean": {r.name: r.clean for r in results}}


# [/lab-task]
