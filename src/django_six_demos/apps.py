"""The django-six-demos site app: home page, base template, site-wide checks."""

from __future__ import annotations

from django.apps import AppConfig
from django.core.checks import Tags, register


class DjangoSixDemosConfig(AppConfig):
    name = "django_six_demos"
    label = "django_six_demos"
    verbose_name = "Django 6 demos"

    def ready(self) -> None:
        from django_six_demos import checks

        register(Tags.compatibility)(checks.check_backports)
        register(Tags.templates)(checks.check_partials_backport)
        register(Tags.security)(checks.check_csp_middleware)
        register(Tags.security)(checks.check_csp_nonce_processor)
        register(Tags.compatibility)(checks.check_htmx_middleware)
        register(Tags.compatibility)(checks.check_frame_middleware)
        register(Tags.caches)(checks.check_cache_middleware)
        register(Tags.security, deploy=True)(checks.check_demo_passwords)
        register(Tags.caches)(checks.check_rate_limit_cache)
