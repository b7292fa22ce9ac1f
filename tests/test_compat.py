from __future__ import annotations

from importlib import metadata

import django
import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, SimpleTestCase, TestCase, override_settings
from django.views.decorators.http import require_GET

from django_six_demos import compat
from django_six_demos.csp_header import parse
from django_six_demos.csp_policy import NONCE, NONE, SELF, STRICT_DYNAMIC, Directives
from django_six_demos.demo import gated, release_series
from tests.csp_utils import page_nonces


@compat.task()
def double(number: int) -> int:
    return number * 2


class FlagTests(SimpleTestCase):
    def test_flags_follow_the_running_django_line(self):
        # The one place outside compat.py that reads the version: to check compat.
        six = django.VERSION >= (6, 0)
        assert compat.HAS_BUILTIN_PARTIALS is six
        assert compat.HAS_BUILTIN_CSP is six
        assert compat.HAS_BUILTIN_TASKS is six
        assert compat.HAS_CSP_NONCE_CHECK is (django.VERSION >= (6, 1))
        assert compat.HAS_MAILERS is (django.VERSION >= (6, 1))
        assert ".".join(map(str, django.VERSION[:2])) == compat.DJANGO_LINE

    def test_backports_needed_only_before_django_6(self):
        if compat.HAS_BUILTIN_CSP:
            assert compat.required_backports() == ()
        else:
            assert [b.distribution for b in compat.required_backports()] == [
                "django-csp",
                "django-tasks",
                "django-template-partials",
            ]

    def test_gated_features_name_core_or_the_backport(self):
        for feature, backport in (
            ("partials", "django-template-partials"),
            ("csp", "django-csp"),
            ("tasks", "django-tasks"),
        ):
            source = gated("Role", feature)
            if compat.HAS_BUILTIN_CSP:
                # The series ("6.1"), never the exact release ("6.1.3").
                assert source == ("Role", "Django", compat.DJANGO_LINE, True)
            else:
                assert source.provider == backport
                assert source.version == release_series(metadata.version(backport))
                assert not source.is_core

    def test_release_series_keeps_the_first_two_numbers(self):
        # What pages print instead of the exact release.
        assert release_series("6.1.3") == "6.1"
        assert release_series("6.0") == "6.0"
        assert release_series("0.13.0rc1") == "0.13"
        assert release_series("2026.1.2") == "2026.1"
        assert release_series("3.40.1") == "3.40"

    @override_settings(TEMPLATES=[])
    def test_partials_settings_default_to_the_running_line(self):
        core = compat.HAS_BUILTIN_PARTIALS
        assert compat.partials_settings() == compat.partials_settings(core=core)
        assert compat.partials_settings(core=False)["INSTALLED_APPS"] == [compat.PARTIALS_APP]


class CspSettingsTests(SimpleTestCase):
    directives: Directives = {"default-src": [NONE], "script-src": [NONCE, STRICT_DYNAMIC]}

    def test_settings_take_the_shape_of_the_running_line(self):
        result = compat.csp_settings(self.directives)

        if compat.HAS_BUILTIN_CSP:
            from django.utils.csp import CSP

            assert result == {
                "SECURE_CSP": {
                    "default-src": ["'none'"],
                    "script-src": [CSP.NONCE, "'strict-dynamic'"],
                }
            }
        else:
            from csp.constants import NONCE

            assert result == {
                "CONTENT_SECURITY_POLICY": {
                    "DIRECTIVES": {
                        "default-src": ["'none'"],
                        "script-src": [NONCE, "'strict-dynamic'"],
                    }
                }
            }

    def test_report_only_uses_the_report_only_setting(self):
        result = compat.csp_settings(report_only=self.directives)

        assert list(result) == [compat.CSP_REPORT_ONLY_SETTING]

    def test_configured_policies_read_back_neutral_directives(self):
        with override_settings(
            **compat.csp_settings(self.directives, report_only={"img-src": [SELF]})
        ):
            policies = compat.configured_policies()

        assert policies["enforce"] == self.directives
        assert policies["report-only"]["img-src"] == ["'self'"]

    def test_a_sourceless_directive_survives_the_round_trip(self):
        policy: Directives = {"upgrade-insecure-requests": True, "img-src": [SELF]}
        with override_settings(**compat.csp_settings(policy)):
            assert compat.configured_policies()["enforce"] == policy

    def test_missing_settings_read_back_as_no_policy(self):
        with override_settings(**{compat.CSP_SETTING: None}):
            assert compat.configured_policies()["enforce"] == {}


@require_GET
def plain_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("no nonce here")


@require_GET
def nonce_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f'<script nonce="{compat.get_nonce(request)}"></script>')


class CspDecoratorTests(SimpleTestCase):
    """Each decorator gives the same header on django-csp (5.2) and core (6.x)."""

    def run_view(self, view):
        from django.urls import path

        class urls:
            urlpatterns = [path("v/", view)]

        with override_settings(ROOT_URLCONF=urls):
            return self.client.get("/v/")

    def test_csp_replace_serves_only_the_given_policy(self):
        response = self.run_view(compat.csp_replace({"default-src": [SELF]})(plain_view))

        assert parse(response.headers["Content-Security-Policy"]) == {"default-src": ["'self'"]}

    def test_csp_extend_adds_sources_to_the_site_policy(self):
        response = self.run_view(compat.csp_extend({"img-src": ["data:"]})(plain_view))

        policy = parse(response.headers["Content-Security-Policy"])
        assert policy["img-src"] == ["'self'", "data:"]
        assert policy["default-src"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]

    def test_csp_extend_leaves_the_report_only_policy_as_the_sites(self):
        # The CSP room's extended view shows the report-only policy still reporting.
        report_only = {"img-src": [SELF], "report-uri": ["/r/"]}
        with override_settings(**compat.csp_settings(report_only=report_only)):
            response = self.run_view(compat.csp_extend({"img-src": ["data:"]})(plain_view))

        assert parse(response.headers["Content-Security-Policy"])["img-src"] == ["'self'", "data:"]
        reported = parse(response.headers["Content-Security-Policy-Report-Only"])
        assert (reported["img-src"], reported["report-uri"]) == (["'self'"], ["/r/"])

    def test_csp_extend_also_report_only_extends_both_policies(self):
        report_only: Directives = {"img-src": [SELF], "script-src": [NONCE], "report-uri": ["/r/"]}
        with override_settings(**compat.csp_settings(report_only=report_only)):
            view = compat.csp_extend({"img-src": ["data:"]}, also_report_only=True)(nonce_view)
            response = self.run_view(view)

        enforced = parse(response.headers["Content-Security-Policy"])
        reported = parse(response.headers["Content-Security-Policy-Report-Only"])
        assert enforced["img-src"] == reported["img-src"] == ["'self'", "data:"]
        assert enforced["default-src"] == ["'none'"]
        # The rest of the report-only policy as configured, the nonce this response's.
        assert reported["report-uri"] == ["/r/"]
        [nonce] = page_nonces(response.text)
        assert reported["script-src"] == [f"'nonce-{nonce}'"]
        assert enforced["script-src"] == [f"'nonce-{nonce}'", "'strict-dynamic'"]

    def test_csp_extend_also_report_only_adds_no_report_only_policy_of_its_own(self):
        with override_settings(**{compat.CSP_REPORT_ONLY_SETTING: None}):
            view = compat.csp_extend({"img-src": ["data:"]}, also_report_only=True)(plain_view)
            response = self.run_view(view)

        assert parse(response.headers["Content-Security-Policy"])["img-src"] == ["'self'", "data:"]
        assert "Content-Security-Policy-Report-Only" not in response.headers

    def test_csp_disable_removes_both_headers(self):
        with override_settings(**compat.csp_settings(report_only={"default-src": [SELF]})):
            plain = self.run_view(plain_view)
            response = self.run_view(compat.csp_disable()(plain_view))

        assert "Content-Security-Policy-Report-Only" in plain.headers
        assert "Content-Security-Policy" not in response.headers
        assert "Content-Security-Policy-Report-Only" not in response.headers

    def test_csp_enforce_only_drops_the_report_only_header(self):
        with override_settings(**compat.csp_settings(report_only={"default-src": [SELF]})):
            response = self.run_view(compat.csp_enforce_only()(plain_view))

        assert parse(response.headers["Content-Security-Policy"])["default-src"] == ["'none'"]
        assert "Content-Security-Policy-Report-Only" not in response.headers

    def test_csp_report_only_sends_the_site_policy_as_report_only(self):
        response = self.run_view(compat.csp_report_only()(plain_view))

        assert "Content-Security-Policy" not in response.headers
        policy = parse(response.headers["Content-Security-Policy-Report-Only"])
        assert policy["default-src"] == ["'none'"]

    def test_get_nonce_is_none_without_middleware(self):
        assert compat.get_nonce(RequestFactory().get("/")) is None


class TaskTests(TestCase):
    @override_settings(TASKS={"default": {"BACKEND": compat.IMMEDIATE_TASK_BACKEND}})
    def test_task_decorator_and_results_come_from_the_running_line(self):
        result = double.enqueue(21)

        assert result.status == compat.TaskResultStatus.SUCCESSFUL
        assert result.return_value == 42
        assert (
            "django.tasks" if compat.HAS_BUILTIN_TASKS else "django_tasks"
        ) == compat.TASKS_PACKAGE

    @override_settings(TASKS={"default": {"BACKEND": compat.DUMMY_TASK_BACKEND}})
    def test_unknown_queue_raises_the_aliased_exception(self):
        with pytest.raises(compat.InvalidTask):
            double.using(queue_name="nowhere").enqueue(1)

    def test_database_backend_runs_tasks_through_db_worker(self):
        from django.core.management import call_command
        from django_tasks_db import DatabaseBackend

        assert isinstance(compat.task_backends["default"], DatabaseBackend)
        result = double.enqueue(4)
        assert result.status == compat.TaskResultStatus.READY

        call_command(
            "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
        )

        result.refresh()
        assert result.status == compat.TaskResultStatus.SUCCESSFUL
        assert result.return_value == 8

    def test_unknown_result_ids_raise_a_listed_exception(self):
        errors = compat.task_result_does_not_exist()

        assert compat.TASKS_PACKAGE in {error.__module__.rsplit(".", 1)[0] for error in errors}
        with pytest.raises(errors):
            compat.default_task_backend.get_result("00000000-0000-0000-0000-000000000000")


class MailSettingsTests(SimpleTestCase):
    def test_mail_settings_use_mailers_from_django_61(self):
        backend = "django.core.mail.backends.console.EmailBackend"
        if compat.HAS_MAILERS:
            assert compat.mail_settings(backend) == {"MAILERS": {"default": {"BACKEND": backend}}}
        else:
            assert compat.mail_settings(backend) == {"EMAIL_BACKEND": backend}
