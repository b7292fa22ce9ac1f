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

globals().update(
    conf.demo_settings(
        [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
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

globals().update(compat.mail_settings("django.core.mail.backends.locmem.EmailBackend"))
