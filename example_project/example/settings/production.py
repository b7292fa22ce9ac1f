"""Production settings: ``check --deploy`` reports no issues on Django 5.2-6.1.

Required environment:

- ``DJANGO_SECRET_KEY``: a long random string (50+ characters).
- ``DJANGO_ALLOWED_HOSTS``: the site's host names, comma-separated.

And a database that is not the development one: ``DATABASE_URL``, or
``EXAMPLE_DATA_DIR`` naming a directory other than ``example_project`` (see
``[production-database]`` below).

Optional:

- ``DJANGO_SECURE_SSL_REDIRECT=0``: don't redirect HTTP to HTTPS here (a proxy
  in front does it; ``check --deploy`` then reports security.W008).
- ``DJANGO_BEHIND_PROXY=1``: trust the proxy's ``X-Forwarded-Proto: https``,
  and take the visitor's address from the last ``X-Forwarded-For`` entry.
  Only set it when one proxy always sets those headers.
- ``DJANGO_LOG_LEVEL``: the root log level (default ``INFO``), logged to stderr.
- ``EXAMPLE_ALLOW_DEVELOPMENT_DATABASE=1``: open the development database anyway.
- ``DATABASE_URL``, ``EXAMPLE_DATA_DIR``, ``EXAMPLE_STATIC_ROOT``: see ``base``.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES


def _required_env(name: str, hint: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"The {name} environment variable is required by the production settings: {hint}"
        )
    return value


DEBUG = False

SECRET_KEY = _required_env(
    "DJANGO_SECRET_KEY",
    "set it to a long random string, e.g. the output of "
    '`python -c "from django.core.management.utils import get_random_secret_key; '
    'print(get_random_secret_key())"`.',
)
ALLOWED_HOSTS = [
    host.strip()
    for host in _required_env(
        "DJANGO_ALLOWED_HOSTS", "the site's host names, comma-separated, e.g. demos.example.com."
    ).split(",")
    if host.strip()
]

# WhiteNoise (right after SecurityMiddleware, see base) serves the collected,
# compressed files with far-future cache headers.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS only: redirect, then tell browsers to never try HTTP again (one year).
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") != "0"
if os.environ.get("DJANGO_BEHIND_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # REMOTE_ADDR is the proxy's: every visitor would share one lockout and
    # one per-address rate limit.
    AXES_CLIENT_IP_CALLABLE = "example.proxy.client_ip"
    RATELIMIT_IP_META_KEY = "example.proxy.client_ip"
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# Django's defaults, spelled out because they are part of the header grade.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# [production-database]
# `manage.py demo` seeds the development database with users whose passwords
# are public. Production refuses that file (example_project/db.sqlite3), so a
# deployment never serves it by accident: set EXAMPLE_DATA_DIR or DATABASE_URL.
_DEVELOPMENT_DATABASE = (BASE_DIR / "db.sqlite3").resolve()
_database = DATABASES["default"]
if (
    _database["ENGINE"] == "django.db.backends.sqlite3"
    and Path(_database["NAME"]).resolve() == _DEVELOPMENT_DATABASE
    and os.environ.get("EXAMPLE_ALLOW_DEVELOPMENT_DATABASE") != "1"
):
    raise ImproperlyConfigured(
        f"The production settings refuse the development database {_DEVELOPMENT_DATABASE}: "
        "`manage.py demo` seeds it with demo users whose passwords are public. Set "
        "EXAMPLE_DATA_DIR to another directory (or DATABASE_URL), or set "
        "EXAMPLE_ALLOW_DEVELOPMENT_DATABASE=1 to use it anyway."
    )
# [/production-database]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} {process:d}: {message}", "style": "{"},
    },
    "handlers": {
        # StreamHandler writes to stderr: the process manager collects it.
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["stderr"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
