"""SQLite in production: dj-lite's settings read back live, and a contention lab that proves them.
https://docs.djangoproject.com/en/6.0/ref/databases/#sqlite-notes

The lab enqueues a bounded run (staff only, one at a time) and htmx polls its status.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, Final

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HTMX_STOP_POLLING

from django_six_demos import accounts, compat, limits
from django_six_demos.demo import demo_for
from django_six_demos.htmx import HtmxHttpRequest
from django_six_demos.sqlite import contention, database
from django_six_demos.sqlite.forms import ContentionLabForm
from django_six_demos.sqlite.models import ACTIVE_FOR, KEEP_RUNS, ContentionRun
from django_six_demos.sqlite.routers import QUEUE_DATABASE, TaskQueueRouter

logger = logging.getLogger(__name__)

SETTINGS_PAGE: Final = "django_six_demos/sqlite/index.html"
LAB: Final = "django_six_demos/sqlite/lab.html"
# A run queued longer than this gets a hint that no worker may be running.
WORKER_HINT_AFTER: Final = timedelta(seconds=10)
# A run starts up to ten processes for seconds and holds the worker: staff only, this often...
LAB_RATE: Final = limits.Rate(per_user="10/h", per_ip="20/h")
# ... and never sooner than this after the last run was created, started or finished.
LAB_COOL_DOWN: Final = timedelta(minutes=2)
RECENT_RUNS: Final = 5  # the lab lists this many runs, newest first
CHART_LABEL_WIDTH: Final = 150
CHART_BAR_MAX: Final = 240
CHART_ROW: Final = 28
RESULT_CELLS: Final = {
    **dict.fromkeys(("commits", "locked", "other_errors"), "{:,}"),
    **dict.fromkeys(("expected_rows", "found_rows", "lost_rows"), "{:,}"),
    **dict.fromkeys(("commits_per_second", "reads_per_second"), "{:,.0f}"),
    **dict.fromkeys(("p50_ms", "p99_ms"), "{:,.2f}"),
    "lock_error_rate": "{:.0%}",
}


@dataclass(frozen=True)
class SiteDatabase:
    alias: str
    display_name: str
    is_sqlite: bool
    file_name: str | None  # never the full path; None in memory or not SQLite


def site_database(connection: BaseDatabaseWrapper) -> SiteDatabase:
    """Describe ``connection`` without querying it."""
    path = database.database_file(connection)
    return SiteDatabase(
        connection.alias,
        connection.display_name,
        connection.vendor == "sqlite",
        None if path is None else path.name,
    )


def _queue_database() -> str | None:
    """The file name of the task queue's own database, if the site routes it to one."""
    router_path = f"{TaskQueueRouter.__module__}.{TaskQueueRouter.__qualname__}"
    routed = any(
        router == router_path or isinstance(router, TaskQueueRouter)
        for router in getattr(settings, "DATABASE_ROUTERS", [])
    )
    if not routed or QUEUE_DATABASE not in connections.settings:
        return None
    path = database.database_file(connections[QUEUE_DATABASE])
    return path.name if path is not None else QUEUE_DATABASE


@require_GET
def index(request: HttpRequest) -> TemplateResponse:
    """The settings page: each setting, Django's default, ours, why, and the live value."""
    connection = connections[DEFAULT_DB_ALIAS]
    site = site_database(connection)
    served_by_asgi = isinstance(request, ASGIRequest)
    rows = database.live_settings(connection if site.is_sqlite else None, asgi=served_by_asgi)
    context = {
        "served_by_asgi": served_by_asgi,
        **demo_for(__name__).context(),
        "database": site,
        "rows": rows,
        "differences": [row for row in rows if site.is_sqlite and not row.ok],
        "queue_database": _queue_database(),
    }
    return TemplateResponse(request, SETTINGS_PAGE, context)


@dataclass(frozen=True)
class Bar:
    label: str
    value: str
    y: int
    width: int
    css_class: str

    @property
    def text_y(self) -> int:
        return self.y + 15

    @property
    def value_x(self) -> int:
        return CHART_LABEL_WIDTH + self.width + 6


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]

    @property
    def height(self) -> int:
        return len(self.bars) * CHART_ROW + 4


def charts(variants: list[dict[str, Any]]) -> list[Chart]:
    """Bar charts of commits/s and lock errors, laid out for inline SVG."""
    # Class names from the known variants only, never from stored text.
    classes = {name: f"lab-bar lab-bar-{name}" for name in contention.VARIANT_NAMES}
    result = []
    for title, key, text in (
        ("Commits per second (more is better)", "commits_per_second", "{:,.0f}/s"),
        ('"database is locked" errors (fewer is better)', "locked", "{:,.0f}"),
    ):
        values = [float(variant.get(key) or 0) for variant in variants]
        top = max(values, default=0) or 1
        bars = [
            Bar(
                label=str(variant.get("label", "")),
                value=text.format(value),
                y=2 + i * CHART_ROW,
                width=round(value / top * CHART_BAR_MAX),
                css_class=classes.get(str(variant.get("name")), "lab-bar"),
            )
            for i, (variant, value) in enumerate(zip(variants, values, strict=True))
        ]
        result.append(Chart(title, bars))
    return result


def result_rows(variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The results table's cells, formatted ("–" for a missing value)."""
    return [
        {
            **{key: variant.get(key) for key in ("name", "label", "summary")},
            **{
                key: "–" if variant.get(key) is None else text.format(variant[key])
                for key, text in RESULT_CELLS.items()
            },
            "clean": bool(variant.get("clean")),
        }
        for variant in variants
    ]


def _sync_with_task(run: ContentionRun) -> None:
    """Mark ``run`` failed when its task failed without saying so (a lost worker)."""
    if run.is_finished or not run.task_id or not compat.tasks_api_importable():
        return
    from django_six_demos.sqlite.tasks import run_contention_lab

    # NotImplementedError: a backend that keeps no results (ImmediateBackend).
    not_found: tuple[type[Exception], ...] = (
        *compat.task_result_does_not_exist(),
        NotImplementedError,
        ValueError,
    )
    try:
        result = run_contention_lab.get_result(run.task_id)
    except not_found:
        return
    if result.status == compat.TaskResultStatus.FAILED:
        cause = result.errors[-1].exception_class_path if result.errors else "unknown"
        ContentionRun.fail(run.pk, f"The background task failed ({cause}).")
        run.refresh_from_db()


def cool_down_left() -> int | None:
    """The seconds until a new run may start, or None if one may now."""
    last = ContentionRun.last_activity()
    if last is None:
        return None
    left = (last + LAB_COOL_DOWN - timezone.now()).total_seconds()
    return math.ceil(left) if left > 0 else None


def _lab_context(
    request: HttpRequest, form: ContentionLabForm, run: ContentionRun | None
) -> dict[str, Any]:
    may_start = bool(getattr(request.user, "is_staff", False))
    return {
        **demo_for(__name__).context(),
        "database": site_database(connections[DEFAULT_DB_ALIAS]),
        "form": form,
        "run": run,
        "tasks_available": compat.tasks_api_importable(),
        **_recent_runs_context(),
        "variants": list(contention.variants().values()),
        "may_start": may_start,
        "cool_down_left": cool_down_left() if may_start else None,
        "cool_down_minutes": round(LAB_COOL_DOWN.total_seconds() / 60),
        "lab_rate": LAB_RATE,
        "keep_runs": KEEP_RUNS,
        "login_url": accounts.sign_in_url(request.get_full_path()),
        **(_run_context(run) if run is not None else {}),
    }


def _recent_runs_context() -> dict[str, Any]:
    runs = list(ContentionRun.objects.all()[:RECENT_RUNS])
    for run in runs:
        _sync_with_task(run)  # a run whose worker was lost must not read "running" for ever
    # A run queued longer than ACTIVE_FOR is taken for lost (no worker): the list stops polling.
    lost_before = timezone.now() - ACTIVE_FOR
    active = any(not run.is_finished and run.created_at >= lost_before for run in runs)
    return {"recent_runs": runs, "recent_runs_active": active}


def _run_context(run: ContentionRun) -> dict[str, Any]:
    return {
        "run": run,
        "rows": result_rows(run.variants),
        "charts": charts(run.variants),
        "worker_hint": run.status == ContentionRun.Status.QUEUED
        and timezone.now() - run.created_at > WORKER_HINT_AFTER,
    }


@require_GET
def lab(request: HttpRequest) -> TemplateResponse:
    """The lab: a form to enqueue a bounded run, and the latest runs."""
    return TemplateResponse(request, LAB, _lab_context(request, ContentionLabForm(), None))


@require_GET
@vary_on_headers("HX-Request")
def recent_runs(request: HtmxHttpRequest) -> TemplateResponse:
    """The latest runs alone, which htmx polls while one is queued or running; 286 once none is."""
    context = _recent_runs_context()
    status = HTMX_STOP_POLLING if request.htmx and not context["recent_runs_active"] else 200
    return TemplateResponse(request, f"{LAB}#recent-runs", context, status=status)


def _enqueue(run_id: int) -> None:
    from django_six_demos.sqlite.tasks import run_contention_lab

    try:
        result = run_contention_lab.enqueue(run_id)
    except Exception as error:
        # A misconfigured backend must not leave the run waiting for ever.
        logger.exception("Could not enqueue contention run %s", run_id)
        ContentionRun.fail(
            run_id, f"The task could not be enqueued: {type(error).__name__}: {error}"
        )
        return
    ContentionRun.objects.filter(pk=run_id).update(task_id=str(result.id))


@require_POST
@limits.side_effect(
    group="sqlite-lab", rate=LAB_RATE, action="start a contention run", staff_only=True
)
def lab_start(request: HttpRequest) -> HttpResponse:
    """Enqueue a run (or show the one in progress): staff only, POST, CSRF-protected."""
    form = ContentionLabForm(request.POST)
    if not form.is_valid():
        return TemplateResponse(request, LAB, _lab_context(request, form, None), status=400)
    if not compat.tasks_api_importable():
        message = f"The lab needs a tasks API: {compat.BACKPORTS_INSTALL}"
        return HttpResponse(message, status=503, content_type="text/plain")
    # One run at a time; on SQLite the IMMEDIATE transaction serialises concurrent posts.
    with transaction.atomic():
        run = ContentionRun.active()
        if run is None:
            if (wait := cool_down_left()) is not None:
                return limits.refused(
                    request,
                    f"The lab is cooling down after the last run: try again in {wait} s.",
                    status=429,
                    retry_after=wait,
                )
            run = ContentionRun.objects.create(**form.cleaned_data)
            ContentionRun.prune()
            # The worker must find the committed row.
            transaction.on_commit(partial(_enqueue, run.pk))
    return HttpResponseRedirect(reverse("django_six_demos_sqlite:run", args=[run.pk]))


@require_GET
@vary_on_headers("HX-Request")
def run_status(request: HtmxHttpRequest, pk: int) -> TemplateResponse:
    """One run: the lab page around it, or (htmx polling) its status alone, 286 once finished."""
    run = get_object_or_404(ContentionRun, pk=pk)
    _sync_with_task(run)
    if request.htmx:
        status = HTMX_STOP_POLLING if run.is_finished else 200
        return TemplateResponse(request, f"{LAB}#run-status", _run_context(run), status=status)
    return TemplateResponse(request, LAB, _lab_context(request, ContentionLabForm(), run))
