"""The frame beside every demo page: the page's own source and what its response carried.

``source`` reads and highlights the view and template, ``inspector`` describes the
response, and ``middleware`` fills the inspector in once the response is complete.
"""

from __future__ import annotations

from django.conf import settings

from django_six_demos.frame.source import (
    Source,
    highlight,
    highlight_css,
    template_source,
    view_for,
    view_source,
)

__all__ = [
    "Source",
    "enabled",
    "highlight",
    "highlight_css",
    "template_source",
    "view_for",
    "view_source",
]


def enabled() -> bool:
    """Return whether demo pages show the frame (setting ``DJANGO_SIX_DEMOS_FRAME``, on by default)."""
    return bool(getattr(settings, "DJANGO_SIX_DEMOS_FRAME", True))
