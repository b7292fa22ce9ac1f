from __future__ import annotations

import sys
from unittest import mock

from django.conf import settings as test_settings
from django.core.checks import run_checks
from django.test import SimpleTestCase, override_settings

from django_six_demos.api.apps import INSTALL_API


def check_ids() -> list[str]:
    return sorted(m.id for m in run_checks() if m.id and m.id.startswith("django_six_demos."))


def without(name: str, values: list[str]) -> list[str]:
    return [v for v in values if v != name]


class ApiCheckTests(SimpleTestCase):
    # Model checks ask the backend whether it supports JSONField: on SQLite, a query.
    databases = {"default"}

    def test_e021_api_demo_without_ninja_in_installed_apps(self):
        with override_settings(INSTALLED_APPS=without("ninja", test_settings.INSTALLED_APPS)):
            messages = [m for m in run_checks() if m.id == "django_six_demos.E021"]
            assert check_ids() == ["django_six_demos.E021"]

        [message] = messages
        assert message.msg == "The API demo needs ninja in INSTALLED_APPS."
        assert "conf.installed_apps()" in (message.hint or "")

    def test_e021_silent_when_ninja_is_not_installed_at_all(self):
        apps = without("ninja", test_settings.INSTALLED_APPS)
        with (
            override_settings(INSTALLED_APPS=apps),
            mock.patch.dict(sys.modules, {"ninja": None}),
        ):
            assert check_ids() == ["django_six_demos.E020"]

    def test_e020_names_the_api_extra_for_each_missing_package(self):
        assert INSTALL_API == 'pip install "django-six-demos[api]"'
        for module in ("rest_framework", "ninja", "msgspec"):
            with self.subTest(module), mock.patch.dict(sys.modules, {module: None}):
                messages = [m for m in run_checks() if m.id == "django_six_demos.E020"]

                [message] = messages
                assert (
                    message.msg == f"The JSON APIs demo needs {module!r}, which is not installed."
                )
                assert message.hint == INSTALL_API
