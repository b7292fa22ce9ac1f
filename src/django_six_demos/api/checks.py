"""The API demo's system check: Django Ninja must be an installed app."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.core.checks import CheckMessage, Error, Tags, register

from django_six_demos.demo import demo_for


@register(Tags.models)
def check_api_requirements(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """E021: the docs page serves Ninja's Swagger UI files and template, found through its app."""
    # Not installed at all: E020 already names the pip command.
    if demo_for(__name__).available and not apps.is_installed("ninja"):
        return [
            Error(
                "The API demo needs ninja in INSTALLED_APPS.",
                hint="Add 'ninja' to INSTALLED_APPS, or use conf.installed_apps().",
                id="django_six_demos.E021",
            )
        ]
    return []
