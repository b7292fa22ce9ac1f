"""Every Django-version decision: the only module that reads ``django.VERSION``.

Django 6.0 took template partials, CSP and the tasks API into core; on 5.2 they come
from django-template-partials, django-csp and django-tasks.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from importlib import metadata
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar

import django
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# The release series, e.g. "6.1": what pages print.
DJANGO_LINE: Final = f"{django.VERSION[0]}.{django.VERSION[1]}"
# Never printed on a page: the patch release tells which security fixes are missing.
DJANGO_VERSION: Final = django.get_version()

HAS_BUILTIN_PARTIALS: Final = django.VERSION >= (6, 0)
HAS_BUILTIN_CSP: Final = django.VERSION >= (6, 0)
HAS_BUILTIN_TASKS: Final = django.VERSION >= (6, 0)
# Django 6.1 added security.W027 (nonce policy without the csp context processor).
HAS_CSP_NONCE_CHECK: Final = django.VERSION >= (6, 1)
# Django 6.1 replaced EMAIL_BACKEND and friends with MAILERS.
HAS_MAILERS: Final = django.VERSION >= (6, 1)
# Django 6.1 added QuerySet.fetch_mode().
HAS_FETCH_MODES: Final = django.VERSION >= (6, 1)

BACKPORTS_INSTALL: Final = 'pip install "django-six-demos[backports]"'


class Backport(NamedTuple):
    """A package that provides on Django 5.2 what core provides on 6.0+."""

    feature: str
    distribution: str
    module: str
    app: str


BACKPORTS: Final = (
    Backport("Content Security Policy", "django-csp", "csp", "csp"),
    Backport("Background tasks", "django-tasks", "django_tasks", "django_tasks"),
    # SimpleAppConfig: the default AppConfig rewrites settings.TEMPLATES in ready().
    Backport(
        "Template partials",
        "django-template-partials",
        "template_partials",
        "template_partials.apps.SimpleAppConfig",
    ),
)


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def required_backports() -> tuple[Backport, ...]:
    """Return the backports the running Django line needs (none on 6.0+)."""
    if HAS_BUILTIN_PARTIALS and HAS_BUILTIN_CSP and HAS_BUILTIN_TASKS:
        return ()
    return BACKPORTS


def missing_backports() -> list[Backport]:
    """Return the needed backports that cannot be imported."""
    return [b for b in required_backports() if not _importable(b.module)]


def available_backports() -> list[Backport]:
    """Return the needed backports that can be imported."""
    return [b for b in required_backports() if _importable(b.module)]


def tasks_api_importable() -> bool:
    """Return whether a django.tasks API (core or backport) can be imported."""
    return HAS_BUILTIN_TASKS or _importable("django_tasks")


def release_series(version: str) -> str:
    """Return the first two numbers of ``version`` ("6.1.3" -> "6.1"): what pages print."""
    match = re.match(r"\d+(?:\.\d+)?", version)
    return match[0] if match else version


class FeatureSource(NamedTuple):
    """Where a feature comes from on the running Django line."""

    provider: str
    # The provider's release series ("6.1", "4.0"); None if not installed.
    version: str | None
    is_core: bool


def distribution_series(name: str) -> str | None:
    """Return the release series of an installed distribution, or None."""
    try:
        return release_series(metadata.version(name))
    except metadata.PackageNotFoundError:
        return None


def feature_source(feature: str) -> FeatureSource:
    """Return who provides ``feature`` ("partials", "csp" or "tasks") on this line."""
    is_core, backport = {
        "partials": (HAS_BUILTIN_PARTIALS, "django-template-partials"),
        "csp": (HAS_BUILTIN_CSP, "django-csp"),
        "tasks": (HAS_BUILTIN_TASKS, "django-tasks"),
    }[feature]
    if is_core:
        return FeatureSource("Django", DJANGO_LINE, True)
    return FeatureSource(backport, distribution_series(backport), False)


# -- Template partials -------------------------------------------------------

PARTIALS_LOADER: Final = "template_partials.loader.Loader"
PARTIALS_BUILTIN: Final = "template_partials.templatetags.partials"


def partials_settings(*, core: bool) -> dict[str, Any]:
    """Return ``INSTALLED_APPS`` entries, ``loaders`` and ``builtins`` for either stack.

    Pure (reads no setting or version), so the migration page can show both stacks.
    """
    base = [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    cached = ("django.template.loaders.cached.Loader", base)
    if core:
        return {"INSTALLED_APPS": [], "loaders": [cached], "builtins": []}
    return {
        "INSTALLED_APPS": ["template_partials.apps.SimpleAppConfig"],
        "loaders": [(PARTIALS_LOADER, [cached])],
        "builtins": [PARTIALS_BUILTIN],
    }


def _partials_on_core() -> bool:
    # A missing backport must reach django_six_demos.E001, not crash the engine.
    return HAS_BUILTIN_PARTIALS or not _importable("template_partials")


def template_loaders() -> list[Any]:
    """Return the template ``loaders`` option that understands partials on this line."""
    loaders: list[Any] = partials_settings(core=_partials_on_core())["loaders"]
    return loaders


def template_builtins() -> list[str]:
    """Return the template ``builtins`` that make {% partialdef %} load-free."""
    builtins: list[str] = partials_settings(core=_partials_on_core())["builtins"]
    return builtins


# -- Content Security Policy -------------------------------------------------

SELF: Final = "'self'"
NONE: Final = "'none'"
STRICT_DYNAMIC: Final = "'strict-dynamic'"
UNSAFE_INLINE: Final = "'unsafe-inline'"
UNSAFE_EVAL: Final = "'unsafe-eval'"
REPORT_SAMPLE: Final = "'report-sample'"


class _Nonce:
    """Neutral stand-in for "this request's nonce", swapped for the live stack's."""

    def __repr__(self) -> str:
        return "NONCE"


NONCE: Final = _Nonce()

Source = str | _Nonce
Directives = Mapping[str, Sequence[Source] | bool]

CORE_CSP_MIDDLEWARE: Final = "django.middleware.csp.ContentSecurityPolicyMiddleware"
DJANGO_CSP_MIDDLEWARE: Final = "csp.middleware.CSPMiddleware"
CSP_MIDDLEWARE: Final = CORE_CSP_MIDDLEWARE if HAS_BUILTIN_CSP else DJANGO_CSP_MIDDLEWARE
# Templates read the nonce as csp_nonce on both lines; django-csp calls it
# CSP_NONCE, so on 5.2 a processor of ours provides core's name.
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
    if not _importable("csp"):
        # Settings must still load, so that django_six_demos.E001 can say what to install.
        return NONCE
    from csp.constants import NONCE as DJANGO_CSP_NONCE

    return DJANGO_CSP_NONCE


def _swap(directives: Directives, nonce: object) -> dict[str, Any]:
    return {
        name: value
        if isinstance(value, bool)
        else [nonce if source is NONCE else source for source in value]
        for name, value in directives.items()
    }


def csp_setting_value(directives: Directives) -> dict[str, Any]:
    """Return ``directives`` as this line's setting value: ``SECURE_CSP``'s, or django-csp's."""
    live = _swap(directives, _live_nonce())
    return live if HAS_BUILTIN_CSP else {"DIRECTIVES": live}


def csp_settings(
    directives: Directives | None = None, *, report_only: Directives | None = None
) -> dict[str, Any]:
    """Return this line's CSP settings for an enforced and/or a report-only policy."""
    result: dict[str, Any] = {}
    if directives is not None:
        result[CSP_SETTING] = csp_setting_value(directives)
    if report_only is not None:
        result[CSP_REPORT_ONLY_SETTING] = csp_setting_value(report_only)
    return result


def _neutral(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        return {}
    if not HAS_BUILTIN_CSP:
        value = value.get("DIRECTIVES") or {}
    live = _live_nonce()
    return {
        name: sources
        if isinstance(sources, bool) or sources is None
        else [NONCE if live is not None and s is live else s for s in sources]
        for name, sources in value.items()
    }


def configured_policies() -> dict[str, dict[str, Any]]:
    """Return the configured policies as neutral directives, by ``"enforce"``/``"report-only"``."""
    return {
        "enforce": _neutral(getattr(settings, CSP_SETTING, None)),
        "report-only": _neutral(getattr(settings, CSP_REPORT_ONLY_SETTING, None)),
    }


def policy_uses_nonce() -> bool:
    """Return whether an enforced or report-only policy asks for a nonce."""
    return any(
        isinstance(sources, (list, tuple, set, frozenset)) and NONCE in sources
        for policy in configured_policies().values()
        for sources in policy.values()
    )


def get_nonce(request: HttpRequest) -> Any:
    """Return the request's lazy CSP nonce, or None without CSP middleware."""
    if HAS_BUILTIN_CSP:
        from django.middleware.csp import get_nonce as core_get_nonce

        return core_get_nonce(request)
    return getattr(request, "csp_nonce", None)


def merge_directives(base: Directives, extra: Directives) -> dict[str, Any]:
    """Return ``base`` with each directive's sources extended by ``extra``'s."""
    merged: dict[str, Any] = {k: v if isinstance(v, bool) else list(v) for k, v in base.items()}
    for name, sources in extra.items():
        current = merged.get(name)
        if isinstance(sources, bool) or isinstance(current, bool) or current is None:
            merged[name] = sources if isinstance(sources, bool) else list(sources)
        else:
            merged[name] = current + [s for s in sources if s not in current]
    return merged


ViewT = TypeVar("ViewT", bound=Callable[..., HttpResponseBase])
Decorator = Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]


def _override(directives: Directives | None, *, report_only: bool = False) -> Decorator:
    # One header set to ``directives``, or removed for None; the other left alone.
    if HAS_BUILTIN_CSP:
        from django.views.decorators.csp import csp_override, csp_report_only_override

        override = csp_report_only_override if report_only else csp_override
        return override({} if directives is None else csp_setting_value(directives))
    from csp.decorators import csp, csp_exempt

    if directives is None:
        return csp_exempt(REPORT_ONLY=report_only)  # type: ignore[no-any-return]
    policy = _swap(directives, _live_nonce())
    return csp(policy, REPORT_ONLY=report_only)  # type: ignore[no-any-return]


def _on_each_request(
    enforced: Callable[[], Directives | None] | None = None,
    report_only: Callable[[], Directives | None] | None = None,
) -> Callable[[ViewT], ViewT]:
    # Built per request, not at import: on 5.2 without django-csp, importing a view
    # must not fail before E001 says what to install; and settings are read live.
    def decorator(view: ViewT) -> ViewT:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            decorated: Callable[..., HttpResponseBase] = view
            if report_only is not None:
                decorated = _override(report_only(), report_only=True)(decorated)
            if enforced is not None:
                decorated = _override(enforced())(decorated)
            return decorated(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def _or_site(directives: Directives | None) -> Directives:
    return configured_policies()["enforce"] if directives is None else directives


def csp_replace(directives: Directives) -> Callable[[ViewT], ViewT]:
    """Serve the view under ``directives`` instead of the site policy."""
    return _on_each_request(lambda: directives)


def csp_extend(directives: Directives) -> Callable[[ViewT], ViewT]:
    """Serve the view under the site policy plus ``directives``' sources (core cannot merge)."""
    return _on_each_request(lambda: merge_directives(_or_site(None), directives))


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
    from django.tasks.exceptions import InvalidTask, InvalidTaskBackend, TaskResultDoesNotExist

    TASKS_PACKAGE: Final = "django.tasks"
else:
    try:
        import django_tasks as _backport
        from django_tasks.base import Task
        from django_tasks.exceptions import TaskResultDoesNotExist

        DEFAULT_TASK_BACKEND_ALIAS = _backport.DEFAULT_TASK_BACKEND_ALIAS
        TaskContext = _backport.TaskContext
        TaskResult = _backport.TaskResult
        TaskResultStatus = _backport.TaskResultStatus
        default_task_backend = _backport.default_task_backend
        task = _backport.task
        task_backends = _backport.task_backends
        # The backport names two exceptions with an "Error" suffix.
        InvalidTask = _backport.exceptions.InvalidTaskError
        InvalidTaskBackend = _backport.exceptions.InvalidTaskBackendError
    except ImportError:
        # django-tasks is missing: importing these names gives E001's advice.
        def __getattr__(name: str) -> Any:
            if name not in __all__:
                raise AttributeError(name)
            raise ImportError(
                f"django_six_demos.compat.{name} needs django-tasks on Django "
                f"{DJANGO_LINE}: {BACKPORTS_INSTALL}"
            )

    TASKS_PACKAGE = "django_tasks"

IMMEDIATE_TASK_BACKEND: Final = f"{TASKS_PACKAGE}.backends.immediate.ImmediateBackend"
DUMMY_TASK_BACKEND: Final = f"{TASKS_PACKAGE}.backends.dummy.DummyBackend"
DATABASE_TASK_BACKEND: Final = "django_tasks_db.DatabaseBackend"
# Built on the django-tasks backport on every line, Django 6.x included.
RQ_TASK_BACKEND: Final = "django_tasks_rq.RQBackend"


def task_result_does_not_exist() -> tuple[type[Exception], ...]:
    """Return the classes a backend may raise for an unknown result id, for ``except``.

    On 6.0+ the backport's too, when installed: django-tasks-rq raises it on every line.
    """
    errors: list[type[Exception]] = []
    if HAS_BUILTIN_TASKS:
        from django.tasks.exceptions import TaskResultDoesNotExist as CoreDoesNotExist

        errors.append(CoreDoesNotExist)
    if _importable("django_tasks"):
        from django_tasks.exceptions import TaskResultDoesNotExist as BackportDoesNotExist

        errors.append(BackportDoesNotExist)
    return tuple(errors)


__all__ = [
    "DEFAULT_TASK_BACKEND_ALIAS",
    "InvalidTask",
    "InvalidTaskBackend",
    "Task",
    "TaskContext",
    "TaskResult",
    "TaskResultDoesNotExist",
    "TaskResultStatus",
    "default_task_backend",
    "task",
    "task_backends",
]


# -- Email and fetch modes -----------------------------------------------------


def mail_settings(backend: str) -> dict[str, Any]:
    """Return the settings making ``backend`` the default: 6.1+ ``MAILERS``, else ``EMAIL_BACKEND``."""
    if HAS_MAILERS:
        return {"MAILERS": {"default": {"BACKEND": backend}}}
    return {"EMAIL_BACKEND": backend}


if TYPE_CHECKING:
    from django.core.mail.backends.base import BaseEmailBackend
    from django.db.models import Model, QuerySet


def mail_connection() -> BaseEmailBackend:
    """Return a connection to the default mailer (6.1+: ``mailers.default``)."""
    if HAS_MAILERS:
        from django.core.mail import mailers

        return mailers.default
    from django.core.mail import get_connection

    return get_connection()


_ModelT = TypeVar("_ModelT", bound="Model")


def peers_fetching(queryset: QuerySet[_ModelT], *related: str) -> QuerySet[_ModelT]:
    """Return ``queryset`` loading related objects without N+1 queries.

    6.1+: ``fetch_mode(FETCH_PEERS)``, which needs no names; before: ``select_related(*related)``.
    """
    if HAS_FETCH_MODES:
        from django.db.models import FETCH_PEERS

        return queryset.fetch_mode(FETCH_PEERS)
    return queryset.select_related(*related)
