"""The streaming demo's system check: its setting, read as the views will read it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from django_six_demos.streaming.settings import SETTING, streaming_settings


@register(Tags.compatibility)
def check_streaming_setting(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """E018: DJANGO_SIX_DEMOS_STREAMING has a key or value the room cannot use."""
    try:
        streaming_settings()
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint=f"Fix {SETTING}, or remove it: the built-in model needs no setting.",
                id="django_six_demos.E018",
            )
        ]
    return []
