"""The CRUD demo's system check: neapolitan must be an installed app."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.core.checks import CheckMessage, Error, Tags, register

from django_six_demos.demo import demo_for


@register(Tags.models)
def check_crud_requirements(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """E008: the CRUD demo is built on neapolitan."""
    # Not installed at all: E020 already names the pip command.
    if demo_for(__name__).available and not apps.is_installed("neapolitan"):
        return [
            Error(
                "The CRUD demo needs neapolitan in INSTALLED_APPS.",
                hint="Add 'neapolitan' to INSTALLED_APPS, or use conf.installed_apps().",
                id="django_six_demos.E008",
            )
        ]
    return []
