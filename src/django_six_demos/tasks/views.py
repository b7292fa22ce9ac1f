"""Background tasks: ``django.tasks`` (Django 6.0; django-tasks on 5.2), run by django-tasks-db.
https://docs.djangoproject.com/en/6.0/topics/tasks/

Capped, rate-limited enqueues; status pages htmx polls; the emails sent, listed in development.
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
from django_htmx.http import HTMX_STOP_POLLING

from django_six_demos import accounts, compat, limits
from django_six_demos.conference import access
from django_six_demos.demo import demo_for, gated
from django_six_demos.htmx import HtmxHttpRequest
from django_six_demos.tasks import caps, outbox
from django_six_demos.tasks.caps import default_backend, is_database_backend, is_rq_backend
from django_six_demos.tasks.forms import EmailsForm, ExportForm, FailureForm
from django_six_demos.tasks.models import Rerun, ScheduleExport
from django_six_demos.tasks.rq import rq_worker_command

if TYPE_CHECKING or compat.tasks_api_importable():
    # Django 5.2 without django-tasks: the URLconf must import for E001 to speak.
    from django_tasks_db.models import DBTaskResult, get_date_max

    from django_six_demos.tasks import tasks as demo_tasks

if TYPE_CHECKING:
    from django.tasks.base import TaskError

    from django_six_demos.compat import Task, TaskResult

    AnyResult = TaskResult[Any, Any]

INDEX: Final = "django_six_demos/tasks/index.html"
STATUS: Final = "django_six_demos/tasks/status.html"
# READY tasks this old, and nothing finished meanwhile: no worker, or a stuck one.
STALL_AFTER: Final = timedelta(seconds=30)
RECENT: Final = 10
# db_worker after reaping lost tasks, on every demo queue.
WORKER_COMMAND: Final = "python manage.py demos_worker"

# How often one user, and one address, may enqueue each task. Mail goes out to
# real inboxes, so the emails get the tightest limit.
EMAILS_RATE: Final = limits.Rate(per_user="3/h", per_ip="10/h")
EXPORT_RATE: Final = limits.Rate(per_user="10/h", per_ip="30/h")
SMALL_TASK_RATE: Final = limits.Rate(per_user="20/h", per_ip="60/h")
REENQUEUE_RATE: Final = limits.Rate(per_user="20/h", per_ip="60/h")
EMAILS_BUSY: Final = (
    "Acceptance emails are already on their way (a task is waiting or running): one "
    "batch at a time, so nothing was enqueued. Try again once it has finished."
)


class EnqueueOnCommit:
    """Enqueue a task once the current transaction commits (django-tasks dropped that in 0.10).

    Outside a transaction ``on_commit`` runs ``enqueue`` at once; ``.result`` afterwards.
    """

    def __init__(self, enqueue: Callable[[], AnyResult]) -> None:
        self._results: list[AnyResult] = []
        transaction.on_commit(lambda: self._results.append(enqueue()))

    @property
    def result(self) -> AnyResult:
        if not self._results:  # an outer transaction (a test's) has not committed
            raise RuntimeError("The transaction has not committed: the task is not enqueued yet.")
        return self._results[0]


def _status_redirect(result_id: str) -> HttpResponseRedirect:
    return redirect("django_six_demos_tasks:status", result_id)


@dataclass(frozen=True)
class QueueCounts:
    name: str
    counts: list[int]  # in the order of QueueDashboard.statuses
    total: int
    statuses: tuple[str, ...] = ()

    @property
    def cells(self) -> list[tuple[str, int]]:
        """(status, count) pairs: each count with its column's name, for a phone's stacked rows."""
        return list(zip(self.statuses, self.counts, strict=True))


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
    """Warn if ``waiting`` tasks are due since over STALL_AFTER and none finished since."""
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
    counts: dict[str, dict[str, int]] = {name: {} for name in default_backend().queues}
    rows = DBTaskResult.objects.values_list("queue_name", "status").annotate(n=Count("pk"))
    for queue_name, status, count in rows.order_by():
        counts.setdefault(queue_name, {})[status] = count
    queues = [
        QueueCounts(
            name,
            [by_status.get(s, 0) for s in statuses],
            sum(by_status.values()),
            tuple(statuses),
        )
        for name, by_status in sorted(counts.items())
    ]
    ready = DBTaskResult.objects.ready()
    waiting_since = None
    if (oldest := ready.order_by("enqueued_at").first()) is not None:
        # A deferred task is due from run_after, not from when it was enqueued.
        due = oldest.run_after if oldest.run_after != get_date_max() else oldest.enqueued_at
        waiting_since = max(oldest.enqueued_at, due)
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


def worker_command() -> str | None:
    """The command that starts a worker for the default backend, or None if it has none."""
    backend = default_backend()
    if is_database_backend(backend):
        return WORKER_COMMAND
    if is_rq_backend(backend):
        return f"python manage.py {shlex.join(rq_worker_command(queues=sorted(backend.queues)))}"
    return None


def _backend_context() -> dict[str, Any]:
    backend = default_backend()
    return {
        "backend_path": f"{type(backend).__module__}.{type(backend).__qualname__}",
        "backend_is_rq": is_rq_backend(backend),
        "backend_is_database": is_database_backend(backend),
        "worker_command": worker_command(),
    }


def _dashboard_context(request: HttpRequest) -> dict[str, Any]:
    if not is_database_backend(default_backend()):  # django.tasks cannot list a queue
        return {"dashboard": None, **_backend_context()}
    # Only staff get links to other visitors' status pages (arguments, errors).
    return {"dashboard": queue_dashboard(), "show_status_links": access.is_staff(request.user)}


def _who_may(request: HttpRequest) -> dict[str, Any]:
    """What this visitor may do here: the page shows only the forms they may use."""
    user = request.user
    staff = access.is_staff(user)
    speaker = None if staff else access.speaker_of(user)
    return {
        "is_staff": staff,
        "emails_mode": "batch" if staff else ("own" if speaker is not None else None),
        # The demos' own sign-in page: a host project may serve no LOGIN_URL.
        "sign_in_url": accounts.sign_in_url(request.get_full_path()),
        "rates": {
            "emails": EMAILS_RATE,
            "export": EXPORT_RATE,
            "small": SMALL_TASK_RATE,
            "reenqueue": REENQUEUE_RATE,
        },
        "caps": {
            "max_ready_per_queue": caps.MAX_READY_PER_QUEUE,
            "keep_exports": caps.KEEP_EXPORTS,
            "keep_results": caps.KEEP_RESULTS,
        },
    }


def _outbox_context(request: HttpRequest) -> dict[str, Any]:
    """Where the emails went; with the file-based backend, the newest messages this visitor may read.

    Staff read every message, a speaker those to their own address, anyone else none.
    """
    mailer = outbox.default_mailer()
    context: dict[str, Any] = {"mailer": mailer, "sent_emails": None}
    if mailer.file_path is None:
        return context
    if access.is_staff(request.user):
        context["sent_emails"] = outbox.sent_emails(mailer.file_path)
    elif (speaker := access.speaker_of(request.user)) is not None:
        address = demo_tasks.speaker_email(speaker)
        context["sent_emails"] = outbox.sent_emails(mailer.file_path, addressed_to=address)
    context["outbox_limit"] = outbox.MAX_LISTED
    return context


def _room_page(request: HttpRequest, *, status: int = 200, **forms: Any) -> TemplateResponse:
    context = {
        **demo_for(__name__).context(),
        "api": gated("Tasks API", "tasks"),
        "tasks_package": compat.TASKS_PACKAGE,
        "emails_form": EmailsForm(),
        "export_form": ExportForm(),
        "failure_form": FailureForm(),
        **forms,
        **_who_may(request),
        **_dashboard_context(request),
        **_backend_context(),
        **_outbox_context(request),
    }
    return TemplateResponse(request, INDEX, context, status=status)


@require_GET
@never_cache
@vary_on_headers("HX-Request")
def index(request: HtmxHttpRequest) -> TemplateResponse:
    """The room: a form per task and the queue dashboard, which htmx polls alone."""
    if request.htmx:
        return TemplateResponse(request, f"{INDEX}#dashboard", _dashboard_context(request))
    return _room_page(request)


def enqueue_capped(
    request: HttpRequest, task: Task[Any, Any], enqueue: Callable[[], AnyResult]
) -> HttpResponse:
    """Check the caps, ``enqueue()`` once that transaction commits, then show the task."""
    with transaction.atomic():
        if (refusal := caps.check(request, task)) is not None:
            return refusal
        pending = EnqueueOnCommit(enqueue)
    return _status_redirect(pending.result.id)


@require_POST
@transaction.non_atomic_requests
@limits.side_effect(group="tasks-emails", rate=EMAILS_RATE, action="send acceptance emails")
def enqueue_emails(request: HttpRequest) -> HttpResponse:
    """Enqueue the acceptance emails: staff, to every speaker; a speaker, their own."""
    staff = access.is_staff(request.user)
    speaker = None if staff else access.speaker_of(request.user)
    form: EmailsForm | None = None
    if staff:
        form = EmailsForm(request.POST)
        if not form.is_valid():
            return _room_page(request, status=422, emails_form=form)
        kwargs = form.task_kwargs()
    elif speaker is not None:
        kwargs = {"speaker_id": speaker.pk}  # without a grant: grants are staff's to promise
    else:
        message = (
            "Only staff send the acceptance emails, and a speaker their own: "
            "this account is neither."
        )
        return limits.refused(request, message, status=403)
    task = demo_tasks.send_acceptance_emails
    try:
        with transaction.atomic():
            if (refusal := caps.check(request, task, busy_message=EMAILS_BUSY)) is not None:
                return refusal
            # Not on commit: the task reads no row written here, and no second batch slips in.
            result = task.enqueue(**kwargs)
    except (TypeError, ValueError) as error:  # enqueue() refuses non-JSON arguments
        if form is None:
            raise
        message = (
            f"enqueue() refused the arguments ({error}): a task takes only JSON values "
            "(str, int, float, bool, None, lists and dicts of them). Nothing was stored."
        )
        form.add_error(None, message)
        return _room_page(request, status=422, emails_form=form)
    return _status_redirect(result.id)


@require_POST
@transaction.non_atomic_requests
@limits.side_effect(group="tasks-export", rate=EXPORT_RATE, action="build schedule exports")
def enqueue_export(request: HttpRequest) -> HttpResponse:
    """Create a ScheduleExport row (pruning old ones), then enqueue the task that fills it."""
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _room_page(request, status=422, export_form=form)
    task = demo_tasks.build_schedule_export

    def create_then_enqueue() -> AnyResult:  # on commit: the row exists before the task
        export = ScheduleExport.objects.create(format=form.cleaned_data["format"])
        caps.prune_exports()
        return task.enqueue(export.pk, delay_ms=form.cleaned_data["delay_ms"])

    return enqueue_capped(request, task, create_then_enqueue)


@require_POST
@transaction.non_atomic_requests
@limits.side_effect(group="tasks-failure", rate=SMALL_TASK_RATE, action="enqueue failing tasks")
def enqueue_failure(request: HttpRequest) -> HttpResponse:
    """Enqueue a task that raises."""
    form, task = FailureForm(request.POST), demo_tasks.fail_on_demand
    if form.is_valid():
        return enqueue_capped(request, task, lambda: task.enqueue(form.cleaned_data["message"]))
    return _room_page(request, status=422, failure_form=form)


@require_POST
@transaction.non_atomic_requests
@limits.side_effect(group="tasks-attempt", rate=SMALL_TASK_RATE, action="enqueue context tasks")
def enqueue_attempt(request: HttpRequest) -> HttpResponse:
    """Enqueue the takes_context task that reports its attempt."""
    task = demo_tasks.report_attempt
    return enqueue_capped(request, task, task.enqueue)


def _get_result(result_id: str) -> AnyResult:
    """Return the default backend's result ``result_id``, or raise Http404."""
    try:
        return default_backend().get_result(result_id)
    except compat.task_result_does_not_exist():
        raise Http404(f"No task result {result_id}.") from None
    except NotImplementedError:
        backend = _backend_context()["backend_path"]
        raise Http404(f"The default task backend ({backend}) cannot look results up.") from None
    except (ImportError, AttributeError, ValueError) as error:  # django-tasks-db, RQ
        message = f"Task result {result_id} names a task that cannot be imported: {error}"
        raise Http404(message) from error


def _seconds(later: datetime | None, earlier: datetime | None) -> str | None:
    if later is None or earlier is None:
        return None
    return f"{(later - earlier).total_seconds():.3f} s"


def exception_message(error: TaskError) -> str:
    """The message of the exception a task raised, read from the last block of its traceback."""
    path = error.exception_class_path
    names = {path, path.rpartition(".")[2]}  # builtins print without their module
    lines = error.traceback.rstrip("\n").splitlines()
    for index in range(len(lines) - 1, -1, -1):
        head, colon, rest = lines[index].partition(": ")
        if lines[index] in names or (colon and head in names):
            return "\n".join([rest, *lines[index + 1 :]]).strip()
    return ""


def _is_emails_task(result: AnyResult) -> bool:
    return bool(result.task.module_path == demo_tasks.send_acceptance_emails.module_path)


def _status_context(request: HttpRequest, result: AnyResult) -> dict[str, Any]:
    rerun = Rerun.objects.filter(original_id=result.id).first()
    ok = result.status == compat.TaskResultStatus.SUCCESSFUL
    error = result.errors[0] if result.errors else None
    return {
        **demo_for(__name__).context(),
        "result": result,
        "task": result.task,
        "arguments": json.dumps({"args": result.args, "kwargs": result.kwargs}),
        "waited": _seconds(result.started_at, result.enqueued_at),
        "ran": _seconds(result.finished_at, result.started_at),
        "return_value": json.dumps(result.return_value, indent=2, sort_keys=True) if ok else None,
        "error": error,
        "error_message": None if error is None else exception_message(error),
        # Tracebacks name the server's files, and only staff re-enqueue.
        "is_staff": access.is_staff(request.user),
        "export": ScheduleExport.objects.filter(result_id=result.id).first(),
        "rerun": rerun,
        "rerun_of": Rerun.objects.filter(new_id=result.id).first(),
        "failed_once": result.status == compat.TaskResultStatus.FAILED and rerun is None,
        "sign_in_url": accounts.sign_in_url(request.get_full_path()),
        "worker_command": worker_command(),
        # Only the emails' page says where they went: a backend per poll otherwise.
        "mailer": outbox.default_mailer() if _is_emails_task(result) else None,
    }


@require_GET
@never_cache
@vary_on_headers("HX-Request")
def status(request: HtmxHttpRequest, result_id: str) -> TemplateResponse:
    """A task's status page; for htmx, only the status partial, 286 once finished."""
    result = _get_result(result_id)
    context = _status_context(request, result)
    if request.htmx:  # 286 stops htmx polling; the partial sent with it does not poll either
        response = TemplateResponse(request, f"{STATUS}#status", context)
        if result.is_finished:
            response.status_code = HTMX_STOP_POLLING
            response.reason_phrase = "Stop Polling"
        return response
    return TemplateResponse(request, STATUS, context)


def _rerun(result: AnyResult) -> AnyResult:
    with transaction.atomic():
        new = result.task.enqueue(*result.args, **result.kwargs)
        Rerun.objects.create(original_id=result.id, new_id=new.id)
    return new


@require_POST
@transaction.non_atomic_requests
@limits.side_effect(
    group="tasks-reenqueue", rate=REENQUEUE_RATE, action="re-enqueue a failed task", staff_only=True
)
def reenqueue(request: HttpRequest, result_id: str) -> HttpResponse:
    """Enqueue a FAILED task again, as a new task with the same arguments (staff only)."""
    result = _get_result(result_id)
    if (rerun := Rerun.objects.filter(original_id=result.id).first()) is not None:
        return _status_redirect(rerun.new_id)  # a second click: the same new task
    if result.status != compat.TaskResultStatus.FAILED:
        message = f"Only a FAILED task can be re-enqueued; this one is {result.status}."
        return limits.refused(request, message, status=409)
    try:
        return enqueue_capped(request, result.task, lambda: _rerun(result))
    except IntegrityError:  # another request re-enqueued it meanwhile
        return _status_redirect(Rerun.objects.get(original_id=result.id).new_id)


@require_GET
def download(request: HttpRequest, result_id: str) -> HttpResponse:
    """The finished export file of the task ``result_id``, as an attachment."""
    export = ScheduleExport.objects.filter(result_id=result_id, finished_at__isnull=False).first()
    if export is None:
        raise Http404(f"No finished export for task {result_id}.")
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    return response
