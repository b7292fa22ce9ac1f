"""Migrate from django-template-partials to Django 6.0's partials.

The settings come from ``compat.partials_settings()``, which configures this site too.
https://docs.djangoproject.com/en/6.0/ref/templates/language/#template-partials
"""

from __future__ import annotations

from typing import Final

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from django_six_demos import compat
from django_six_demos.demo import demo_for
from django_six_demos.settings_code import migration_page, python_literal

LABELS: Final = ("Django 5.2 with django-template-partials", "Django 6.0 and later, core")


def settings_code(*, core: bool) -> str:
    """Return the partials part of a ``settings.py`` for either stack (``core``: Django 6.0+)."""
    pieces = compat.partials_settings(core=core)
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [],
            # No "APP_DIRS": the loaders include the app directories loader.
            "OPTIONS": {"loaders": pieces["loaders"], "builtins": pieces["builtins"]},
        }
    ]
    return (
        f"INSTALLED_APPS = {python_literal([..., *pieces['INSTALLED_APPS']])}\n"
        f"TEMPLATES = {python_literal(templates)}\n"
    )


@require_GET
def migrate(request: HttpRequest) -> TemplateResponse:
    """The migration how-to, from the settings helpers of the running line."""
    return migration_page(
        request,
        "django_six_demos/partials/migrate.html",
        demo_for(__name__),
        before=settings_code(core=False),
        after=settings_code(core=True),
        labels=LABELS,
        on_core=compat.HAS_BUILTIN_PARTIALS,
    )
