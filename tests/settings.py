"""Test settings: built with the same conf helpers as the example project."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from dj_lite import sqlite_config

from django_six_demos import compat, conf

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
ROOT_URLCONF = "tests.urls"
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    *conf.installed_apps(),
]

# A project made by startproject: Django's own middleware, nothing of this project's.
STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

globals().update(
    conf.demo_settings(
        STARTPROJECT_MIDDLEWARE,
        # As the example project: violations go to the CSP demo's collector.
        csp_report_uri="/demos/csp/report/",
    )
)

# The database lives in memory under pytest; dj-lite's OPTIONS still apply.
# DATABASE_URL (tox -e py313-django61-postgres) runs the same suite on another
# server, configured exactly as the example project does it; tests/conftest.py
# skips (or, with CI set, fails) the run when that server cannot be reached.
DATABASES = {
    "default": dj_database_url.parse(os.environ["DATABASE_URL"])
    if os.environ.get("DATABASE_URL")
    else sqlite_config(BASE_DIR)
}

STATIC_URL = "/static/"

# The streaming room's built-in model answers at once: a test that needs a stream still
# running sets its own delay.
DJANGO_SIX_DEMOS_STREAMING = {"TOKEN_DELAY": 0, "FIRST_TOKEN_DELAY": 0}

globals().update(compat.mail_settings("django.core.mail.backends.locmem.EmailBackend"))

# -- Task backend: RQ -------------------------------------------------------------
# DEMOS_TASKS_BACKEND=rq (tox -e py313-django61-rq) runs the tasks on RQ, configured
# with the same helpers as the example project, on the Redis server of REDIS_URL.
# As Django does with its test_ database, the tests keep off the database that
# REDIS_URL names: they use database DEMOS_TEST_REDIS_DB (default 15) on that
# server, and empty the demo's queues there around each test
# (tests/tasks/conftest.py). tests/conftest.py skips the run (or fails it, with CI
# set) when the server cannot be reached.
if os.environ.get("DEMOS_TASKS_BACKEND") == "rq":
    from urllib.parse import urlsplit

    from django_six_demos.tasks import rq

    _redis = urlsplit(os.environ["REDIS_URL"])
    TEST_REDIS_URL = _redis._replace(
        path=f"/{os.environ.get('DEMOS_TEST_REDIS_DB', '15')}"
    ).geturl()
    INSTALLED_APPS += [rq.RQ_APP]
    globals().update(rq.rq_task_settings(TEST_REDIS_URL))
