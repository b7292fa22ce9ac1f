"""Lost workers: fail the tasks a SIGKILLed worker left RUNNING, re-run the idempotent ones.

Nothing times such a task out (RealOrangeOne/django-tasks #46). Delivery is at-most-once
unless a task is marked :func:`idempotent`, then at-least-once.
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

# Above the longest task: a task still running when the reaper looks would be failed.
DEFAULT_OLDER_THAN: Final = timedelta(minutes=10)

_IDEMPOTENT: set[str] = set()  # module paths of the tasks safe to run twice


def idempotent(task: TaskT) -> TaskT:
    """Mark ``task`` (put above ``@task``) safe to run twice: the reaper re-enqueues lost runs."""
    _IDEMPOTENT.add(task.module_path)
    return task


def is_idempotent(module_path: str) -> bool:
    """Whether the task at ``module_path`` (its module imported) was marked ``@idempotent``."""
    return module_path in _IDEMPOTENT


class WorkerLost(Exception):
    """The error stored (never raised) for a task whose worker stopped without finishing it."""


@dataclass(frozen=True, kw_only=True)
class ReapedTask:
    """One RUNNING task the reaper found (and, unless a dry run, failed)."""

    id: str
    task_path: str
    started_at: datetime
    worker_ids: tuple[str, ...]
    rerun: bool  # whether a new copy is (in a dry run, would be) enqueued
    reason: str = ""  # why not
    new_id: str | None = None

    @property
    def outcome(self) -> str:
        if self.new_id:
            return f"re-enqueued as {self.new_id}"
        return "would re-enqueue it" if self.rerun else f"not re-enqueued: {self.reason}"


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

    A re-enqueued copy keeps the arguments, queue and priority; ``dry_run`` only reports.
    """
    # django-tasks-db needs a tasks API: imported here so that @idempotent works without it.
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
    # The worker's claim transaction (EXCLUSIVE on SQLite): no row finishes between read and write.
    with exclusive_transaction(using):
        rows = DBTaskResult.objects.using(using).filter(status=TaskResultStatus.RUNNING)
        lost = rows.filter(backend_name=backend_alias, started_at__lt=cutoff).order_by("started_at")
        if connections[using].features.has_select_for_update_skip_locked:
            # A row locked by someone else is being finished right now: skip it.
            lost = lost.select_for_update(skip_locked=True)
        reaped = [(_reap(row, dry_run=dry_run), row) for row in lost]
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
    if not dry_run:  # django-tasks-db's own failure record, as for any task that raised
        worker = found.worker_ids[-1] if found.worker_ids else "unknown"
        since = found.started_at.isoformat()
        message = f"worker lost: the task was RUNNING since {since} (worker {worker})"
        row.set_failed(WorkerLost(f"{message} and no worker finished it; {found.outcome}"))
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


def _send_task_finished(backend: BaseTaskBackend, row: DBTaskResult[Any, Any]) -> None:
    """Send ``task_finished`` as the worker does for a failed task."""
    from django.core.exceptions import SuspiciousOperation
    from django_tasks_db.compat import task_finished

    from django_six_demos.compat import InvalidTask

    try:  # rebuilds the task: impossible for an unknown path or a retired queue
        result = row.task_result
    except (ImportError, SuspiciousOperation, InvalidTask):
        return
    task_finished.send(sender=type(backend), task_result=result)


def iter_lines(report: ReapReport, *, verbosity: int = 1) -> Iterator[str]:
    """Yield the human-readable lines the management commands print for ``report``."""
    verb = "Would fail" if report.dry_run else "Failed"
    for found in report.tasks:
        yield f"{verb} {found.id} {found.task_path} (worker lost); {found.outcome}"
        if verbosity >= 2:
            workers = ", ".join(found.worker_ids) or "none"
            yield f"    started {found.started_at.isoformat()}, worker ids: {workers}"
    if not (count := len(report.tasks)):
        yield f"No lost tasks (none RUNNING since before {report.cutoff.isoformat()})."
        return
    reruns = sum(1 for t in report.tasks if t.rerun)
    tasks = f"{count} lost task{'s' if count != 1 else ''}"
    if report.dry_run:
        yield f"Dry run: would reap {tasks} ({reruns} to re-enqueue)."
    else:
        yield f"Reaped {tasks} ({reruns} re-enqueued)."
