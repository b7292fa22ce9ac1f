"""Every Django-version decision in django-six-demos.

Django 6.0 took template partials, Content Security Policy and the tasks API
into core. On Django 5.2 the same features come from their backports:
django-template-partials, django-csp and django-tasks. This is the only module
that reads ``django.VERSION``; everything else asks the flags and functions here.
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
# The full running version, e.g. "6.1.3". Never printed on a page: the exact
# patch release tells a visitor which published security fixes are missing.
DJANGO_VERSION: Final = django.get_version()

# Django < 6.0: django-template-partials provides {% partialdef %} and "x.html#name".
HAS_BUILTIN_PARTIALS: Final = django.VERSION >= (6, 0)
# Django < 6.0: django-csp provides the middleware, the nonce and the decorators.
HAS_BUILTIN_CSP: Final = django.VERSION >= (6, 0)
# Django < 6.0: django-tasks backports the django.tasks API.
HAS_BUILTIN_TASKS: Final = django.VERSION >= (6, 0)
# Django 6.1 added security.W027 (nonce policy without the csp context processor).
HAS_CSP_NONCE_CHECK: Final = django.VERSION >= (6, 1)
# Django 6.1 replaced EMAIL_BACKEND and friends with MAILERS.
HAS_MAILERS: Final = django.VERSION >= (6, 1)

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
    # SimpleAppConfig: template_partials' default AppConfig rewrites
    # settings.TEMPLATES in ready(); we wire its loader ourselves instead.
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
    """Return the release series of ``version``: its first two numbers.

    Pages name the series, never the exact release, which would tell a
    visitor which published fixes are missing.

    >>> release_series("6.1.3"), release_series("0.13.0rc1"), release_series("3.40.1")
    ('6.1', '0.13', '3.40')
    """
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
    """Return who provides ``feature`` ("partials", "csp" or "tasks") here.

    >>> feature_source("csp")  # on Django 6.1.3
    FeatureSource(provider='Django', version='6.1', is_core=True)
    """
    builtin = {
        "partials": (HAS_BUILTIN_PARTIALS, "django-template-partials"),
        "csp": (HAS_BUILTIN_CSP, "django-csp"),
        "tasks": (HAS_BUILTIN_TASKS, "django-tasks"),
    }
    is_core, backport = builtin[feature]
    if is_core:
        return FeatureSource("Django", DJANGO_LINE, True)
    return FeatureSource(backport, distribution_series(backport), False)


# -- Template partials -------------------------------------------------------

_BASE_LOADERS: Final = (
    "django.template.loaders.filesystem.Loader",
    "django.template.loaders.app_directories.Loader",
)
PARTIALS_LOADER: Final = "template_partials.loader.Loader"
PARTIALS_BUILTIN: Final = "template_partials.templatetags.partials"


def _partials_backport_wanted() -> bool:
    # Only wire the backport in when it can be imported: a missing package must
    # reach the django_six_demos.E001 check, not crash while building engines.
    return not HAS_BUILTIN_PARTIALS and _importable("template_partials")


def partials_settings(*, core: bool) -> dict[str, Any]:
    """Return the settings pieces that give a project template partials.

    ``core=True``: Django 6.0 and later, where partials are built in.
    ``core=False``: Django 5.2 with django-template-partials.

    Keys: ``"INSTALLED_APPS"``, the entries to add; ``"loaders"`` and
    ``"builtins"``, the ``OPTIONS`` of the Django template engine (which then
    takes no ``APP_DIRS``). Pure: it reads no setting and no version, so either
    stack can be shown on any line, as the migration page does.
    """
    cached = ("django.template.loaders.cached.Loader", list(_BASE_LOADERS))
    if core:
        return {"INSTALLED_APPS": [], "loaders": [cached], "builtins": []}
    return {
        # Not "template_partials": its default AppConfig rewrites TEMPLATES.
        "INSTALLED_APPS": ["template_partials.apps.SimpleAppConfig"],
        "loaders": [(PARTIALS_LOADER, [cached])],
        "builtins": [PARTIALS_BUILTIN],
    }


def template_loaders() -> list[Any]:
    """Return the template ``loaders`` option that understands partials.

    Django 6.0+: the cached loader around the filesystem and app loaders.
    Django 5.2: the same, wrapped in django-template-partials' loader.
    """
    loaders: list[Any] = partials_settings(core=not _partials_backport_wanted())["loaders"]
    return loaders


def template_builtins() -> list[str]:
    """Return the template ``builtins`` that make {% partialdef %} load-free."""
    builtins: list[str] = partials_settings(core=not _partials_backport_wanted())["builtins"]
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

# Both lines expose the nonce to templates as ``csp_nonce`` (the name core and
# django-htmx's {% htmx_script %} use). django-csp calls it CSP_NONCE, so on
# Django 5.2 a small processor of ours provides the core name.
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
        # django-csp is missing: settings must still load, so that
        # django_six_demos.E001 can say what to install.
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
    """Return ``directives`` in the shape of the running line's CSP setting.

    Django 6.0+: the ``SECURE_CSP`` dict, with ``CSP.NONCE``.
    Django 5.2: django-csp's ``{"DIRECTIVES": ...}``, with its ``NONCE``.
    """
    live = _swap(directives, _live_nonce())
    return live if HAS_BUILTIN_CSP else {"DIRECTIVES": live}


def csp_settings(
    directives: Directives | None = None, *, report_only: Directives | None = None
) -> dict[str, Any]:
    """Return the CSP settings for an enforced and/or a report-only policy.

    >>> globals().update(csp_settings({"default-src": [NONE]}))
    """
    result: dict[str, Any] = {}
    if directives is not None:
        result[CSP_SETTING] = csp_setting_value(directives)
    if report_only is not None:
        result[CSP_REPORT_ONLY_SETTING] = csp_setting_value(report_only)
    return result


class _SettingsCode:
    """A settings value that prints as the code naming it, with the import it needs."""

    def __init__(self, code: str, imports: str) -> None:
        self.code = code
        self.imports = imports

    def __repr__(self) -> str:
        return self.code


# How each stack spells "this request's nonce" in settings.py.
_CORE_NONCE_CODE: Final = _SettingsCode("CSP.NONCE", "from django.utils.csp import CSP")
_DJANGO_CSP_NONCE_CODE: Final = _SettingsCode("NONCE", "from csp.constants import NONCE")


def csp_settings_for(
    directives: Directives | None = None,
    *,
    report_only: Directives | None = None,
    core: bool,
) -> dict[str, Any]:
    """Return the CSP settings of either stack for ``directives``, on any Django line.

    ``core=True``: ``SECURE_CSP`` (and ``SECURE_CSP_REPORT_ONLY``), Django 6.0+.
    ``core=False``: ``CONTENT_SECURITY_POLICY`` (and ``..._REPORT_ONLY``) as
    ``{"DIRECTIVES": ...}``, django-csp on Django 5.2.

    Unlike :func:`csp_settings`, which gives the running line's settings with
    the live nonce object, this is pure: it imports neither stack, and
    :data:`NONCE` becomes a stand-in whose ``repr()`` is the code for it
    (``CSP.NONCE`` or django-csp's ``NONCE``), with an ``imports`` attribute.
    The migration page prints both stacks' settings with it.

    >>> csp_settings_for({"script-src": [NONCE]}, core=True)
    {'SECURE_CSP': {'script-src': [CSP.NONCE]}}
    """
    nonce = _CORE_NONCE_CODE if core else _DJANGO_CSP_NONCE_CODE
    names = (
        ("SECURE_CSP", "SECURE_CSP_REPORT_ONLY")
        if core
        else ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
    )
    result: dict[str, Any] = {}
    for name, policy in zip(names, (directives, report_only), strict=True):
        if policy is not None:
            value = _swap(policy, nonce)
            result[name] = value if core else {"DIRECTIVES": value}
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
    """Return the configured policies as neutral directives, by header mode.

    Keys are ``"enforce"`` and ``"report-only"``; ``NONCE`` marks the nonce.
    """
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


ViewT = TypeVar("ViewT", bound=Callable[..., HttpResponseBase])
Decorator = Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]


def _on_each_request(build: Callable[[], Decorator]) -> Callable[[ViewT], ViewT]:
    # Builds the real decorator when a request comes, not when the view module
    # is imported: on Django 5.2 without django-csp, importing a decorated view
    # (URL resolution does, in checks) must not fail before
    # django_six_demos.E001 can say what to install. It also reads the settings
    # in force on each request.
    def decorator(view: ViewT) -> ViewT:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            return build()(view)(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def csp_replace(directives: Directives) -> Callable[[ViewT], ViewT]:
    """Serve the decorated view under ``directives`` instead of the site policy.

    Django 6.0+: ``csp_override``. Django 5.2: django-csp's ``csp``.
    """

    def build() -> Decorator:
        if HAS_BUILTIN_CSP:
            from django.views.decorators.csp import csp_override

            return csp_override(csp_setting_value(directives))
        from csp.decorators import csp

        return csp(_swap(directives, _live_nonce()))  # type: ignore[no-any-return]

    return _on_each_request(build)


def csp_extend(directives: Directives) -> Callable[[ViewT], ViewT]:
    """Serve the decorated view under the site policy plus ``directives``.

    Sources are appended to the site's for each directive. Django 6.0+ has no
    merging decorator (``csp_override`` replaces), so the merge is computed
    from ``SECURE_CSP`` on each request; Django 5.2 uses ``csp_update``.
    """

    def build() -> Decorator:
        if HAS_BUILTIN_CSP:
            from django.views.decorators.csp import csp_override

            merged = merge_directives(configured_policies()["enforce"], directives)
            return csp_override(csp_setting_value(merged))
        from csp.decorators import csp_update

        return csp_update(_swap(directives, _live_nonce()))  # type: ignore[no-any-return]

    return _on_each_request(build)


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


def _headers(enforced: Directives | None, report_only: Directives | None) -> Decorator:
    # One decorator setting both headers: a policy, or None for no header.
    if HAS_BUILTIN_CSP:
        from django.views.decorators.csp import csp_override, csp_report_only_override

        enforce = csp_override({} if enforced is None else csp_setting_value(enforced))
        report = csp_report_only_override(
            {} if report_only is None else csp_setting_value(report_only)
        )
    else:
        from csp.decorators import csp, csp_exempt

        nonce = _live_nonce()
        enforce = csp_exempt() if enforced is None else csp(_swap(enforced, nonce))
        report = (
            csp_exempt(REPORT_ONLY=True)
            if report_only is None
            else csp(_swap(report_only, nonce), REPORT_ONLY=True)
        )
    return lambda view: enforce(report(view))


def csp_disable() -> Callable[[ViewT], ViewT]:
    """Serve the decorated view without any CSP header (enforced or report-only).

    Django 6.0+: ``csp_override({})`` + ``csp_report_only_override({})``.
    Django 5.2: django-csp's ``csp_exempt()`` + ``csp_exempt(REPORT_ONLY=True)``.
    """
    return _on_each_request(lambda: _headers(None, None))


def csp_enforce_only(directives: Directives | None = None) -> Callable[[ViewT], ViewT]:
    """Serve the decorated view under one enforced policy and no report-only header.

    ``directives`` defaults to the site's enforced policy, read on each request.
    Django 6.0+: ``csp_override`` + ``csp_report_only_override({})``.
    Django 5.2: django-csp's ``csp`` + ``csp_exempt(REPORT_ONLY=True)``.
    """
    return _on_each_request(
        lambda: _headers(
            configured_policies()["enforce"] if directives is None else directives, None
        )
    )


def csp_report_only(directives: Directives | None = None) -> Callable[[ViewT], ViewT]:
    """Serve the decorated view's policy as report-only, with no enforced header.

    The browser then blocks nothing on the page and reports what the policy
    would have blocked. ``directives`` defaults to the site's enforced policy,
    read on each request.
    Django 6.0+: ``csp_override({})`` + ``csp_report_only_override``.
    Django 5.2: django-csp's ``csp_exempt()`` + ``csp(..., REPORT_ONLY=True)``.
    """
    return _on_each_request(
        lambda: _headers(
            None, configured_policies()["enforce"] if directives is None else directives
        )
    )


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
    from django.tasks.exceptions import (
        InvalidTask,
        InvalidTaskBackend,
        TaskResultDoesNotExist,
    )

    TASKS_PACKAGE: Final = "django.tasks"
else:
    try:
        from django_tasks import (
            DEFAULT_TASK_BACKEND_ALIAS,
            TaskContext,
            TaskResult,
            TaskResultStatus,
            default_task_backend,
            task,
            task_backends,
        )
        from django_tasks.base import Task

        # The backport names its exceptions with an "Error" suffix.
        from django_tasks.exceptions import InvalidTaskBackendError as InvalidTaskBackend
        from django_tasks.exceptions import InvalidTaskError as InvalidTask
        from django_tasks.exceptions import TaskResultDoesNotExist
    except ImportError:
        # django-tasks is missing: django_six_demos.E001 says how to install it.
        # Importing the names below fails with the same advice, not a bare
        # ImportError from deep inside a demo.
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

    Django 6.0+: core's ``TaskResultDoesNotExist``, plus the backport's when
    django-tasks is installed: django-tasks-rq builds on the backport on every
    line, so its ``get_result()`` raises the backport's class, which is not
    core's. Django 5.2: the backport's.
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


# -- Email ---------------------------------------------------------------------


def mail_settings(backend: str) -> dict[str, Any]:
    """Return the settings that make ``backend`` the default email backend.

    Django 6.1+: ``MAILERS`` (defining ``EMAIL_BACKEND`` there is deprecated).
    Django 5.2 / 6.0: ``EMAIL_BACKEND`` (``MAILERS`` does not exist yet).
    """
    if HAS_MAILERS:
        return {"MAILERS": {"default": {"BACKEND": backend}}}
    return {"EMAIL_BACKEND": backend}


if TYPE_CHECKING:
    from django.core.mail.backends.base import BaseEmailBackend


def mail_connection() -> BaseEmailBackend:
    """Return a connection to the default mailer, to send several messages over one.

    Django 6.1+: ``mailers.default`` (``get_connection()`` is deprecated there).
    Django 5.2 / 6.0: ``get_connection()``.

    >>> mail_connection().send_messages([EmailMessage("Hi", "Body", to=["a@example.com"])])
    1
    """
    if HAS_MAILERS:
        from django.core.mail import mailers

        return mailers.default
    from django.core.mail import get_connection

    return get_connection()


# -- Fetch modes ---------------------------------------------------------------

# Django 6.1 added QuerySet.fetch_mode() with FETCH_ONE, FETCH_PEERS and FETCH_RAISE.
HAS_FETCH_MODES: Final = django.VERSION >= (6, 1)

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

_ModelT = TypeVar("_ModelT", bound="Model")


def peers_fetching(queryset: QuerySet[_ModelT], *related: str) -> QuerySet[_ModelT]:
    """Return ``queryset`` set to load its rows' related objects without N+1 queries.

    Django 6.1+: ``fetch_mode(FETCH_PEERS)``. The first access to a related
    object that is not loaded yet (``talk.speaker``) loads it for every row
    fetched with this one, in one query; ``related`` is not needed.
    Django < 6.1: ``select_related(*related)``, which joins the ``related``
    foreign keys into the main query, so they must be named up front.

    >>> talks = peers_fetching(Talk.objects.all(), "speaker")
    """
    if HAS_FETCH_MODES:
        from django.db.models import FETCH_PEERS

        return queryset.fetch_mode(FETCH_PEERS)
    return queryset.select_related(*related)
