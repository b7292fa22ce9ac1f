"""The Content Security Policy demo room."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class CspDemoConfig(AppConfig):
    name = "django_six_demos.csp"
    # An explicit label: the default ("csp") could clash with other apps, e.g. django-csp's "csp".
    label = "django_six_demos_csp"
    verbose_name = "Content Security Policy demo"
    # Django 6.0 changed DEFAULT_AUTO_FIELD's default; pinning it keeps the
    # migrations identical on Django 5.2, 6.0 and 6.1.
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_six_demos.checks import check_csp_report_to, check_csp_report_uri

        checks.register(checks.Tags.urls)(check_csp_report_uri)
        checks.register(checks.Tags.security)(check_csp_report_to)
