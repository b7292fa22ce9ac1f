"""The project package is an app too: it holds the ``demo`` command and templates."""

from __future__ import annotations

from django.apps import AppConfig


class ExampleConfig(AppConfig):
    name = "example"
    label = "example"
    verbose_name = "django-six-demos example project"
