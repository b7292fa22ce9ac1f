"""System checks that explain a misconfigured django-six-demos install.

Each check has a stable ID (``django_six_demos.E001`` ...) and a one-line hint,
listed in the reference docs. Sub-apps register their own checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError, connections, router
from django.urls import Resolver404, resolve

from django_six_demos import compat
from django_six_demos.conf import (
    FRAME_MIDDLEWARE,
    HTMX_MIDDLEWARE,
    REPORTING_ENDPOINTS_SETTING,
    REPORTING_MIDDLEWARE,
)
from django_six_demos.conference.demo_users import DEMO_USERS

_CONF_HINT = "Build the setting with django_six_demos.conf (see the install docs)."


def _middleware() -> list[str]:
    return list(getattr(settings, "MIDDLEWARE", None) or [])


def check_backports(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """E001 / E002: Django 5.2 needs the backports, installed and listed."""
    missing = compat.missing_backports()
    if missing:
        names = ", ".join(b.distribution for b in missing)
        return [
            Error(
                f"Django {compat.DJANGO_LINE} needs the backports: {names} missing.",
                hint=compat.BACKPORTS_INSTALL,
                id="django_six_demos.E001",
            )
        ]
    unlisted = [b for b in compat.required_backports() if not apps.is_installed(b.module)]
    if unlisted:
        names = ", ".join(repr(b.app) for b in unlisted)
        return [
            Error(
                f"Backports not in INSTALLED_APPS: {names}.",
                hint="Use INSTALLED_APPS += django_six_demos.conf.installed_apps().",
                id="django_six_demos.E002",
            )
        ]
    return []


def _uses_partials_package() -> bool:
    if any(
        app == "template_partials" or app.startswith("template_partials.")
        for app in settings.INSTALLED_APPS
    ):
        return True
    text = repr(getattr(settings, "TEMPLATES", []))
    return compat.PARTIALS_LOADER in text or compat.PARTIALS_BUILTIN in text


def check_partials_backport(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """W003: django-template-partials is redundant (and warns) on Django 6.0+."""
    if compat.HAS_BUILTIN_PARTIALS and _uses_partials_package():
        return [
            Warning(
                f"django-template-partials is in use, but Django {compat.DJANGO_LINE} has partials.",
                hint="Remove template_partials from INSTALLED_APPS and TEMPLATES; core provides it.",
                id="django_six_demos.W003",
            )
        ]
    return []


def check_csp_middleware(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """E004 / E005: exactly one CSP middleware, the one for this Django line."""
    middleware = _middleware()
    present = [
        name
        for name in (compat.CORE_CSP_MIDDLEWARE, compat.DJANGO_CSP_MIDDLEWARE)
        if name in middleware
    ]
    if len(present) > 1:
        return [
            Error(
                "Both django-csp's and Django's CSP middleware are in MIDDLEWARE.",
                hint=f"Keep only {compat.CSP_MIDDLEWARE!r}.",
                id="django_six_demos.E005",
            )
        ]
    if compat.CSP_MIDDLEWARE not in middleware:
        return [
            Error(
                "The demos need a strict CSP, but no CSP middleware is installed.",
                hint=f"Add {compat.CSP_MIDDLEWARE!r} to MIDDLEWARE. {_CONF_HINT}",
                id="django_six_demos.E004",
            )
        ]
    return []


def _context_processors() -> set[str]:
    found: set[str] = set()
    for backend in getattr(settings, "TEMPLATES", []):
        if backend.get("BACKEND") == "django.template.backends.django.DjangoTemplates":
            found.update(backend.get("OPTIONS", {}).get("context_processors", []))
    return found


def check_csp_nonce_processor(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """W006: a nonce policy whose templates cannot print the nonce.

    Django 6.1 checks this itself (security.W027), so W006 speaks only on
    Django 5.2 and 6.0, where nothing else would.
    """
    if compat.HAS_CSP_NONCE_CHECK:
        return []
    if compat.policy_uses_nonce() and compat.CSP_CONTEXT_PROCESSOR not in _context_processors():
        return [
            Warning(
                "The CSP policy uses a nonce, but templates cannot read csp_nonce.",
                hint=f"Add {compat.CSP_CONTEXT_PROCESSOR!r} to the context processors. {_CONF_HINT}",
                id="django_six_demos.W006",
            )
        ]
    return []


def check_htmx_middleware(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """E007: the demos read request.htmx, set by django-htmx's middleware."""
    if HTMX_MIDDLEWARE not in _middleware():
        return [
            Error(
                "django-htmx's HtmxMiddleware is missing; demos read request.htmx.",
                hint=f"Add {HTMX_MIDDLEWARE!r} to MIDDLEWARE. {_CONF_HINT}",
                id="django_six_demos.E007",
            )
        ]
    return []


def check_frame_middleware(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """W012: without the frame's middleware, demo pages show no response inspector."""
    if FRAME_MIDDLEWARE not in _middleware():
        return [
            Warning(
                "DemoFrameMiddleware is missing; demo pages show no response inspector.",
                hint=f"Add {FRAME_MIDDLEWARE!r} first in MIDDLEWARE. {_CONF_HINT}",
                id="django_six_demos.W012",
            )
        ]
    return []


_CACHE_MIDDLEWARE = (
    "django.middleware.cache.UpdateCacheMiddleware",
    "django.middleware.cache.FetchFromCacheMiddleware",
    "django.middleware.cache.CacheMiddleware",
)


def check_cache_middleware(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """W011: a site-wide cache would replay one request's nonce to everyone."""
    cached = [name for name in _CACHE_MIDDLEWARE if name in _middleware()]
    if cached:
        return [
            Warning(
                "Site-wide cache middleware would serve stale CSP nonces.",
                hint=f"Remove {', '.join(cached)}; never cache pages that carry a nonce.",
                id="django_six_demos.W011",
            )
        ]
    return []


def check_crud_requirements(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """E008: the CRUD demo is built on neapolitan."""
    if not apps.is_installed("neapolitan"):
        return [
            Error(
                "The CRUD demo needs neapolitan in INSTALLED_APPS.",
                hint="Add 'neapolitan' to INSTALLED_APPS, or use conf.installed_apps().",
                id="django_six_demos.E008",
            )
        ]
    return []


def check_tasks_backend(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """W009: the tasks demo shows a real worker: django-tasks-db's, or RQ's.

    django-tasks-rq checks its own needs (django_rq installed, every queue in
    RQ_QUEUES) with errors of its own, so W009 only asks for one of the two.
    """
    if not compat.tasks_api_importable():
        return []  # E001 already says to install django-tasks.
    tasks = getattr(settings, "TASKS", None) or {}
    backend = tasks.get(compat.DEFAULT_TASK_BACKEND_ALIAS, {}).get("BACKEND")
    if backend not in (compat.DATABASE_TASK_BACKEND, compat.RQ_TASK_BACKEND):
        return [
            Warning(
                f"The default TASKS backend is {backend!r}, not django-tasks-db's or "
                "django-tasks-rq's.",
                hint="Set TASKS = django_six_demos.conf.tasks_setting() to run the worker demo.",
                id="django_six_demos.W009",
            )
        ]
    return []


def check_sqlite_settings(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """W010: SQLite without WAL and IMMEDIATE transactions locks under load."""
    database = connections.settings["default"]
    if database.get("ENGINE") != "django.db.backends.sqlite3":
        return []
    options = database.get("OPTIONS", {})
    wal = "journal_mode=wal" in str(options.get("init_command", "")).lower().replace(" ", "")
    immediate = str(options.get("transaction_mode", "")).upper() == "IMMEDIATE"
    if not (wal and immediate):
        return [
            Warning(
                "The default SQLite database runs without WAL and IMMEDIATE transactions.",
                hint="Configure it with dj_lite.sqlite_config(BASE_DIR) to avoid 'database is locked'.",
                id="django_six_demos.W010",
            )
        ]
    return []


def _policy_sources(directive: str) -> list[str]:
    """Return the sources of ``directive`` in the enforced and report-only policies."""
    found: list[str] = []
    for policy in compat.configured_policies().values():
        sources = policy.get(directive)
        if isinstance(sources, (list, tuple)):
            found += [str(s) for s in sources if str(s) not in found]
    return found


def _site_path(uri: str) -> str | None:
    """Return ``uri`` as a path for resolve(), or None if it is on another site."""
    if not uri.startswith("/") or uri.startswith("//"):
        return None
    path = uri.split("?", 1)[0].split("#", 1)[0]
    prefix = (getattr(settings, "FORCE_SCRIPT_NAME", None) or "/").rstrip("/") + "/"
    return "/" + path.removeprefix(prefix) if path.startswith(prefix) else path


def check_csp_report_uri(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """W013: a report-uri path on this site that no URL pattern matches.

    Reports posted there would meet a 404 and be lost. URLs on other sites (a
    reporting service) are not checked.
    """
    messages: list[CheckMessage] = []
    for uri in _policy_sources("report-uri"):
        path = _site_path(uri)
        if path is None:
            continue
        try:
            resolve(path)
        except Resolver404:
            messages.append(
                Warning(
                    f"The CSP report-uri {uri!r} matches no URL; reports would be lost.",
                    hint="Point it at the collector: conf.demo_settings(..., csp_report_uri=...).",
                    id="django_six_demos.W013",
                )
            )
    return messages


def check_csp_report_to(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """W014: report-to names a group that no Reporting-Endpoints header defines.

    Browsers look the group up in that header; without it they send nothing.
    Django's and django-csp's settings send only the CSP headers.
    """
    groups = _policy_sources("report-to")
    if REPORTING_MIDDLEWARE in _middleware():
        defined = getattr(settings, REPORTING_ENDPOINTS_SETTING, None)
        if isinstance(defined, Mapping):
            groups = [group for group in groups if group not in defined]
    if groups:
        return [
            Warning(
                f"The CSP report-to names {', '.join(groups)}, but no Reporting-Endpoints defines it.",
                hint=(
                    f"Map it to a URL in {REPORTING_ENDPOINTS_SETTING} and add "
                    f"{REPORTING_MIDDLEWARE!r} to MIDDLEWARE. {_CONF_HINT}"
                ),
                id="django_six_demos.W014",
            )
        ]
    return []


# -- Registered here, when the main app's ready() imports this module ----------


@register(Tags.security, deploy=True)
def check_demo_passwords(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """E015: a demo user still has the password the docs publish (check --deploy).

    One query for the users with the demo usernames; each hash is compared
    without saving an upgraded one. A database that cannot be read (not
    migrated yet, unreachable) is skipped: the check must not stop a deploy
    that runs ``check --deploy`` before ``migrate``.
    """
    if not apps.is_installed("django.contrib.auth"):
        return []
    user_model = get_user_model()
    alias = router.db_for_read(user_model)
    if connections[alias].settings_dict["ENGINE"] == "django.db.backends.dummy":
        return []
    field = user_model.USERNAME_FIELD
    passwords = {demo.username: demo.password for demo in DEMO_USERS}
    try:
        found = list(
            user_model._default_manager.using(alias)
            .filter(**{f"{field}__in": list(passwords)})
            .values_list(field, "password")
        )
    except DatabaseError:
        return []
    public = sorted(
        name
        for name, encoded in found
        # A case-insensitive collation may return "Ada" for "ada".
        if name in passwords and check_password(passwords[name], encoded)
    )
    if public:
        return [
            Error(
                f"Demo users still have their public passwords: {', '.join(public)}.",
                hint="Change each with 'manage.py changepassword <username>', or delete the user.",
                id="django_six_demos.E015",
            )
        ]
    return []


_DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"


@register(Tags.caches)
def check_rate_limit_cache(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """E016 / W017: the cache django-ratelimit counts in must exist and keep counts.

    :mod:`django_six_demos.limits` counts in ``RATELIMIT_USE_CACHE`` (default
    ``"default"``). LocMemCache passes: each process then counts on its own.
    """
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    configured = getattr(settings, "CACHES", None) or {}
    if alias not in configured:
        return [
            Error(
                f"The rate limits count in cache {alias!r}, which CACHES does not define.",
                hint="Add it to CACHES, or set RATELIMIT_USE_CACHE to a cache that exists.",
                id="django_six_demos.E016",
            )
        ]
    if configured[alias].get("BACKEND") == _DUMMY_CACHE:
        return [
            Warning(
                f"The rate limits count in cache {alias!r}, a DummyCache: they never trigger.",
                hint=(
                    "Point RATELIMIT_USE_CACHE at a real cache: LocMemCache counts per "
                    "process, Redis or Memcached for the whole site."
                ),
                id="django_six_demos.W017",
            )
        ]
    return []
