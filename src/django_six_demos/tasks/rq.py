"""Settings that run the demo's tasks on RQ (django-tasks-rq): one queue for many machines.

``pip install django-tasks-rq`` brings django-rq, rq and redis; the worker is
``manage.py rqworker`` (:func:`rq_worker_command`), on as many hosts as needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from django_six_demos import compat
from django_six_demos.conf import TASK_QUEUES

# django-rq's app: the RQ backend's own check requires it in INSTALLED_APPS.
RQ_APP: Final = "django_rq"
# The job class that turns an RQ job back into a task call and records its result.
RQ_JOB_CLASS: Final = "django_tasks_rq.Job"


def rq_task_settings(redis_url: str, *, queues: Sequence[str] = TASK_QUEUES) -> dict[str, Any]:
    """Return TASKS and RQ_QUEUES that run the tasks on RQ, every queue on ``redis_url``.

    Use it after ``conf.demo_settings()``, whose TASKS it replaces, with :data:`RQ_APP` installed.
    """
    queues = list(queues)
    if not queues:
        raise ValueError("rq_task_settings() needs at least one queue.")
    return {
        "TASKS": {"default": {"BACKEND": compat.RQ_TASK_BACKEND, "QUEUES": queues}},
        "RQ_QUEUES": {queue: {"URL": redis_url} for queue in queues},
    }


def rq_worker_command(
    *, queues: Sequence[str] = TASK_QUEUES, with_scheduler: bool = False
) -> list[str]:
    """Return the ``manage.py`` arguments of an RQ worker for ``queues``.

    ``with_scheduler=True`` runs RQ's scheduler, without which a deferred task stays READY.
    """
    scheduler = ["--with-scheduler"] if with_scheduler else []
    return ["rqworker", "--job-class", RQ_JOB_CLASS, *scheduler, *queues]
