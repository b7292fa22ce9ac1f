"""Template tags shared by every demo: ``{% load django_six_demos %}``."""

from __future__ import annotations

import django
from django import template

register = template.Library()


@register.simple_tag
def django_version() -> str:
    """Render the running Django version, e.g. ``6.1.3``."""
    return django.get_version()
