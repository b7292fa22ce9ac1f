"""The template partials demo room."""

from __future__ import annotations

from django.apps import AppConfig


class PartialsDemoConfig(AppConfig):
    name = "django_six_demos.partials"
    # An explicit label: the default ("partials") could clash with other apps.
    label = "django_six_demos_partials"
    verbose_name = "Template partials demo"
