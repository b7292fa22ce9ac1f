"""Background tasks: ``django.tasks`` (Django 6.0; django-tasks on Django 5.2), run by
django-tasks-db's database worker.
https://docs.djangoproject.com/en/6.0/topics/tasks/

The room page enqueues four tasks, for signed-in visitors only, within rate
limits and the caps of ``tasks/caps.py``. Each enqueue waits for the transaction
to commit (``transaction.on_commit``), then the browser goes to the task's
status page, which htmx polls until the task is finished (the view then answers
286, htmx's "stop polling"). Staff may re-enqueue a failed task as a new task.
The queue dashboard reads django-tasks-db's own table; with another backend
(such as django-tasks-rq, for a site on several machines) the room says so
instead, and every other page works the same.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from django.contrib.auth.views import redirect_to_login
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

from django_six_demos import compat, conf, limits, rooms
from django_six_demos.conference import access
from django_six_demos.tasks import caps
from django_six_demos.tasks.caps import default_backend, is_database_backend, is_rq_backend
from django_six_demos.tasks.forms import EmailsForm, ExportForm, FailureForm
from django_six_demos.tasks.models import Rerun, ScheduleExport

if TYPE_CHECKING or compat.tasks_api_importable():
    # Django 5.2 without django-tasks: this module (and so the URLconf) must
    # still import, so that the django_six_demos.E001 check can say what to
    # install. Nothing below runs then: E001 stops the server from starting.
    from django_tasks_db.models import DBTaskResult, get_date_max

    from django_six_demos.tasks import tasks as demo_tasks

if TYPE_CHECKING:
    from django.tasks.base import TaskError

    from django_six_demos.compat import Task, TaskResult

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

# How often one user, and one address, may enqueue each task. Mail goes out to
# real inboxes, so the emails get the tightest limit.
EMAILS_RATE: Final = limits.Rate(per_user="3/h", per_ip="10/h")
EXPORT_RATE: Final = limits.Rate(per_user="10/h", per_ip="30/h")
# The failing task and the context task cost little: room to try them out.
SMALL_TASK_RATE: Final = limits.Rate(per_user="20/h", per_ip="60/h")
REENQUEUE_RATE: Final = limits.Rate(per_user="20/h", per_ip="60/h")
EMAILS_BUSY: Final = (
    "Acceptance emails are already on their way (a task is waiting or running): one "
    "batch at a time, so nothing was enqueued. Try again once it has finished."
)


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
    counts: dict[str, dict[str, int]] = {name: {} for name in sorted(default_backend().queues)}
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


def _backend_path() -> str:
    backend = default_backend()
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def worker_command() -> str | None:
    """Return the command that starts a worker for the default backend, or None.

    django-tasks-db: ``db_worker`` on every queue. django-tasks-rq: django-rq's
    ``rqworker`` with django-tasks-rq's job class, on the backend's queues.
    Other backends: None (the immediate and dummy backends have no worker; for
    anything else the demo cannot know).
    """
    backend = default_backend()
    if is_database_backend(backend):
        return WORKER_COMMAND
    if is_rq_backend(backend):
        args = conf.rq_worker_command(queues=sorted(backend.queues))
        return f"python manage.py {shlex.join(args)}"
    return None


def _dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """The dashboard partial's context: the counts, or why there are none."""
    backend = default_backend()
    if is_database_backend(backend):
        # Anyone sees the counts and the newest tasks; only staff get links to
        # other visitors' status pages (arguments, results, errors).
        return {
            "dashboard": queue_dashboard(),
            "show_status_links": access.is_staff(request.user),
        }
    # django.tasks has no API to list a queue: only django-tasks-db's table
    # can be read here. Say so rather than show counts of an unused table.
    return {
        "dashboard": None,
        "backend_path": _backend_path(),
        "backend_is_rq": is_rq_backend(backend),
    }


def _who_may(request: HttpRequest) -> dict[str, Any]:
    """What this visitor may do here: the page shows only the forms they may use."""
    user = request.user
    staff = access.is_staff(user)
    speaker = None if staff else access.speaker_of(user)
    return {
        "signed_in": user.is_authenticated,
        "username": user.get_username() if user.is_authenticated else "",
        "is_staff": staff,
        # "batch": every speaker's email; "own": this speaker's; None: neither.
        "emails_mode": "batch" if staff else ("own" if speaker is not None else None),
        # LOGIN_URL resolved here (redirect_to_login uses resolve_url): a host
        # project's sign-in page may have any URL name, or none.
        "sign_in_url": redirect_to_login(request.get_full_path()).url,
        "rates": {
            "emails": EMAILS_RATE,
            "export": EXPORT_RATE,
            "small": SMALL_TASK_RATE,
            "reenqueue": REENQUEUE_RATE,
        },
        "caps": caps.describe(),
    }


def _room_page(
    request: HttpRequest,
    *,
    status: int = 200,
    emails_form: EmailsForm | None = None,
    export_form: ExportForm | None = None,
    failure_form: FailureForm | None = None,
) -> TemplateResponse:
    backend = default_backend()
    backend_is_rq = is_rq_backend(backend)
    return TemplateResponse(
        request,
        INDEX,
        {
            "room": rooms.ROOMS_BY_SLUG["tasks"],
            "sources": rooms.sources("tasks"),
            "api": compat.feature_source("tasks"),
            "tasks_package": compat.TASKS_PACKAGE,
            "backend_is_database": is_database_backend(backend),
            "worker_command": worker_command(),
            "emails_form": emails_form or EmailsForm(),
            "export_form": export_form or ExportForm(),
            "failure_form": failure_form or FailureForm(),
            **_who_may(request),
            **_dashboard_context(request),
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
        return TemplateResponse(request, f"{INDEX}#dashboard", _dashboard_context(request))
    return _room_page(request)


# -- Enqueueing -----------------------------------------------------------------


def check_caps(
    request: HttpRequest, task: Task[Any, Any], *, busy_message: str | None = None
) -> HttpResponse | None:
    """Prune, then check the caps before enqueueing ``task``: a refusal, or None.

    Call inside ``transaction.atomic()``, and enqueue in the same block, so
    that two requests cannot both pass the check. With ``busy_message``, one
    such task at a time: while another is READY or RUNNING, a 409 says so. A
    queue with MAX_READY_PER_QUEUE tasks waiting refuses more (503, Retry-After).
    """
    caps.serialise_enqueues()
    caps.prune_results()
    if busy_message is not None:
        mine = caps.queue_load(task.queue_name, task_path=task.module_path)
        if mine is not None and mine.in_flight:
            return limits.refused(request, busy_message, status=409)
    load = caps.queue_load(task.queue_name)
    if load is not None and load.ready >= caps.MAX_READY_PER_QUEUE:
        return limits.refused(
            request,
            caps.queue_full_message(task.queue_name, load),
            status=503,
            retry_after=caps.RETRY_AFTER_SECONDS,
        )
    return None


@require_POST
@transaction.non_atomic_requests
@limits.side_effect(group="tasks-emails", rate=EMAILS_RATE, action="send acceptance emails")
def enqueue_emails(request: HttpRequest) -> HttpResponse:
    """Enqueue the acceptance emails: staff, to every speaker; a speaker, their own.

    One acceptance-email task at a time; non-JSON arguments come back as a
    form error.
    """
    staff = access.is_staff(request.user)
    speaker = None if staff else access.speaker_of(request.user)
    form: EmailsForm | None = None
    kwargs: dict[str, Any]
    if staff:
        form = EmailsForm(request.POST)
        if not form.is_valid():
            return _room_page(request, status=422, emails_form=form)
        kwargs = form.task_kwargs()
    elif speaker is not None:
        # A speaker's own email, without a grant: grants are staff's to promise.
        kwargs = {"speaker_id": speaker.pk}
    else:
        return limits.refused(
            request,
            "Only staff send the acceptance emails, and a speaker their own: "
            "this account is neither.",
            status=403,
        )
    task = demo_tasks.send_acceptance_emails
    try:
        with transaction.atomic():
            refusal = check_caps(request, task, busy_message=EMAILS_BUSY)
            if refusal is not None:
                return refusal
            # Enqueued inside the transaction, not on commit: the task reads
            # no row this view writes, and django-tasks-db's row then commits
            # with the check above, so a second batch cannot slip in between.
            result = task.enqueue(**kwargs)
    except (TypeError, ValueError) as error:
        # enqueue() turns the arguments into JSON before storing anything:
        # TypeError for a type JSON lacks, ValueError for bytes not UTF-8.
        if form is None:
            raise
        form.add_error(
            None,
            f"enqueue() refused the arguments ({error}): a task takes only JSON "
            "values (str, int, float, bool, None, lists and dicts of them). "
            "Nothing was stored.",
        )
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
    delay_ms: int = form.cleaned_data["delay_ms"]
    task = demo_tasks.build_schedule_export
    with transaction.atomic():
        if (refusal := check_caps(request, task)) is not None:
            return refusal
        export = ScheduleExport.objects.create(format=form.cleaned_data["format"])
        caps.prune_exports()
        # The task reads this row: enqueue once it is committed, or a quick
        # worker could look for it first. (django-tasks-db on the same
        # database would commit its task row with ours anyway; on_commit
        # keeps the view right with any backend, or a separate queue database.)
        pending = EnqueueOnCommit(lambda: task.enqueue(export.pk, delay_ms=delay_ms))
    return _status_redirect(pending.result.id)


@require_POST
@transaction.non_atomic_requests
@limits.side_effect(group="tasks-failure", rate=SMALL_TASK_RATE, action="enqueue failing tasks")
def enqueue_failure(request: HttpRequest) -> HttpResponse:
    """Enqueue a task that raises."""
    form = FailureForm(request.POST)
    if not form.is_valid():
        return _room_page(request, status=422, failure_form=form)
    message: str = form.cleaned_data["message"]
    task = demo_tasks.fail_on_demand
    with transaction.atomic():
        if (refusal := check_caps(request, task)) is not None:
            return refusal
        pending = EnqueueOnCommit(lambda: task.enqueue(message))
    return _status_redirect(pending.result.id)


@require_POST
@transaction.non_atomic_requests
@limits.side_effect(group="tasks-attempt", rate=SMALL_TASK_RATE, action="enqueue context tasks")
def enqueue_attempt(request: HttpRequest) -> HttpResponse:
    """Enqueue the takes_context task that reports its attempt."""
    task = demo_tasks.report_attempt
    with transaction.atomic():
        if (refusal := check_caps(request, task)) is not None:
            return refusal
        pending = EnqueueOnCommit(lambda: task.enqueue())
    return _status_redirect(pending.result.id)


# -- One task's status ------------------------------------------------------------


def _get_result(result_id: str) -> AnyResult:
    """Return the default backend's result ``result_id``, or raise Http404."""
    try:
        return default_backend().get_result(result_id)
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


def exception_message(error: TaskError) -> str:
    """The message of the exception a task raised, read from its traceback.

    A TaskError stores the class path and the whole traceback, whose last
    block starts with ``<class>: <message>`` (the class as Python prints it:
    with its module, or bare for builtins).
    """
    path = error.exception_class_path
    names = {path, path.rpartition(".")[2]}
    lines = error.traceback.rstrip("\n").splitlines()
    for index in range(len(lines) - 1, -1, -1):
        head, colon, rest = lines[index].partition(": ")
        if lines[index] in names or (colon and head in names):
            return "\n".join([rest, *lines[index + 1 :]]).strip()
    return ""


def _status_context(request: HttpRequest, result: AnyResult) -> dict[str, Any]:
    rerun = Rerun.objects.filter(original_id=result.id).first()
    successful = result.status == compat.TaskResultStatus.SUCCESSFUL
    error = result.errors[0] if result.errors else None
    staff = access.is_staff(request.user)
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
        "error": error,
        "error_message": None if error is None else exception_message(error),
        # A traceback names the server's files and code: staff only. Everyone
        # sees the exception's class and message.
        "show_traceback": staff,
        "export": ScheduleExport.objects.filter(result_id=result.id).first(),
        "rerun": rerun,
        "rerun_of": Rerun.objects.filter(new_id=result.id).first(),
        "failed_once": result.status == compat.TaskResultStatus.FAILED and rerun is None,
        "can_rerun": staff,
        "signed_in": request.user.is_authenticated,
        "sign_in_url": redirect_to_login(request.get_full_path()).url,
        "worker_command": worker_command(),
    }


@require_GET
@never_cache
@vary_on_headers("HX-Request")
def status(request: HtmxHttpRequest, result_id: str) -> TemplateResponse:
    """A task's status page; for htmx, only the status partial, 286 once finished."""
    result = _get_result(result_id)
    context = _status_context(request, result)
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
@limits.side_effect(
    group="tasks-reenqueue",
    rate=REENQUEUE_RATE,
    action="re-enqueue a failed task",
    staff_only=True,
)
def reenqueue(request: HttpRequest, result_id: str) -> HttpResponse:
    """Enqueue a FAILED task again, as a new task with the same arguments (staff only)."""
    result = _get_result(result_id)
    if (rerun := Rerun.objects.filter(original_id=result.id).first()) is not None:
        # Already re-enqueued (a second click): the same new task.
        return _status_redirect(rerun.new_id)
    if result.status != compat.TaskResultStatus.FAILED:
        return limits.refused(
            request,
            f"Only a FAILED task can be re-enqueued; this one is {result.status}.",
            status=409,
        )
    try:
        with transaction.atomic():
            if (refusal := check_caps(request, result.task)) is not None:
                return refusal
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
