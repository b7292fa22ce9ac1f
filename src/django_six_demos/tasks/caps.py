"""How much the tasks room queues and keeps, checked before every enqueue.

A queue holds at most MAX_READY_PER_QUEUE waiting tasks, one acceptance-email task is
in flight at a time, and only the newest exports and finished results are kept: a
stranger's clicks cannot fill the disk or hold the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from django.db import transaction
from django.db.models import Count

from django_six_demos import compat
from django_six_demos.tasks.models import Rerun, ScheduleExport

if TYPE_CHECKING or compat.tasks_api_importable():
    # Without a tasks API (Django 5.2, no backport) nothing here runs: the
    # django_six_demos.E001 check stops the server from starting.
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

if TYPE_CHECKING:
    from django.tasks.backends.base import BaseTaskBackend

# Beyond this many READY tasks on a queue, enqueueing answers 503: the worker
# is behind (or not running), and more waiting work would only pile up.
MAX_READY_PER_QUEUE: Final = 10
# A refused enqueue suggests trying again after this many seconds.
RETRY_AFTER_SECONDS: Final = 60
# ScheduleExport rows kept: a new export deletes the older ones. More than a
# full queue, so that an export still waiting or being built is not pruned
# (unless several workers race through many exports meanwhile: its task then
# fails, saying the export was pruned).
KEEP_EXPORTS: Final = MAX_READY_PER_QUEUE + 5
# Finished results of this room's tasks kept (and Rerun links): older ones are
# deleted whenever this room enqueues. READY and RUNNING results never are.
KEEP_RESULTS: Final = 100
# The export's "slow" pauses add up to this at most, whatever the number of
# talks: each pause shrinks as the talks grow, so one export cannot hold the
# worker for minutes.
MAX_TOTAL_DELAY: Final = timedelta(seconds=10)
# PostgreSQL advisory lock that serialises this room's check-then-enqueue
# blocks; any constant 64-bit number unlikely to clash with a host project's.
ENQUEUE_LOCK_KEY: Final = 0x6A6F_6E71_7565_7565


def default_backend() -> BaseTaskBackend:
    # The backend itself: compat.default_task_backend is a proxy, whose type
    # is not the backend's.
    return compat.task_backends[compat.DEFAULT_TASK_BACKEND_ALIAS]


def is_database_backend(backend: BaseTaskBackend) -> bool:
    return isinstance(backend, DatabaseBackend)


def is_rq_backend(backend: BaseTaskBackend) -> bool:
    # django-tasks-rq is optional: without it, no backend can be its.
    try:
        from django_tasks_rq import RQBackend
    except ImportError:
        return False
    return isinstance(backend, RQBackend)


@dataclass(frozen=True)
class QueueLoad:
    """Tasks waiting for a worker (READY) and being run (RUNNING)."""

    ready: int
    running: int

    @property
    def in_flight(self) -> int:
        return self.ready + self.running


def queue_load(queue_name: str, *, task_path: str | None = None) -> QueueLoad | None:
    """Count the READY and RUNNING tasks of ``queue_name`` (of ``task_path`` only, if given).

    django-tasks-db: its table. django-tasks-rq: the queue's length and its
    started-job registry (a queue's jobs, whatever their task: this room
    gives each of its capped tasks a queue of its own). Any other backend:
    None, nothing to count (the immediate backend runs a task at once, the
    dummy one keeps it in memory), so the caps do not apply.
    """
    backend = default_backend()
    if is_database_backend(backend):
        rows = DBTaskResult.objects.filter(backend_name=backend.alias, queue_name=queue_name)
        if task_path is not None:
            rows = rows.filter(task_path=task_path)
        ready, running = compat.TaskResultStatus.READY, compat.TaskResultStatus.RUNNING
        counts = dict(
            rows.filter(status__in=[ready, running])
            .values_list("status")
            .annotate(count=Count("pk"))
            .order_by()
        )
        return QueueLoad(ready=counts.get(ready, 0), running=counts.get(running, 0))
    if is_rq_backend(backend):
        import django_rq

        queue = django_rq.get_queue(queue_name)
        return QueueLoad(ready=queue.count, running=queue.started_job_registry.count)
    return None


def serialise_enqueues() -> None:
    """Make concurrent check-then-enqueue blocks of this room run one at a time.

    Call first thing inside ``transaction.atomic()``. On SQLite, dj-lite's
    IMMEDIATE transactions take the write lock at BEGIN, which serialises
    them already. On PostgreSQL a transaction-level advisory lock does the
    same, released at commit or rollback.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("serialise_enqueues() needs an open transaction.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ENQUEUE_LOCK_KEY])


def room_task_paths() -> list[str]:
    """The module paths of this room's tasks: the rows :func:`prune_results` may delete."""
    from django_six_demos.tasks import tasks as demo_tasks

    return [
        demo_tasks.send_acceptance_emails.module_path,
        demo_tasks.build_schedule_export.module_path,
        demo_tasks.fail_on_demand.module_path,
        demo_tasks.report_attempt.module_path,
    ]


def prune_results() -> int:
    """Delete this room's finished results beyond the newest KEEP_RESULTS; return how many.

    As django-tasks-db's ``prune_db_task_results`` does, only SUCCESSFUL and
    FAILED rows go, never READY or RUNNING ones; by count rather than age,
    and only this room's tasks (the ``default`` queue is shared with other
    rooms). Rerun links beyond the newest KEEP_RESULTS go too. RQ expires
    results itself (its result and failure TTLs).
    """
    old_reruns = Rerun.objects.order_by("-created_at", "-pk").values("pk")[KEEP_RESULTS:]
    Rerun.objects.filter(pk__in=old_reruns).delete()
    backend = default_backend()
    if not is_database_backend(backend):
        return 0
    finished = DBTaskResult.objects.finished().filter(
        backend_name=backend.alias, task_path__in=room_task_paths()
    )
    old = finished.order_by("-finished_at", "-pk").values("pk")[KEEP_RESULTS:]
    deleted: int = DBTaskResult.objects.filter(pk__in=old).delete()[0]
    return deleted


def prune_exports() -> int:
    """Delete every ScheduleExport but the newest KEEP_EXPORTS; return how many."""
    newest = ScheduleExport.objects.order_by("-created_at", "-pk").values("pk")[:KEEP_EXPORTS]
    deleted: int = ScheduleExport.objects.exclude(pk__in=newest).delete()[0]
    return deleted


def queue_full_message(queue_name: str, load: QueueLoad) -> str:
    return (
        f"The {queue_name} queue already has {load.ready} tasks waiting for a worker, "
        f"the most this demo allows: nothing was enqueued. "
        f"Try again in {RETRY_AFTER_SECONDS} s."
    )


def describe() -> dict[str, Any]:
    """The caps, for the room page and the docs."""
    return {
        "max_ready_per_queue": MAX_READY_PER_QUEUE,
        "keep_exports": KEEP_EXPORTS,
        "keep_results": KEEP_RESULTS,
    }
