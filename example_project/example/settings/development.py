"""Development settings: the default of ``manage.py`` (and of the ``demo`` command)."""

from __future__ import annotations

from typing import Any

from django_six_demos import compat

from .base import *  # noqa: F403
from .base import DATA_DIR, INSTALLED_APPS, TEMPLATES

DEBUG = True

# DEVELOPMENT ONLY: a fixed, public key. Never use it anywhere reachable;
# the production settings read DJANGO_SECRET_KEY from the environment.
SECRET_KEY = "django-insecure-development-only-key-for-the-django-six-demos-example"

ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

# `manage.py demo` serves with uvicorn, where WhiteNoise serves static files
# from the apps' directories (DEBUG: its finders and autorefresh are on).
# runserver, if you run it, leaves them to WhiteNoise too, as in production.
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


def _uncached(loaders: list[Any]) -> list[Any]:
    """``loaders`` without Django's cached loader (its own loaders in its place)."""
    result: list[Any] = []
    for loader in loaders:
        if (
            isinstance(loader, (tuple, list))
            and loader[0] == "django.template.loaders.cached.Loader"
        ):
            result += _uncached(list(loader[1]))
        elif isinstance(loader, (tuple, list)):
            result.append((loader[0], _uncached(list(loader[1]))))
        else:
            result.append(loader)
    return result


# uvicorn's reloader restarts the server when a .py file changes, not a template
# (runserver's would have emptied the template cache): templates are read afresh.
TEMPLATES = [
    {**engine, "OPTIONS": {**engine["OPTIONS"], "loaders": _uncached(engine["OPTIONS"]["loaders"])}}
    if "loaders" in engine.get("OPTIONS", {})
    else engine
    for engine in TEMPLATES
]
