"""Every Django-version decision: the only module that reads ``django.VERSION``.

Django 6.0 took template partials, CSP and the tasks API into core; on 5.2 they come
from django-template-partials, django-csp and django-tasks.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Mapping
from functools import wraps
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar

import django
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from django_six_demos.csp_policy import NONCE, Directives, merge_directives

if TYPE_CHECKING:
    from django.core.mail.backends.base import BaseEmailBackend
    from django.db.models import Model, QuerySet

    _ModelT = TypeVar("_ModelT", bound=Model)
    _View = Callable[..., HttpResponseBase]
    ViewT = TypeVar("ViewT", bound=_View)
    _Policy = Callable[[], Directives | None] | None

DJANGO_LINE: Final = f"{django.VERSION[0]}.{django.VERSION[1]}"  # Pages never print the patch.

HAS_BUILTIN_PARTIALS: Final = django.VERSION >= (6, 0)
HAS_BUILTIN_CSP: Final = django.VERSION >= (6, 0)
HAS_BUILTIN_TASKS: Final = django.VERSION >= (6, 0)
HAS_CSP_NONCE_CHECK: Final = django.VERSION >= (6, 1)  # security.W027: nonce without processor
HAS_MAILERS: Final = django.VERSION >= (6, 1)  # MAILERS replaced EMAIL_BACKEND
HAS_FETCH_MODES: Final = django.VERSION >= (6, 1)  # QuerySet.fetch_mode()
_IN_CORE = {"partials": HAS_BUILTIN_PARTIALS, "csp": HAS_BUILTIN_CSP, "tasks": HAS_BUILTIN_TASKS}

BACKPORTS_INSTALL: Final = 'pip install "django-six-demos[backports]"'
PARTIALS_LOADER: Final = "template_partials.loader.Loader"
PARTIALS_BUILTIN: Final = "template_partials.templatetags.partials"
PARTIALS_APP: Final = "template_partials.apps.SimpleAppConfig"  # Never rewrites TEMPLATES.


class Backport(NamedTuple):
    """A package that provides on Django 5.2 what core provides on 6.0+."""

    feature: str  # "partials", "csp" or "tasks"
    distribution: str
    module: str
    app: str


BACKPORTS: Final = (
    Backport("csp", "django-csp", "csp", "csp"),
    Backport("tasks", "django-tasks", "django_tasks", "django_tasks"),
    Backport("partials", "django-template-partials", "template_partials", PARTIALS_APP),
)


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def required_backports() -> tuple[Backport, ...]:
    """Return the backports the running Django line needs (none on 6.0+)."""
    return tuple(b for b in BACKPORTS if not _IN_CORE[b.feature])


def tasks_api_importable() -> bool:
    """Return whether a django.tasks API (core or backport) can be imported."""
    return HAS_BUILTIN_TASKS or _importable("django_tasks")


def partials_settings(*, core: bool | None = None) -> dict[str, Any]:
    """Return the apps, ``loaders`` and ``builtins`` for a stack (default: this line's)."""
    if core is None:
        # A missing backport must reach django_six_demos.E001, not crash the engine.
        core = HAS_BUILTIN_PARTIALS or not _importable("template_partials")
    base = [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    cached = ("django.template.loaders.cached.Loader", base)
    if core:
        return {"INSTALLED_APPS": [], "loaders": [cached], "builtins": []}
    return {
        "INSTALLED_APPS": [PARTIALS_APP],
        "loaders": [(PARTIALS_LOADER, [cached])],
        "builtins": [PARTIALS_BUILTIN],
    }


CORE_CSP_MIDDLEWARE: Final = "django.middleware.csp.ContentSecurityPolicyMiddleware"
DJANGO_CSP_MIDDLEWARE: Final = "csp.middleware.CSPMiddleware"
CSP_MIDDLEWARE: Final = CORE_CSP_MIDDLEWARE if HAS_BUILTIN_CSP else DJANGO_CSP_MIDDLEWARE
# Templates read csp_nonce on both lines; django-csp's own processor says CSP_NONCE.
CSP_CONTEXT_PROCESSOR: Final = (
    "django.template.context_processors.csp"
    if HAS_BUILTIN_CSP
    else "django_six_demos.context_processors.csp_nonce"
)
CSP_SETTING: Final = "SECURE_CSP" if HAS_BUILTIN_CSP else "CONTENT_SECURITY_POLICY"
CSP_REPORT_ONLY_SETTING: Final = (
    "SECURE_CSP_REPORT_ONLY" if HAS_BUILTIN_CSP else "CONTENT_SECURITY_POLICY_REPORT_ONLY"
)


def _live_nonce() -> object:
    if HAS_BUILTIN_CSP:
        from django.utils.csp import CSP

        return CSP.NONCE
    if not _importable("csp"):  # Settings must load, for E001 to say what to install.
        return NONCE
    from csp.constants import NONCE as DJANGO_CSP_NONCE

    return DJANGO_CSP_NONCE


def _swap(directives: Mapping[str, Any], old: object, new: object) -> dict[str, Any]:
    return {
        name: value
        if isinstance(value, bool) or value is None
        else [new if source is old else source for source in value]
        for name, value in directives.items()
    }


def csp_settings(
    directives: Directives | None = None, *, report_only: Directives | None = None
) -> dict[str, Any]:
    """Return this line's CSP settings for an enforced and/or a report-only policy."""
    pairs = ((CSP_SETTING, directives), (CSP_REPORT_ONLY_SETTING, report_only))
    live = {name: _swap(p, NONCE, _live_nonce()) for name, p in pairs if p is not None}
    return live if HAS_BUILTIN_CSP else {name: {"DIRECTIVES": v} for name, v in live.items()}


def configured_policies() -> dict[str, dict[str, Any]]:
    """Return the configured policies as neutral directives, by ``"enforce"``/``"report-only"``."""
    policies = {}
    for key, name in (("enforce", CSP_SETTING), ("report-only", CSP_REPORT_ONLY_SETTING)):
        value = getattr(settings, name, None)
        if isinstance(value, Mapping) and not HAS_BUILTIN_CSP:
            value = value.get("DIRECTIVES")
        policies[key] = _swap(value, _live_nonce(), NONCE) if isinstance(value, Mapping) else {}
    return policies


def get_nonce(request: HttpRequest) -> Any:
    """Return the request's lazy CSP nonce, or None without CSP middleware."""
    if HAS_BUILTIN_CSP:
        from django.middleware.csp import get_nonce as core_get_nonce

        return core_get_nonce(request)
    return getattr(request, "csp_nonce", None)


def _override(directives: Directives | None, report_only: bool) -> Callable[[_View], _View]:
    # One header set to ``directives``, or removed for None; the other left alone.
    if HAS_BUILTIN_CSP:
        from django.views.decorators.csp import csp_override, csp_report_only_override

        override = csp_report_only_override if report_only else csp_override
        return override({} if directives is None else _swap(directives, NONCE, _live_nonce()))
    from csp.decorators import csp, csp_exempt

    if directives is None:
        return csp_exempt(REPORT_ONLY=report_only)  # type: ignore[no-any-return]
    policy = _swap(directives, NONCE, _live_nonce())
    return csp(policy, REPORT_ONLY=report_only)  # type: ignore[no-any-return]


def _on_each_request(enforced: _Policy, report_only: _Policy = None) -> Callable[[ViewT], ViewT]:
    # Built per request, not at import: on 5.2 without django-csp, importing a view
    # must not fail before E001 says what to install; and settings are read live.
    def decorator(view: ViewT) -> ViewT:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            decorated: _View = view
            for policy, is_report_only in ((report_only, True), (enforced, False)):
                if policy is not None:
                    decorated = _override(policy(), is_report_only)(decorated)
            return decorated(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def _or_site(directives: Directives | None) -> Directives:
    return configured_policies()["enforce"] if directives is None else directives


def csp_replace(directives: Directives) -> Callable[[ViewT], ViewT]:
    """Serve the view under ``directives`` instead of the site policy."""
    return _on_each_request(lambda: directives)


def _extended(kind: str, directives: Directives) -> dict[str, Any] | None:
    # None without a configured policy of that kind: no header, as without the decorator.
    site = configured_policies()[kind]
    return merge_directives(site, directives) if site else None


def csp_extend(
    directives: Directives, *, also_report_only: bool = False
) -> Callable[[ViewT], ViewT]:
    """Serve the view under the site policy plus ``directives``' sources (core cannot merge).

    The report-only policy stays the site's, so it reports what the extension allows; with
    ``also_report_only=True`` it gets the same sources, when one is configured.
    """
    report_only = (lambda: _extended("report-only", directives)) if also_report_only else None
    return _on_each_request(
        lambda: merge_directives(configured_policies()["enforce"], directives), report_only
    )


def csp_disable() -> Callable[[ViewT], ViewT]:
    """Serve the view without any CSP header, enforced or report-only."""
    return _on_each_request(lambda: None, lambda: None)


def csp_enforce_only(directives: Directives | None = None) -> Callable[[ViewT], ViewT]:
    """Serve the view under one enforced policy (default: the site's) and no report-only one."""
    return _on_each_request(lambda: _or_site(directives), lambda: None)


def csp_report_only(directives: Directives | None = None) -> Callable[[ViewT], ViewT]:
    """Serve the view's policy (default: the site's) as report-only, with no enforced header."""
    return _on_each_request(lambda: None, lambda: _or_site(directives))


# -- Background tasks --------------------------------------------------------

if TYPE_CHECKING or HAS_BUILTIN_TASKS:
    from django.tasks import (
        DEFAULT_TASK_BACKEND_ALIAS,
        Task,
        TaskContext,
        TaskResult,
        TaskResultStatus,
        default_task_backend,
        task,
        task_backends,
    )
    from django.tasks.exceptions import InvalidTask

    TASKS_PACKAGE: Final = "django.tasks"
else:
    TASKS_PACKAGE = "django_tasks"

    def __getattr__(name: str) -> Any:
        # Django 5.2: the backport's names, imported on first use (E001 says if it is missing).
        if name not in __all__:
            raise AttributeError(name)
        import django_tasks

        if name == "InvalidTask":  # The backport's name has an "Error" suffix.
            return django_tasks.exceptions.InvalidTaskError
        return django_tasks.base.Task if name == "Task" else getattr(django_tasks, name)


IMMEDIATE_TASK_BACKEND: Final = f"{TASKS_PACKAGE}.backends.immediate.ImmediateBackend"
DUMMY_TASK_BACKEND: Final = f"{TASKS_PACKAGE}.backends.dummy.DummyBackend"
DATABASE_TASK_BACKEND: Final = "django_tasks_db.DatabaseBackend"
RQ_TASK_BACKEND: Final = "django_tasks_rq.RQBackend"  # Built on the backport on every line.


def task_result_does_not_exist() -> tuple[type[Exception], ...]:
    """Return the exceptions for an unknown result id: core's, and the backport's if installed."""
    # The backport's too on Django 6.x: django-tasks-rq raises it on every line.
    packages = ["django.tasks"] if HAS_BUILTIN_TASKS else []
    packages += ["django_tasks"] if _importable("django_tasks") else []
    return tuple(
        importlib.import_module(f"{p}.exceptions").TaskResultDoesNotExist for p in packages
    )


# The tasks API, re-exported under Django's names.
__all__ = ["DEFAULT_TASK_BACKEND_ALIAS", "InvalidTask", "Task", "TaskContext", "TaskResult"]
__all__ += ["TaskResultStatus", "default_task_backend", "task", "task_backends"]


# The settings that Django before 6.1 reads for a MAILERS backend option.
_MAIL_OPTION_SETTINGS: Final = {
    "file_path": "EMAIL_FILE_PATH",
    "host": "EMAIL_HOST",
    "port": "EMAIL_PORT",
    "username": "EMAIL_HOST_USER",
    "password": "EMAIL_HOST_PASSWORD",
    "use_tls": "EMAIL_USE_TLS",
    "use_ssl": "EMAIL_USE_SSL",
    "timeout": "EMAIL_TIMEOUT",
}


def mail_settings(backend: str, **options: Any) -> dict[str, Any]:
    """Return the settings making ``backend`` the default mailer (``MAILERS`` on 6.1+).

    ``options`` as ``MAILERS`` takes them (``file_path=``, ``host=``...); before 6.1, ``EMAIL_*``.
    """
    options = {k: os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in options.items()}
    if HAS_MAILERS:
        mailer = {"BACKEND": backend, "OPTIONS": options} if options else {"BACKEND": backend}
        return {"MAILERS": {"default": mailer}}
    unknown = set(options) - set(_MAIL_OPTION_SETTINGS)
    if unknown:
        raise TypeError(f"No setting before Django 6.1 for the mailer options {sorted(unknown)}")
    return {"EMAIL_BACKEND": backend} | {_MAIL_OPTION_SETTINGS[k]: v for k, v in options.items()}


def mail_connection() -> BaseEmailBackend:
    """Return a connection to the default mailer (6.1+: ``mailers.default``)."""
    if HAS_MAILERS:
        from django.core.mail import mailers

        return mailers.default
    from django.core.mail import get_connection

    return get_connection()


def peers_fetching(queryset: QuerySet[_ModelT], *related: str) -> QuerySet[_ModelT]:
    """Return ``queryset`` free of N+1 queries: 6.1+ ``FETCH_PEERS``, else ``select_related()``."""
    if HAS_FETCH_MODES:
        from django.db.models import FETCH_PEERS

        return queryset.fetch_mode(FETCH_PEERS)
    return queryset.select_related(*related)
