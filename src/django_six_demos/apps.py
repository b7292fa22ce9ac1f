"""The django-six-demos project app: home page, base template, shared checks."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class DjangoSixDemosConfig(AppConfig):
    name = "django_six_demos"
    label = "django_six_demos"
    verbose_name = "Django 6 demos"

    def ready(self) -> None:
        from django_six_demos import checks as demo_checks

        checks.register(checks.Tags.compatibility)(demo_checks.check_backports)
        checks.register(checks.Tags.templates)(demo_checks.check_partials_backport)
        checks.register(checks.Tags.security)(demo_checks.check_csp_middleware)
        checks.register(checks.Tags.security)(demo_checks.check_csp_nonce_processor)
        checks.register(checks.Tags.compatibility)(demo_checks.check_htmx_middleware)
        checks.register(checks.Tags.compatibility)(demo_checks.check_frame_middleware)
        checks.register(checks.Tags.caches)(demo_checks.check_cache_middleware)
