"""The Neapolitan CRUD demo room."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class CrudDemoConfig(AppConfig):
    name = "django_six_demos.crud"
    # An explicit label: the default ("crud") could clash with other apps.
    label = "django_six_demos_crud"
    verbose_name = "Neapolitan CRUD views demo"

    def ready(self) -> None:
        from django_six_demos.checks import check_crud_requirements

        checks.register(checks.Tags.models)(check_crud_requirements)
