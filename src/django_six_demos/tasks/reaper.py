"""Lost workers: fail the tasks a dead worker left RUNNING, re-run the idempotent ones.

django-tasks-db's worker finishes its current task on SIGTERM/SIGINT, but a
worker that is SIGKILLed (OOM killer, power loss, ``kill -9``) leaves that task
RUNNING for good: nothing times it out and no other worker takes it
(RealOrangeOne/django-tasks #46 is open). No package ships a fix yet, so this
module is the small piece the demo adds: a reaper that marks RUNNING tasks
older than a threshold as FAILED ("worker lost"), and enqueues a *new* copy of
those whose task is marked :func:`idempotent`.

Delivery is therefore at-most-once unless a task is marked idempotent, then
at-least-once.

https://docs.djangoproject.com/en/6.0/topics/tasks/
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, TypeVar

from django.db import connections, router
from django.utils import timezone
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django_tasks_db.compat import BaseTaskBackend
    from django_tasks_db.models import DBTaskResult

    from django_six_demos.compat import Task

    TaskT = TypeVar("TaskT", bound=Task[Any, Any])
else:
    TaskT = TypeVar("TaskT")

# Longer than any demo task (they finish within seconds) with a wide margin.
# A task still running when the reaper looks would be failed (and an idempotent
# one run twice), so set it above your longest task.
DEFAULT_OLDER_THAN: Final = timedelta(minutes=10)

# Module paths (Task.module_path) of the tasks that are safe to run twice.
_IDEMPOTENT: set[str] = set()


def idempotent(task: TaskT) -> TaskT:
    """Mark ``task`` as safe to run more than once; return it unchanged.

    The reaper re-enqueues a lost run of such a task. Apply it above ``@task``::

        @idempotent
        @task()
        def rebuild_thumbnail(photo_id: int) -> None: ...
    """
    _IDEMPOTENT.add(task.module_path)
    return task


def is_idempotent(module_path: str) -> bool:
    """Return whether the task at ``module_path`` was marked ``@idempotent``.

    Only tasks whose module has been imported are known: the reaper imports
    each lost task's path before asking.
    """
    return module_path in _IDEMPOTENT


class WorkerLost(Exception):
    """Recorded as the error of a task whose worker stopped without finishing it.

    Never raised: the reaper stores it with django-tasks-db's own
    ``set_failed()``, so ``result.errors[0].exception_class_path`` names it.
    """


@dataclass(frozen=True, kw_only=True)
class ReapedTask:
    """One RUNNING task the reaper found (and, unless a dry run, failed)."""

    id: str
    task_path: str
    started_at: datetime
    worker_ids: tuple[str, ...]
    # Whether a new copy is (or, in a dry run, would be) enqueued.
    rerun: bool
    # Why not, when rerun is False.
    reason: str = ""
    # The copy's id; None in a dry run or when not re-enqueued.
    new_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReapReport:
    """What :func:`reap_lost_tasks` found and did."""

    cutoff: datetime
    dry_run: bool
    tasks: tuple[ReapedTask, ...]

    @property
    def replacements(self) -> dict[str, str]:
        """Map each lost task's id to the id of its re-enqueued copy."""
        return {t.id: t.new_id for t in self.tasks if t.new_id is not None}


def reap_lost_tasks(
    *,
    older_than: timedelta,
    backend_alias: str = "default",
    dry_run: bool = False,
    now: datetime | None = None,
) -> ReapReport:
    """Fail RUNNING tasks started more than ``older_than`` ago; re-enqueue idempotent ones.

    Each lost task becomes FAILED with a :class:`WorkerLost` error saying
    "worker lost". If its task is marked :func:`idempotent`, a new task with
    the same arguments, queue and priority is enqueued in the same transaction
    (the failed row's traceback names the new id). ``dry_run`` only reports.
    Returns a :class:`ReapReport`. Example::

        report = reap_lost_tasks(older_than=timedelta(minutes=10))
        report.replacements  # {"<lost id>": "<new id>", ...}
    """
    # django-tasks-db needs a tasks API (core, or the backport on Django 5.2):
    # imported here so that @idempotent works without it.
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    from django_six_demos.compat import TaskResultStatus, task_backends

    if older_than < timedelta(0):
        raise ValueError(f"older_than must not be negative, got {older_than}")
    backend = task_backends[backend_alias]
    if not isinstance(backend, DatabaseBackend):
        raise ValueError(f"Backend {backend_alias!r} is not django-tasks-db's DatabaseBackend")
    cutoff = (now or timezone.now()) - older_than

    using = router.db_for_write(DBTaskResult)
    reaped: list[tuple[ReapedTask, DBTaskResult[Any, Any]]] = []
    # The same transaction as the worker's claim (EXCLUSIVE on SQLite): a
    # worker cannot finish a row between our read and our write.
    with exclusive_transaction(using):
        lost = (
            DBTaskResult.objects.using(using)
            .filter(
                status=TaskResultStatus.RUNNING,
                backend_name=backend_alias,
                started_at__lt=cutoff,
            )
            .order_by("started_at")
        )
        if connections[using].features.has_select_for_update_skip_locked:
            # A row locked by someone else is being finished right now: skip it.
            lost = lost.select_for_update(skip_locked=True)
        for row in lost:
            reaped.append((_reap(row, dry_run=dry_run), row))

    if not dry_run:
        for _, row in reaped:
            _send_task_finished(backend, row)
    return ReapReport(cutoff=cutoff, dry_run=dry_run, tasks=tuple(t for t, _ in reaped))


def _reap(row: DBTaskResult[Any, Any], *, dry_run: bool) -> ReapedTask:
    assert row.started_at is not None  # RUNNING rows have one (claim() sets it)
    task, reason = _rerunnable_task(row)
    new_id = None
    if task is not None and not dry_run:
        # A NEW task: the lost row keeps its FAILED history.
        args_kwargs = row.args_kwargs
        new_id = str(task.enqueue(*args_kwargs["args"], **args_kwargs["kwargs"]).id)
    found = ReapedTask(
        id=str(row.id),
        task_path=row.task_path,
        started_at=row.started_at,
        worker_ids=tuple(row.worker_ids),
        rerun=task is not None,
        reason=reason,
        new_id=new_id,
    )
    if not dry_run:
        # django-tasks-db's own failure record (status, finished_at,
        # exception_class_path, traceback), as for any task that raised.
        row.set_failed(WorkerLost(_message(found)))
    return found


def _rerunnable_task(row: DBTaskResult[Any, Any]) -> tuple[Task[Any, Any] | None, str]:
    """Return the task to enqueue again for ``row``, or None and why not."""
    from django_six_demos.compat import InvalidTask, Task

    try:
        # Importing the task's module runs its @idempotent decorators.
        task = import_string(row.task_path)
    except Exception as error:  # Any import error: fail the row, never crash.
        return None, f"task path cannot be imported ({type(error).__name__}: {error})"
    if not isinstance(task, Task):
        return None, "task path does not point to a Task"
    if not is_idempotent(task.module_path):
        return None, "not marked @idempotent"
    try:
        # Validates the queue and priority against today's TASKS setting.
        return task.using(
            priority=row.priority, queue_name=row.queue_name, backend=row.backend_name
        ), ""
    except InvalidTask as error:
        return None, f"cannot be re-enqueued ({error})"


def _message(found: ReapedTask) -> str:
    worker = found.worker_ids[-1] if found.worker_ids else "unknown"
    message = (
        f"worker lost: the task was RUNNING since {found.started_at.isoformat()} "
        f"(worker {worker}) and no worker finished it"
    )
    if found.new_id:
        return f"{message}; re-enqueued as {found.new_id}"
    return f"{message}; not re-enqueued: {found.reason}"


def _send_task_finished(backend: BaseTaskBackend, row: DBTaskResult[Any, Any]) -> None:
    """Send ``task_finished`` as the worker does for a failed task (``django.tasks`` logs it)."""
    from django.core.exceptions import SuspiciousOperation
    from django_tasks_db.compat import task_finished

    from django_six_demos.compat import InvalidTask

    try:
        # Rebuilds the task: impossible for an unknown path or a retired queue.
        result = row.task_result
    except (ImportError, SuspiciousOperation, InvalidTask):
        return
    task_finished.send(sender=type(backend), task_result=result)


def iter_lines(report: ReapReport, *, verbosity: int = 1) -> Iterator[str]:
    """Yield the human-readable lines the management commands print for ``report``."""
    verb = "Would fail" if report.dry_run else "Failed"
    for found in report.tasks:
        if found.new_id:
            then = f"re-enqueued as {found.new_id}"
        elif found.rerun:
            then = "would re-enqueue it"
        else:
            then = f"not re-enqueued: {found.reason}"
        yield f"{verb} {found.id} {found.task_path} (worker lost); {then}"
        if verbosity >= 2:
            workers = ", ".join(found.worker_ids) or "none"
            yield f"    started {found.started_at.isoformat()}, worker ids: {workers}"
    count = len(report.tasks)
    if not count:
        yield f"No lost tasks (none RUNNING since before {report.cutoff.isoformat()})."
    else:
        reruns = sum(1 for t in report.tasks if t.rerun)
        tasks = f"{count} lost task{'s' if count != 1 else ''}"
        if report.dry_run:
            yield f"Dry run: would reap {tasks} ({reruns} to re-enqueue)."
        else:
            yield f"Reaped {tasks} ({reruns} re-enqueued)."
