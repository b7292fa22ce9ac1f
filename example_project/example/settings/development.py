"""Development settings: the default of ``manage.py`` (and of the ``demo`` command)."""

from __future__ import annotations

from django_six_demos import compat

from .base import *  # noqa: F403
from .base import DATA_DIR, INSTALLED_APPS

DEBUG = True

# DEVELOPMENT ONLY: a fixed, public key. Never use it anywhere reachable;
# the production settings read DJANGO_SECRET_KEY from the environment.
SECRET_KEY = "django-insecure-development-only-key-for-the-django-six-demos-example"

ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

# runserver leaves static files to WhiteNoise, as in production.
INSTALLED_APPS = [
    *INSTALLED_APPS[: INSTALLED_APPS.index("django.contrib.staticfiles")],
    "whitenoise.runserver_nostatic",
    *INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.staticfiles") :],
]

# Outgoing mail is kept in files, one .log per connection, which the tasks room lists:
# the worker is another process, so memory (locmem) would not reach the page.
SENT_EMAILS_DIR = DATA_DIR / "sent-emails"
globals().update(
    compat.mail_settings(
        "django.core.mail.backends.filebased.EmailBackend", file_path=SENT_EMAILS_DIR
    )
)
