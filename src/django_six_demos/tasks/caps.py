"""How much the tasks room queues and keeps, checked before every enqueue.

A full queue refuses more, one acceptance-email batch is in flight at a time, and only the
newest exports and results are kept: a stranger's clicks cannot fill the disk or hold the worker.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse

from django_six_demos import compat, limits
from django_six_demos.tasks.models import Rerun, ScheduleExport

if TYPE_CHECKING or compat.tasks_api_importable():
    # Without a tasks API nothing here runs: the E001 check stops the server.
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

if TYPE_CHECKING:
    from django.tasks.backends.base import BaseTaskBackend

    from django_six_demos.compat import Task

# Beyond this many READY tasks on a queue, enqueueing answers 503: the worker
# is behind (or not running), and more waiting work would only pile up.
MAX_READY_PER_QUEUE: Final = 10
RETRY_AFTER_SECONDS: Final = 60
# More than a full queue, so that an export still waiting or being built is not pruned.
KEEP_EXPORTS: Final = MAX_READY_PER_QUEUE + 5
# Finished results of this room's tasks (and Rerun links) kept; never READY or RUNNING ones.
KEEP_RESULTS: Final = 100
# The slow export's pauses add up to this at most, whatever the number of talks.
MAX_TOTAL_DELAY: Final = timedelta(seconds=10)
# PostgreSQL advisory lock key: any 64-bit number unlikely to clash with a host project's.
ENQUEUE_LOCK_KEY: Final = 0x6A6F_6E71_7565_7565


def default_backend() -> BaseTaskBackend:
    # compat.default_task_backend is a proxy, whose type is not the backend's.
    return compat.task_backends[compat.DEFAULT_TASK_BACKEND_ALIAS]


def is_database_backend(backend: BaseTaskBackend) -> bool:
    return isinstance(backend, DatabaseBackend)


def is_rq_backend(backend: BaseTaskBackend) -> bool:
    try:  # django-tasks-rq is optional
        from django_tasks_rq import RQBackend
    except ImportError:
        return False
    return isinstance(backend, RQBackend)


class QueueLoad(NamedTuple):
    ready: int
    running: int


def queue_load(queue_name: str, *, task_path: str | None = None) -> QueueLoad | None:
    """Count READY and RUNNING tasks of ``queue_name`` (of ``task_path`` only, if given).

    RQ counts a whole queue (each capped task has its own); other backends have nothing to count.
    """
    backend = default_backend()
    if is_database_backend(backend):
        rows = DBTaskResult.objects.filter(backend_name=backend.alias, queue_name=queue_name)
        if task_path is not None:
            rows = rows.filter(task_path=task_path)
        ready, running = compat.TaskResultStatus.READY, compat.TaskResultStatus.RUNNING
        by_status = rows.filter(status__in=[ready, running]).values_list("status")
        counts = dict(by_status.annotate(count=Count("pk")).order_by())
        return QueueLoad(counts.get(ready, 0), counts.get(running, 0))
    if is_rq_backend(backend):
        import django_rq

        queue = django_rq.get_queue(queue_name)
        return QueueLoad(queue.count, queue.started_job_registry.count)
    return None


def serialise_enqueues() -> None:
    """Make concurrent check-then-enqueue blocks run one at a time (call inside ``atomic()``).

    dj-lite's IMMEDIATE transactions already do on SQLite; PostgreSQL takes an advisory lock.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("serialise_enqueues() needs an open transaction.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ENQUEUE_LOCK_KEY])


def check(
    request: HttpRequest, task: Task[Any, Any], *, busy_message: str | None = None
) -> HttpResponse | None:
    """Prune, then check the caps before enqueueing ``task``: a refusal, or None.

    Call inside ``transaction.atomic()`` and enqueue in the same block. With
    ``busy_message``, one such task at a time (409); a full queue answers 503.
    """
    serialise_enqueues()
    prune_results()
    if busy_message is not None:
        mine = queue_load(task.queue_name, task_path=task.module_path)
        if mine is not None and mine.ready + mine.running:
            return limits.refused(request, busy_message, status=409)
    load = queue_load(task.queue_name)
    if load is not None and load.ready >= MAX_READY_PER_QUEUE:
        message = (
            f"The {task.queue_name} queue already has {load.ready} tasks waiting for a worker, the "
            f"most this demo allows: nothing was enqueued. Try again in {RETRY_AFTER_SECONDS} s."
        )
        return limits.refused(request, message, status=503, retry_after=RETRY_AFTER_SECONDS)
    return None


def _keep_newest(rows: QuerySet[Any], keep: int, by: str = "-created_at") -> int:
    """Delete all ``rows`` but the newest ``keep``; return how many went."""
    deleted: int = rows.exclude(pk__in=rows.order_by(by, "-pk").values("pk")[:keep]).delete()[0]
    return deleted


def prune_results() -> int:
    """Delete this room's finished results beyond the newest KEEP_RESULTS; return how many.

    Like django-tasks-db's ``prune_db_task_results`` but by count; RQ expires results itself.
    """
    from django_six_demos.tasks import tasks

    _keep_newest(Rerun.objects.all(), KEEP_RESULTS)
    if not is_database_backend(backend := default_backend()):
        return 0
    room_tasks: list[Task[Any, Any]] = [tasks.send_acceptance_emails, tasks.build_schedule_export]
    room_tasks += [tasks.fail_on_demand, tasks.report_attempt]
    finished = DBTaskResult.objects.finished().filter(
        backend_name=backend.alias, task_path__in=[task.module_path for task in room_tasks]
    )
    return _keep_newest(finished, KEEP_RESULTS, by="-finished_at")


def prune_exports() -> int:
    """Delete every ScheduleExport but the newest KEEP_EXPORTS; return how many."""
    return _keep_newest(ScheduleExport.objects.all(), KEEP_EXPORTS)
