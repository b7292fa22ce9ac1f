"""System checks about the whole site: backports, middleware, templates, users, caches.

Registered by the top-level app; each demo checks itself.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.checks import CheckMessage, Error, Warning
from django.db import DatabaseError, connections, router

from django_six_demos import compat, demo
from django_six_demos.conf import DJANGO_TEMPLATES, FRAME_MIDDLEWARE, HTMX_MIDDLEWARE
from django_six_demos.conference.demo_users import DEMO_USERS
from django_six_demos.csp_policy import NONCE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.apps import AppConfig

    AppConfigs = Sequence[AppConfig] | None

_CONF_HINT = "Build the setting with django_six_demos.conf (see the install docs)."


def _middleware() -> list[str]:
    return list(getattr(settings, "MIDDLEWARE", None) or [])


def check_backports(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E001 / E002: on Django 5.2 the installed demos' backports, installed and listed."""
    needed = demo.backports(type(config) for config in demo.installed_demos())
    missing = [b for b in needed if importlib.util.find_spec(b.module) is None]
    if missing:
        names = ", ".join(b.distribution for b in missing)
        return [
            Error(
                f"Django {compat.DJANGO_LINE} needs the backports: {names} missing.",
                hint=compat.BACKPORTS_INSTALL,
                id="django_six_demos.E001",
            )
        ]
    unlisted = [b for b in needed if not apps.is_installed(b.module)]
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
    if any(app.split(".")[0] == "template_partials" for app in settings.INSTALLED_APPS):
        return True
    text = repr(getattr(settings, "TEMPLATES", []))
    return compat.PARTIALS_LOADER in text or compat.PARTIALS_BUILTIN in text


def check_partials_backport(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
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


def check_csp_middleware(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E004 / E005: exactly one CSP middleware, the one for this Django line."""
    middleware = _middleware()
    if compat.CORE_CSP_MIDDLEWARE in middleware and compat.DJANGO_CSP_MIDDLEWARE in middleware:
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
        if backend.get("BACKEND") == DJANGO_TEMPLATES:
            found.update(backend.get("OPTIONS", {}).get("context_processors", []))
    return found


def check_csp_nonce_processor(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """W006: a nonce policy whose templates cannot print the nonce."""
    # Django 6.1 checks this itself (security.W027).
    if compat.HAS_CSP_NONCE_CHECK or compat.CSP_CONTEXT_PROCESSOR in _context_processors():
        return []
    sources = [s for policy in compat.configured_policies().values() for s in policy.values()]
    if any(isinstance(s, list) and NONCE in s for s in sources):
        return [
            Warning(
                "The CSP policy uses a nonce, but templates cannot read csp_nonce.",
                hint=f"Add {compat.CSP_CONTEXT_PROCESSOR!r} to the context processors. {_CONF_HINT}",
                id="django_six_demos.W006",
            )
        ]
    return []


def check_htmx_middleware(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
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


def check_frame_middleware(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
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


def check_cache_middleware(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
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


def check_demo_passwords(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E015: a demo user still has the password the docs publish (check --deploy)."""
    if not apps.is_installed("django.contrib.auth"):
        return []
    user_model = get_user_model()
    alias = router.db_for_read(user_model)
    if connections[alias].settings_dict["ENGINE"] == "django.db.backends.dummy":
        return []
    field = user_model.USERNAME_FIELD
    passwords = {user.username: user.password for user in DEMO_USERS}
    try:
        found = list(
            user_model._default_manager.using(alias)
            .filter(**{f"{field}__in": list(passwords)})
            .values_list(field, "password")
        )
    except DatabaseError:
        # Not migrated yet or unreachable: check --deploy may run before migrate.
        return []
    public = sorted(
        name
        for name, encoded in found
        # A case-insensitive collation may return "Ada" for "ada"; User.check_password()
        # would save an upgraded hash.
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


def check_rate_limit_cache(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E016 / W017: the cache django-ratelimit counts in must exist and keep counts."""
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
