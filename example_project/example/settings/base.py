"""Settings shared by development and production.

The demos are wired in with django-six-demos' own helpers, exactly as the
install docs show: ``conf.installed_apps()`` and one ``conf.demo_settings()``
call for MIDDLEWARE, TEMPLATES, the strict CSP and TASKS.

Environment:

- ``DATABASE_URL``: any database dj-database-url understands; without it, SQLite.
- ``REDIS_URL``: run the tasks on RQ, with Redis there (``redis://host:6379/0``),
  instead of in the database; needs ``pip install django-tasks-rq``. The worker
  is then ``manage.py rqworker --job-class django_tasks_rq.Job default emails
  exports`` (``manage.py demo`` starts it).
- ``EXAMPLE_DATA_DIR``: where the SQLite file ``db.sqlite3`` lives (default:
  the ``example_project`` directory).
- ``EXAMPLE_QUEUE_DB=1``: keep the task queue in its own SQLite file,
  ``tasks.sqlite3`` beside ``db.sqlite3`` (SQLite only; then also run
  ``manage.py migrate --database tasks``).
- ``EXAMPLE_STATIC_ROOT``: where ``collectstatic`` writes (default:
  ``example_project/staticfiles``).
- ``EXAMPLE_ASGI=1``: set by ``example/asgi.py`` itself, not by hand: this
  process serves ASGI, so its connections are not kept (``CONN_MAX_AGE`` 0).

Sign-in throttling (django-axes) is set up here, for development and
production alike: see ``[sign-in-throttling]`` below.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url

from django_six_demos import compat, conf
from django_six_demos.sqlite.database import sqlite_database

# The example_project directory (this file is example/settings/base.py).
BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("EXAMPLE_DATA_DIR") or BASE_DIR).resolve()

DEBUG = False

ROOT_URLCONF = "example.urls"
WSGI_APPLICATION = "example.wsgi.application"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # This package: the `demo` command, the lockout page, example tasks.
    "example",
    *conf.installed_apps(),
    # Sign-in throttling for the demos' /sign-in/ and /admin/login/.
    "axes",
]

# Under ASGI (uvicorn) every middleware here runs in async mode. Natively async:
# the demos' own (the frame, the CSP reporting endpoints), AsyncWhiteNoiseMiddleware,
# django-htmx, django-permissions-policy and django-axes. Django's MiddlewareMixin
# ones (security, sessions, common, CSRF, auth, messages, clickjacking, CSP, and
# django-csp's on Django 5.2) run their hooks through sync_to_async: a thread hop
# per request, never per streamed chunk. A sync-only middleware would make Django
# run every middleware above it in a thread too: hence a subclass of WhiteNoise's,
# which is sync-only (6.x). None of them reads a streaming response's body.
_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise serves static files in every environment (development adds
    # whitenoise.runserver_nostatic so that runserver leaves them to it),
    # here through a subclass that is async too.
    "example.middleware.AsyncWhiteNoiseMiddleware",
    # After WhiteNoise: static files need no policy. (conf.middleware() puts it
    # there by itself after WhiteNoise's own class, not after a subclass.)
    compat.CSP_MIDDLEWARE,
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the page below.
    "axes.middleware.AxesMiddleware",
]

_TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# MIDDLEWARE (+ CSP, htmx), TEMPLATES (+ partials, nonce), the strict CSP, TASKS.
# Violations are reported to the CSP demo's collector (report-uri and report-to),
# wherever the demos' URLs are included.
globals().update(conf.demo_settings(_MIDDLEWARE, _TEMPLATES))

# Browser features no demo uses: deny them all (django-permissions-policy).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# [conn-max-age]
# Connections are kept ten minutes where a thread serves one request after
# another: the task worker, gunicorn (WSGI), management commands. Under ASGI
# (uvicorn; example/asgi.py sets EXAMPLE_ASGI) each request runs its sync code
# in a thread of its own, so a kept connection is never reused, only left open
# until garbage collected. Django's docs say to disable persistent connections
# there: https://docs.djangoproject.com/en/stable/ref/databases/#persistent-connections
_CONN_MAX_AGE = 0 if os.environ.get("EXAMPLE_ASGI") == "1" else 600
# [/conn-max-age]

_default_database: dict[str, Any]
if os.environ.get("DATABASE_URL"):
    _default_database = {
        **dj_database_url.config(conn_max_age=_CONN_MAX_AGE, conn_health_checks=True)
    }
else:
    # dj-lite's settings (WAL, IMMEDIATE transactions, synchronous=NORMAL),
    # plus timeout=20: see sqlite_database().
    _default_database = sqlite_database(
        DATA_DIR, file_name="db.sqlite3", conn_max_age=_CONN_MAX_AGE
    )
DATABASES = {"default": _default_database}

# [queue-database]
# The worker takes SQLite's write lock each time it polls for a task; in a
# file of its own, the queue stops competing with the site for that lock.
if os.environ.get("EXAMPLE_QUEUE_DB") == "1" and not os.environ.get("DATABASE_URL"):
    DATABASES["tasks"] = sqlite_database(
        DATA_DIR, file_name="tasks.sqlite3", conn_max_age=_CONN_MAX_AGE
    )
    DATABASE_ROUTERS = ["django_six_demos.sqlite.routers.TaskQueueRouter"]
# [/queue-database]

# [redis-queue]
# A queue several machines can share: RQ on Redis (django-tasks-rq) instead of
# the database. Configuration only; the demos' code stays the same.
if os.environ.get("REDIS_URL"):
    from django_six_demos.tasks import rq

    INSTALLED_APPS += [rq.RQ_APP]
    globals().update(rq.rq_task_settings(os.environ["REDIS_URL"]))
    # The rate limits' counts too (django-ratelimit uses the default cache):
    # one Redis shared by every process holds each limit exactly, where
    # Django's default LocMemCache counts once per process.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
# [/redis-queue]

# [ollama]
# The streaming demo answers with its built-in model unless OLLAMA_URL names an
# Ollama server (docs/howto/use-ollama.rst). An empty variable counts as unset.
DJANGO_SIX_DEMOS_STREAMING = {
    "OLLAMA_URL": os.environ.get("OLLAMA_URL") or None,
    "OLLAMA_MODEL": os.environ.get("OLLAMA_MODEL") or "llama3.2",
}
# [/ollama]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# [sign-in-throttling]
# django-axes counts failed sign-ins per username and address together: five
# wrong passwords lock that pair out for 15 minutes (each further attempt
# starts the wait again), with a 429 page. Keyed on the pair, a stranger
# cannot lock a user out from elsewhere. The counts live in the database.
AUTHENTICATION_BACKENDS = [
    # First: it refuses a locked-out pair before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# No row per successful sign-in: the demos need no such history.
AXES_DISABLE_ACCESS_LOG = True
# No banner on stderr at each start (it names axes' exact version); lockouts
# are still logged as warnings.
AXES_VERBOSE = False
# [/sign-in-throttling]

# The demos link to their own sign-in page (django_six_demos.accounts) and come back
# to the demos' home after it; LOGIN_URL points there too, for @login_required.
LOGIN_URL = "django_six_demos_sign_in"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("EXAMPLE_STATIC_ROOT") or BASE_DIR / "staticfiles").resolve()

# SMTP on localhost:25; development keeps mail in files instead.
# MAILERS on Django 6.1+ (where SMTP needs its host), EMAIL_* before: compat decides.
globals().update(
    compat.mail_settings("django.core.mail.backends.smtp.EmailBackend", host="localhost")
)
