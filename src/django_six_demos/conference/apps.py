"""The shared conference domain (speakers and talks) every demo uses; not a demo."""

from __future__ import annotations

from django.apps import AppConfig


class ConferenceConfig(AppConfig):
    name = "django_six_demos.conference"
    label = "django_six_demos_conference"
    verbose_name = "Conference"
    # Django 6.0 changed DEFAULT_AUTO_FIELD's default; pinning it keeps the
    # migrations identical on Django 5.2, 6.0 and 6.1.
    default_auto_field = "django.db.models.BigAutoField"
