"""Which task backend the suite runs on, its worker, and what it has stored.

The default settings use django-tasks-db; ``DEMOS_TASKS_BACKEND=rq`` (tox -e
py313-django61-rq) switches ``tests.settings`` to django-tasks-rq on Redis. The
demo's behaviour is tested on both with a real worker (:func:`run_worker`) and
the helpers below; what belongs to django-tasks-db alone is marked
:func:`tasks_db_only`.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from django_six_demos import compat, conf
from django_six_demos.tasks import rq as tasks_rq


def on_rq() -> bool:
    """Whether the default backend is django-tasks-rq's (read now: override_settings counts)."""
    backend = settings.TASKS[compat.DEFAULT_TASK_BACKEND_ALIAS]["BACKEND"]
    return bool(backend == compat.RQ_TASK_BACKEND)


# The settings of the run (DEMOS_TASKS_BACKEND), for skip markers.
ON_RQ = on_rq()


def tasks_db_only(what: str) -> pytest.MarkDecorator:
    """Skip under RQ: ``what`` belongs to django-tasks-db (its table, worker or reaper)."""
    return pytest.mark.skipif(
        ON_RQ,
        reason=f"{what} belongs to django-tasks-db, and the default task backend is "
        "django-tasks-rq here (DEMOS_TASKS_BACKEND=rq)",
    )


rq_only = pytest.mark.skipif(
    not ON_RQ, reason="needs the RQ task backend and Redis (tox -e py313-django61-rq)"
)


def _queues() -> list[str]:
    return list(settings.TASKS[compat.DEFAULT_TASK_BACKEND_ALIAS].get("QUEUES") or conf.TASK_QUEUES)


def run_worker() -> None:
    """Run the default backend's worker in this process until no task is left.

    django-tasks-db: ``db_worker --batch``. RQ: django-rq's worker in burst
    mode with django-tasks-rq's job class, as ``rqworker --burst --job-class
    django_tasks_rq.Job <queues>`` does, but without forking (rq's
    ``SimpleWorker``), so that each task sees the test's database transaction.
    """
    if on_rq():
        rq_worker().work(burst=True, logging_level="WARNING")
        return
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )


def rq_worker(**kwargs: Any) -> Any:
    """An in-process RQ worker on every queue of the default backend, in their order."""
    import django_rq

    return django_rq.get_worker(
        *_queues(), job_class=tasks_rq.RQ_JOB_CLASS, worker_class="rq.worker.SimpleWorker", **kwargs
    )


def _rq_registries(queue: Any) -> list[Any]:
    return [
        queue.started_job_registry,
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.deferred_job_registry,
        queue.scheduled_job_registry,
        queue.canceled_job_registry,
    ]


def stored_ids() -> set[str]:
    """Return the id of every task result the default backend holds.

    django-tasks-db: its table's rows. RQ: every job of the queues, waiting or
    kept in one of its registries (running, finished, failed...).
    """
    if on_rq():
        import django_rq

        ids: set[str] = set()
        for name in _queues():
            queue = django_rq.get_queue(name)
            ids.update(queue.get_job_ids())
            for registry in _rq_registries(queue):
                ids.update(registry.get_job_ids())
        return ids
    from django_tasks_db.models import DBTaskResult

    return {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}


def flush_rq_queues() -> None:
    """Remove every job of the queues of TASKS, waiting or kept in a registry.

    Only those queues, in the Redis database the test settings reserve for
    the tests (see tests/settings.py): nothing else on the server is touched.
    """
    import django_rq

    for name in _queues():
        queue = django_rq.get_queue(name)
        queue.empty()
        for registry in _rq_registries(queue):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)


def get_result(result_id: str) -> Any:
    """The default backend's result ``result_id``, as the status page reads it."""
    return compat.task_backends[compat.DEFAULT_TASK_BACKEND_ALIAS].get_result(result_id)


def break_task_path(result_id: str, task_path: str) -> None:
    """Point the stored task ``result_id`` at ``task_path``, as if its code was gone."""
    if on_rq():
        import django_rq
        from django_tasks_rq import Job

        job = Job.fetch(result_id, connection=django_rq.get_connection())
        job.func_name = task_path
        job.save()
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=result_id).update(task_path=task_path)


def invalid_task_errors() -> tuple[type[Exception], ...]:
    """What an invalid task (an unknown queue...) raises: core's class, or the backport's.

    django-tasks-rq validates with the backport on every line, so on Django
    6.x it raises ``django_tasks.exceptions.InvalidTaskError``, not core's
    ``InvalidTask``.
    """
    if on_rq():
        from django_tasks.exceptions import InvalidTaskError

        return (InvalidTaskError,)
    return (compat.InvalidTask,)


def tasks_backend(task: Any) -> Any:
    """The backend instance ``task`` enqueues into.

    Usually ``compat.default_task_backend``. Under RQ on Django 6.x the demo's
    tasks are the backport's Task (django-tasks-rq's task class), which looks
    its backend up in the backport's registry, a second instance of the same
    settings: a dummy backend's ``.results`` are on that one.
    """
    return task.get_backend()
