"""The Content Security Policy demo room."""

from __future__ import annotations

from django.apps import AppConfig


class CspDemoConfig(AppConfig):
    name = "django_six_demos.csp"
    # An explicit label: the default ("csp") could clash with other apps, e.g. django-csp's "csp".
    label = "django_six_demos_csp"
    verbose_name = "Content Security Policy demo"
