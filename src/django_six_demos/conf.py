"""Settings helpers: add django-six-demos to a project in three edits.

Each function returns plain values for the running Django line, in the manner
of dj-lite's ``sqlite_config()``. In a project's ``settings.py``::

    from django_six_demos import conf

    INSTALLED_APPS = [..., *conf.installed_apps()]          # edit 1
    globals().update(conf.demo_settings(MIDDLEWARE, TEMPLATES))  # edit 3

and in its ``urls.py``: ``path("demos/", include("django_six_demos.urls"))``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from django_six_demos import compat
from django_six_demos.compat import NONCE, NONE, SELF, STRICT_DYNAMIC, Directives

DEMOS: Final = ("partials", "csp", "tasks", "sqlite", "crud")

HTMX_MIDDLEWARE: Final = "django_htmx.middleware.HtmxMiddleware"
FRAME_MIDDLEWARE: Final = "django_six_demos.middleware.DemoFrameMiddleware"
# Adds the Reporting-Endpoints header that CSP's report-to needs (the CSP
# settings of Django 6.0+ and of django-csp emit only the CSP headers).
REPORTING_MIDDLEWARE: Final = "django_six_demos.csp.reporting.ReportingEndpointsMiddleware"
# {group: url} for that header; demo_settings(csp_report_uri=...) sets it.
REPORTING_ENDPOINTS_SETTING: Final = "DJANGO_SIX_DEMOS_REPORTING_ENDPOINTS"
# The report-to group the strict policy names when it reports.
CSP_REPORT_GROUP: Final = "csp"
DJANGO_TEMPLATES: Final = "django.template.backends.django.DjangoTemplates"
# The tasks demo's queues: acceptance emails and schedule exports each get their
# own, so a worker can be pointed at one (db_worker --queue-name emails).
TASK_QUEUES: Final = ("default", "emails", "exports")
# django-rq's app: the RQ backend's own check requires it in INSTALLED_APPS
# (its queue configuration and its rqworker command live there).
RQ_APP: Final = "django_rq"
# RQ runs the jobs django-tasks-rq enqueues only with this job class, which
# turns a job back into a task call and records its result for get_result().
RQ_JOB_CLASS: Final = "django_tasks_rq.Job"

_SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
_WHITENOISE_MIDDLEWARE = "whitenoise.middleware.WhiteNoiseMiddleware"
_COMMON_MIDDLEWARE = "django.middleware.common.CommonMiddleware"
_GZIP_MIDDLEWARE = "django.middleware.gzip.GZipMiddleware"


def installed_apps(*, demos: Iterable[str] = DEMOS, rq: bool = False) -> list[str]:
    """Return the INSTALLED_APPS entries for the demos and what they need.

    On Django 5.2 this includes the backports that can be imported; a missing
    one is left out so that the django_six_demos.E001 check can say what to
    install, instead of Django failing with an ImportError first.

    ``rq=True`` adds django-rq's app, which the RQ task backend needs (see
    :func:`rq_task_settings`). django-tasks-db stays listed: the tasks demo's
    pages import its model, and its empty table costs nothing.
    """
    demos = list(demos)
    unknown = sorted(set(demos) - set(DEMOS))
    if unknown:
        raise ValueError(f"Unknown demos {unknown}; choose from {list(DEMOS)}.")
    apps = [backport.app for backport in compat.available_backports()]
    apps.append("django_htmx")
    # django-tasks-db imports django.tasks, or django_tasks on Django 5.2.
    if "tasks" in demos and compat.tasks_api_importable():
        apps.append("django_tasks_db")
    if rq:
        apps.append(RQ_APP)
    if "crud" in demos:
        apps.append("neapolitan")
    apps += ["django_six_demos", "django_six_demos.conference"]
    apps += [f"django_six_demos.{demo}" for demo in DEMOS if demo in demos]
    return apps


def middleware(existing: Sequence[str] = ()) -> list[str]:
    """Return ``existing`` MIDDLEWARE plus the frame, CSP and htmx middleware.

    The demo frame's middleware goes first (outermost, so it sees every header
    on the way out), or right after GZipMiddleware, whose compressed bodies it
    could not read. The CSP middleware goes right after SecurityMiddleware (and
    WhiteNoise, whose static responses need no policy), with the
    Reporting-Endpoints middleware just outside it (it reads the CSP header on
    the way out); HtmxMiddleware after CommonMiddleware. Entries already
    present are kept where they are.
    """
    result = list(existing)
    if FRAME_MIDDLEWARE not in result:
        gzip = result.index(_GZIP_MIDDLEWARE) + 1 if _GZIP_MIDDLEWARE in result else 0
        result.insert(gzip, FRAME_MIDDLEWARE)
    if compat.CSP_MIDDLEWARE not in result:
        anchors = [
            i
            for i, name in enumerate(result)
            if name in (FRAME_MIDDLEWARE, _SECURITY_MIDDLEWARE, _WHITENOISE_MIDDLEWARE)
        ]
        result.insert(max(anchors) + 1 if anchors else 0, compat.CSP_MIDDLEWARE)
    if REPORTING_MIDDLEWARE not in result:
        result.insert(result.index(compat.CSP_MIDDLEWARE), REPORTING_MIDDLEWARE)
    if HTMX_MIDDLEWARE not in result:
        if _COMMON_MIDDLEWARE in result:
            result.insert(result.index(_COMMON_MIDDLEWARE) + 1, HTMX_MIDDLEWARE)
        else:
            result.append(HTMX_MIDDLEWARE)
    return result


_DEFAULT_CONTEXT_PROCESSORS: Final = (
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
)


def templates(existing: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Return TEMPLATES with the Django engine set up for partials and the nonce.

    The first ``DjangoTemplates`` backend gets the loaders and builtins that make
    ``{% partialdef %}`` and ``"page.html#name"`` work on this Django line, plus
    the ``request`` and CSP nonce context processors. Other backends are copied
    unchanged. Without ``existing``, one Django backend is created.
    """
    if existing is None:
        existing = [
            {
                "BACKEND": DJANGO_TEMPLATES,
                "DIRS": [],
                "OPTIONS": {"context_processors": list(_DEFAULT_CONTEXT_PROCESSORS)},
            }
        ]
    result = [copy.deepcopy(dict(backend)) for backend in existing]
    django_backends = [b for b in result if b.get("BACKEND") == DJANGO_TEMPLATES]
    if not django_backends:
        raise ValueError("TEMPLATES has no DjangoTemplates backend to configure.")
    backend = django_backends[0]
    # "loaders" and APP_DIRS are mutually exclusive; the loaders below include
    # the app directories loader.
    backend.pop("APP_DIRS", None)
    options = backend.setdefault("OPTIONS", {})
    options["loaders"] = compat.template_loaders()
    builtins = list(options.get("builtins", []))
    options["builtins"] = builtins + [b for b in compat.template_builtins() if b not in builtins]
    processors = list(options.get("context_processors", []))
    for processor in (
        "django.template.context_processors.request",
        compat.CSP_CONTEXT_PROCESSOR,
    ):
        if processor not in processors:
            processors.append(processor)
    options["context_processors"] = processors
    return result


def strict_policy(
    *,
    report_uri: str | None = None,
    report_to: str | None = None,
    extra: Directives | None = None,
) -> dict[str, Any]:
    """Return the strict nonce policy as neutral directives (see ``compat``).

    ``script-src`` allows only scripts carrying this request's nonce, and what
    they load (``'strict-dynamic'``); everything else is same-origin or nothing.
    ``extra`` appends sources to a directive, e.g. ``{"img-src": ["data:"]}``.
    """
    policy: dict[str, Any] = {
        "default-src": [NONE],
        "script-src": [NONCE, STRICT_DYNAMIC],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
    if report_uri:
        policy["report-uri"] = [report_uri]
    if report_to:
        policy["report-to"] = [report_to]
    if extra:
        policy = compat.merge_directives(policy, extra)
    return policy


def strict_csp(
    *,
    report_uri: str | None = None,
    report_to: str | None = None,
    report_only: bool = False,
    extra: Directives | None = None,
) -> dict[str, Any]:
    """Return the CSP setting holding the strict policy, for this Django line.

    ``{"SECURE_CSP": {...}}`` on Django 6.0+, ``{"CONTENT_SECURITY_POLICY":
    {"DIRECTIVES": {...}}}`` with django-csp on 5.2 (``..._REPORT_ONLY`` with
    ``report_only=True``). Use it as ``globals().update(strict_csp())``.
    """
    policy = strict_policy(report_uri=report_uri, report_to=report_to, extra=extra)
    if report_only:
        return compat.csp_settings(report_only=policy)
    return compat.csp_settings(policy)


def tasks_setting(*, queues: Sequence[str] = TASK_QUEUES) -> dict[str, Any]:
    """Return a TASKS setting whose default backend is django-tasks-db's."""
    return {
        "default": {
            "BACKEND": compat.DATABASE_TASK_BACKEND,
            "QUEUES": list(queues),
        }
    }


def rq_task_settings(redis_url: str, *, queues: Sequence[str] = TASK_QUEUES) -> dict[str, Any]:
    """Return TASKS and RQ_QUEUES that run the tasks on RQ, with Redis at ``redis_url``.

    For a site that outgrows one machine: django-tasks-rq's backend keeps the
    queues in Redis, and ``manage.py rqworker`` processes run them, on as many
    hosts as needed (:func:`rq_worker_command`). Every queue of ``TASKS`` gets
    an ``RQ_QUEUES`` entry on the same connection, so one worker can serve all
    of them. Use it after :func:`demo_settings`, whose TASKS it replaces, with
    django-rq's app installed (``installed_apps(rq=True)``)::

        INSTALLED_APPS = [..., *conf.installed_apps(rq=True)]
        globals().update(conf.demo_settings(MIDDLEWARE, TEMPLATES))
        globals().update(conf.rq_task_settings(os.environ["REDIS_URL"]))

    Needs ``pip install django-tasks-rq`` (it brings django-rq, rq and redis).
    django-tasks-rq is built on the django-tasks backport on every Django
    line (its tasks, results and exceptions are ``django_tasks`` classes, on
    Django 6.x too). RQ has no priorities, and django-tasks-rq 0.12 refuses
    any priority but the default 0 with ``InvalidTaskError``. A successful
    result is kept for 500 seconds (RQ's worker default), a failed one for a
    year.
    """
    queues = list(queues)
    if not queues:
        raise ValueError("rq_task_settings() needs at least one queue.")
    return {
        "TASKS": {
            "default": {
                "BACKEND": compat.RQ_TASK_BACKEND,
                "QUEUES": queues,
            }
        },
        "RQ_QUEUES": {queue: {"URL": redis_url} for queue in queues},
    }


def rq_worker_command(
    *, queues: Sequence[str] = TASK_QUEUES, with_scheduler: bool = False
) -> list[str]:
    """Return the ``manage.py`` arguments that start an RQ worker for ``queues``.

    ``["rqworker", "--job-class", "django_tasks_rq.Job", "default", ...]``:
    django-rq's worker, with the job class that runs django-tasks-rq's jobs,
    on every queue of :func:`rq_task_settings` (RQ serves them in the order
    given). Run it as ``python manage.py rqworker --job-class
    django_tasks_rq.Job default emails exports``.

    ``with_scheduler=True`` adds ``--with-scheduler``: RQ holds a deferred
    task (``.using(run_after=...)``) in its scheduler, and without one it
    stays READY for good. The demo's tasks are never deferred.
    """
    scheduler = ["--with-scheduler"] if with_scheduler else []
    return ["rqworker", "--job-class", RQ_JOB_CLASS, *scheduler, *queues]


def demo_settings(
    middleware_setting: Sequence[str],
    templates_setting: Sequence[Mapping[str, Any]] | None = None,
    *,
    csp_report_uri: str | None = None,
) -> dict[str, Any]:
    """Return MIDDLEWARE, TEMPLATES, the strict CSP and TASKS for the demos.

    The one helper call of the three install steps::

        globals().update(conf.demo_settings(MIDDLEWARE, TEMPLATES))

    ``csp_report_uri`` (e.g. ``"/demos/csp/report/"``, the CSP demo's
    collector) makes the policy report violations both ways: ``report-uri``
    to that URL, and ``report-to csp`` with the ``csp`` group mapped to the
    same URL in ``DJANGO_SIX_DEMOS_REPORTING_ENDPOINTS``, which the
    Reporting-Endpoints middleware sends.
    """
    result: dict[str, Any] = {
        "MIDDLEWARE": middleware(middleware_setting),
        "TEMPLATES": templates(templates_setting),
        **strict_csp(
            report_uri=csp_report_uri,
            report_to=CSP_REPORT_GROUP if csp_report_uri else None,
        ),
        "TASKS": tasks_setting(),
    }
    if csp_report_uri:
        result[REPORTING_ENDPOINTS_SETTING] = {CSP_REPORT_GROUP: csp_report_uri}
    return result
