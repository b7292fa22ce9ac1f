"""Background tasks: ``django.tasks`` (Django 6.0; django-tasks on Django 5.2), run by
django-tasks-db's database worker.
https://docs.djangoproject.com/en/6.0/topics/tasks/

The room page enqueues four tasks. Each enqueue waits for the transaction to
commit (``transaction.on_commit``), then the browser goes to the task's status
page, which htmx polls until the task is finished (the view then answers 286,
htmx's "stop polling"). A failed task can be re-enqueued as a new task. The
queue dashboard reads django-tasks-db's own table; with another backend (such
as django-tasks-rq, for a site on several machines) the room says so instead,
and every other page works the same.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from django_six_demos import compat, conf, rooms
from django_six_demos.tasks.forms import EmailsForm, ExportForm, FailureForm
from django_six_demos.tasks.models import Rerun, ScheduleExport

if TYPE_CHECKING or compat.tasks_api_importable():
    # Django 5.2 without django-tasks: this module (and so the URLconf) must
    # still import, so that the django_six_demos.E001 check can say what to
    # install. Nothing below runs then: E001 stops the server from starting.
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    from django_six_demos.tasks import tasks as demo_tasks

if TYPE_CHECKING:
    from django.tasks.backends.base import BaseTaskBackend

    from django_six_demos.compat import TaskResult

    AnyResult = TaskResult[Any, Any]

INDEX: Final = "django_six_demos/tasks/index.html"
STATUS: Final = "django_six_demos/tasks/status.html"
# htmx 2 stops polling an element whose request gets this status.
HTMX_STOP_POLLING: Final = 286
# The dashboard warns when READY tasks have waited this long and no task
# finished meanwhile: no worker is running, or it is stuck.
STALL_AFTER: Final = timedelta(seconds=30)
RECENT: Final = 10
WORKER_COMMAND: Final = "python manage.py db_worker --queue-name '*'"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class EnqueueOnCommit:
    """Enqueue a task once the current transaction commits; ``.result`` afterwards.

    Django's tasks have no enqueue-on-commit of their own (django-tasks dropped
    it in 0.10). Outside a transaction ``on_commit`` runs ``enqueue`` at once,
    so its errors (non-JSON arguments) are raised right here; inside
    ``transaction.atomic()`` it runs when the block commits.
    """

    def __init__(self, enqueue: Callable[[], AnyResult]) -> None:
        self._results: list[AnyResult] = []
        transaction.on_commit(lambda: self._results.append(enqueue()))

    @property
    def result(self) -> AnyResult:
        if not self._results:
            # The views are non_atomic_requests: only an outer transaction
            # (a test's, say) can keep the commit from happening before this.
            raise RuntimeError("The transaction has not committed: the task is not enqueued yet.")
        return self._results[0]


def _status_redirect(result_id: str) -> HttpResponseRedirect:
    return redirect("django_six_demos_tasks:status", result_id)


# -- The room page and its dashboard ---------------------------------------------


@dataclass(frozen=True)
class QueueCounts:
    name: str
    # One count per status, in the order of QueueDashboard.statuses.
    counts: list[int]
    total: int


@dataclass(frozen=True)
class QueueDashboard:
    """What django-tasks-db's table says about the queues (backend-specific)."""

    statuses: list[str]
    queues: list[QueueCounts]
    recent: list[DBTaskResult[Any, Any]]
    running: int
    waiting: int
    last_finished: datetime | None
    last_finished_age: timedelta | None
    warning: str | None


def worker_warning(
    *,
    now: datetime,
    waiting: int,
    waiting_since: datetime | None,
    last_finished: datetime | None,
    running: int,
) -> str | None:
    """Return a warning if tasks have waited over STALL_AFTER and none finished since.

    ``waiting`` READY tasks are due, the oldest since ``waiting_since``;
    ``last_finished`` is the newest finish time of any task (the worker's
    heartbeat). Tasks that just arrived, or a worker that finished something
    recently, are not a stall.
    """
    if not waiting or waiting_since is None or now - waiting_since < STALL_AFTER:
        return None
    if last_finished is not None and now - last_finished < STALL_AFTER:
        return None
    seconds = int(STALL_AFTER.total_seconds())
    since = "no task has ever finished" if last_finished is None else "none has finished since"
    message = (
        f"{waiting} task{'s' if waiting != 1 else ''} ready for over {seconds} s and {since}"
        f": is a worker running? Start one with {WORKER_COMMAND}."
    )
    if running:
        message += f" {running} running: a long task may be holding the only worker."
    return message


def queue_dashboard(*, now: datetime | None = None) -> QueueDashboard:
    """Count django-tasks-db's results by queue and status; check the worker's heartbeat."""
    now = now or timezone.now()
    statuses = [str(status) for status in compat.TaskResultStatus]
    counts: dict[str, dict[str, int]] = {name: {} for name in sorted(_default_backend().queues)}
    rows = (
        DBTaskResult.objects.values_list("queue_name", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for queue_name, status, count in rows:
        counts.setdefault(queue_name, {})[status] = count
    queues = [
        QueueCounts(
            name,
            [by_status.get(s, 0) for s in statuses],
            sum(by_status.values()),
        )
        for name, by_status in sorted(counts.items())
    ]
    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").first()
    waiting_since = None
    if oldest is not None:
        # A deferred task is due from run_after, not from when it was enqueued.
        deferred = oldest.run_after != get_date_max()
        waiting_since = (
            max(oldest.enqueued_at, oldest.run_after) if deferred else oldest.enqueued_at
        )
    last_finished = DBTaskResult.objects.aggregate(last=Max("finished_at"))["last"]
    running = DBTaskResult.objects.running().count()
    waiting = ready.count()
    return QueueDashboard(
        statuses=statuses,
        queues=queues,
        recent=list(DBTaskResult.objects.order_by("-enqueued_at")[:RECENT]),
        running=running,
        waiting=waiting,
        last_finished=last_finished,
        last_finished_age=None if last_finished is None else now - last_finished,
        warning=worker_warning(
            now=now,
            waiting=waiting,
            waiting_since=waiting_since,
            last_finished=last_finished,
            running=running,
        ),
    )


def _default_backend() -> BaseTaskBackend:
    # The backend itself: compat.default_task_backend is a proxy, whose type
    # is not the backend's.
    return compat.task_backends[compat.DEFAULT_TASK_BACKEND_ALIAS]


def _backend_path() -> str:
    backend = _default_backend()
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _is_database_backend(backend: BaseTaskBackend) -> bool:
    return isinstance(backend, DatabaseBackend)


def _is_rq_backend(backend: BaseTaskBackend) -> bool:
    # django-tasks-rq is optional: without it, no backend can be its.
    try:
        from django_tasks_rq import RQBackend
    except ImportError:
        return False
    return isinstance(backend, RQBackend)


def worker_command() -> str | None:
    """Return the command that starts a worker for the default backend, or None.

    django-tasks-db: ``db_worker`` on every queue. django-tasks-rq: django-rq's
    ``rqworker`` with django-tasks-rq's job class, on the backend's queues.
    Other backends: None (the immediate and dummy backends have no worker; for
    anything else the demo cannot know).
    """
    backend = _default_backend()
    if _is_database_backend(backend):
        return WORKER_COMMAND
    if _is_rq_backend(backend):
        args = conf.rq_worker_command(queues=sorted(backend.queues))
        return f"python manage.py {shlex.join(args)}"
    return None


def _dashboard_context() -> dict[str, Any]:
    """The dashboard partial's context: the counts, or why there are none."""
    backend = _default_backend()
    if _is_database_backend(backend):
        return {"dashboard": queue_dashboard()}
    # django.tasks has no API to list a queue: only django-tasks-db's table
    # can be read here. Say so rather than show counts of an unused table.
    return {
        "dashboard": None,
        "backend_path": _backend_path(),
        "backend_is_rq": _is_rq_backend(backend),
    }


def _room_page(
    request: HttpRequest,
    *,
    status: int = 200,
    emails_form: EmailsForm | None = None,
    export_form: ExportForm | None = None,
    failure_form: FailureForm | None = None,
) -> TemplateResponse:
    backend = _default_backend()
    backend_is_rq = _is_rq_backend(backend)
    return TemplateResponse(
        request,
        INDEX,
        {
            "room": rooms.ROOMS_BY_SLUG["tasks"],
            "sources": rooms.sources("tasks"),
            "api": compat.feature_source("tasks"),
            "tasks_package": compat.TASKS_PACKAGE,
            "backend_is_database": _is_database_backend(backend),
            "worker_command": worker_command(),
            "emails_form": emails_form or EmailsForm(),
            "export_form": export_form or ExportForm(),
            "failure_form": failure_form or FailureForm(),
            **_dashboard_context(),
            "backend_is_rq": backend_is_rq,
            "backend_path": _backend_path(),
        },
        status=status,
    )


@require_GET
@never_cache
@vary_on_headers("HX-Request")
def index(request: HtmxHttpRequest) -> TemplateResponse:
    """The room: a form per task, the queue dashboard, which package does what.

    htmx polls the same URL for the dashboard alone.
    """
    if request.htmx:
        return TemplateResponse(request, f"{INDEX}#dashboard", _dashboard_context())
    return _room_page(request)


# -- Enqueueing -----------------------------------------------------------------


@require_POST
@transaction.non_atomic_requests
def enqueue_emails(request: HttpRequest) -> HttpResponse:
    """Enqueue the acceptance emails; non-JSON arguments come back as a form error."""
    form = EmailsForm(request.POST)
    if form.is_valid():
        kwargs = form.task_kwargs()
        try:
            # No transaction is open (non_atomic_requests), so on_commit runs
            # the enqueue at once; inside atomic() it would wait for the commit.
            pending = EnqueueOnCommit(lambda: demo_tasks.send_acceptance_emails.enqueue(**kwargs))
        except (TypeError, ValueError) as error:
            # enqueue() turns the arguments into JSON before storing anything:
            # TypeError for a type JSON lacks, ValueError for bytes not UTF-8.
            form.add_error(
                None,
                f"enqueue() refused the arguments ({error}): a task takes only JSON "
                "values (str, int, float, bool, None, lists and dicts of them). "
                "Nothing was stored.",
            )
        else:
            return _status_redirect(pending.result.id)
    return _room_page(request, status=422, emails_form=form)


@require_POST
@transaction.non_atomic_requests
def enqueue_export(request: HttpRequest) -> HttpResponse:
    """Create a ScheduleExport row, then enqueue the task that fills it."""
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _room_page(request, status=422, export_form=form)
    delay_ms: int = form.cleaned_data["delay_ms"]
    with transaction.atomic():
        export = ScheduleExport.objects.create(format=form.cleaned_data["format"])
        # The task reads this row: enqueue once it is committed, or a quick
        # worker could look for it first. (django-tasks-db on the same
        # database would commit its task row with ours anyway; on_commit
        # keeps the view right with any backend, or a separate queue database.)
        pending = EnqueueOnCommit(
            lambda: demo_tasks.build_schedule_export.enqueue(export.pk, delay_ms=delay_ms)
        )
    return _status_redirect(pending.result.id)


@require_POST
@transaction.non_atomic_requests
def enqueue_failure(request: HttpRequest) -> HttpResponse:
    """Enqueue a task that raises."""
    form = FailureForm(request.POST)
    if not form.is_valid():
        return _room_page(request, status=422, failure_form=form)
    message: str = form.cleaned_data["message"]
    pending = EnqueueOnCommit(lambda: demo_tasks.fail_on_demand.enqueue(message))
    return _status_redirect(pending.result.id)


@require_POST
@transaction.non_atomic_requests
def enqueue_attempt(request: HttpRequest) -> HttpResponse:
    """Enqueue the takes_context task that reports its attempt."""
    pending = EnqueueOnCommit(lambda: demo_tasks.report_attempt.enqueue())
    return _status_redirect(pending.result.id)


# -- One task's status ------------------------------------------------------------


def _get_result(result_id: str) -> AnyResult:
    """Return the default backend's result ``result_id``, or raise Http404."""
    try:
        return _default_backend().get_result(result_id)
    except compat.task_result_does_not_exist():
        raise Http404(f"No task result {result_id}.") from None
    except NotImplementedError:
        raise Http404(
            f"The default task backend ({_backend_path()}) cannot look results up."
        ) from None
    except (ImportError, AttributeError, ValueError) as error:
        # The stored task path no longer imports (the code changed):
        # django-tasks-db raises ImportError; RQ's import_attribute raises
        # ValueError (no such module) or AttributeError (no such name).
        raise Http404(
            f"Task result {result_id} names a task that cannot be imported: {error}"
        ) from error


def _seconds(later: datetime | None, earlier: datetime | None) -> str | None:
    if later is None or earlier is None:
        return None
    return f"{(later - earlier).total_seconds():.3f} s"


def _status_context(result: AnyResult) -> dict[str, Any]:
    rerun = Rerun.objects.filter(original_id=result.id).first()
    successful = result.status == compat.TaskResultStatus.SUCCESSFUL
    return {
        "room": rooms.ROOMS_BY_SLUG["tasks"],
        "result": result,
        "task": result.task,
        "arguments": json.dumps({"args": result.args, "kwargs": result.kwargs}),
        "waited": _seconds(result.started_at, result.enqueued_at),
        "ran": _seconds(result.finished_at, result.started_at),
        # Escaped by the template; pretty-printed JSON, as the backend stored it.
        "return_value": json.dumps(result.return_value, indent=2, sort_keys=True)
        if successful
        else None,
        "error": result.errors[0] if result.errors else None,
        "export": ScheduleExport.objects.filter(result_id=result.id).first(),
        "rerun": rerun,
        "rerun_of": Rerun.objects.filter(new_id=result.id).first(),
        "can_rerun": result.status == compat.TaskResultStatus.FAILED and rerun is None,
        "worker_command": worker_command(),
    }


@require_GET
@never_cache
@vary_on_headers("HX-Request")
def status(request: HtmxHttpRequest, result_id: str) -> TemplateResponse:
    """A task's status page; for htmx, only the status partial, 286 once finished."""
    result = _get_result(result_id)
    context = _status_context(result)
    if request.htmx:
        # 286 tells htmx to stop polling; the partial sent with it does not
        # poll either, so a swap that misses the status code still stops.
        response = TemplateResponse(request, f"{STATUS}#status", context)
        if result.is_finished:
            response.status_code = HTMX_STOP_POLLING
            # No standard name: the status line (and the inspector) says what it means.
            response.reason_phrase = "Stop Polling"
        return response
    return TemplateResponse(request, STATUS, context)


def _rerun(result: AnyResult) -> AnyResult:
    # The new task and the link to it are stored together, or not at all.
    with transaction.atomic():
        new = result.task.enqueue(*result.args, **result.kwargs)
        Rerun.objects.create(original_id=result.id, new_id=new.id)
    return new


@require_POST
@transaction.non_atomic_requests
def reenqueue(request: HttpRequest, result_id: str) -> HttpResponse:
    """Enqueue a FAILED task again, as a new task with the same arguments."""
    result = _get_result(result_id)
    if (rerun := Rerun.objects.filter(original_id=result.id).first()) is not None:
        # Already re-enqueued (a second click): the same new task.
        return _status_redirect(rerun.new_id)
    if result.status != compat.TaskResultStatus.FAILED:
        return HttpResponse(
            f"Only a FAILED task can be re-enqueued; this one is {result.status}.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    try:
        pending = EnqueueOnCommit(lambda: _rerun(result))
    except IntegrityError:
        # Another request re-enqueued it between our check and our write.
        return _status_redirect(Rerun.objects.get(original_id=result.id).new_id)
    return _status_redirect(pending.result.id)


@require_GET
def download(request: HttpRequest, result_id: str) -> HttpResponse:
    """The finished export file of the task ``result_id``, as an attachment."""
    export = ScheduleExport.objects.filter(result_id=result_id, finished_at__isnull=False).first()
    if export is None:
        raise Http404(f"No finished export for task {result_id}.")
    return HttpResponse(
        export.content,
        content_type=export.content_type,
        headers={"Content-Disposition": content_disposition_header(True, export.filename)},
    )
