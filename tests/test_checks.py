from __future__ import annotations

import os
import subprocess
import sys
from unittest import mock

import pytest
from django.conf import settings as test_settings
from django.contrib.auth import get_user_model
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import OperationalError
from django.db.models import QuerySet
from django.test import RequestFactory, SimpleTestCase, TestCase, override_settings

from django_six_demos import checks, compat, conf, limits
from django_six_demos.conference.demo_users import DEMO_USERS
from django_six_demos.csp.apps import REPORTING_MIDDLEWARE
from django_six_demos.csp_policy import NONCE, SELF
from django_six_demos.tasks import checks as tasks_checks
from django_six_demos.tasks.rq import rq_task_settings


def check_ids() -> list[str]:
    return sorted(m.id for m in run_checks() if m.id and m.id.startswith("django_six_demos."))


def without(name: str, values: list[str]) -> list[str]:
    return [v for v in values if v != name]


class CheckTests(SimpleTestCase):
    # Model checks ask the backend whether it supports JSONField; on SQLite that
    # is a query, made by whichever test runs the checks first.
    databases = {"default"}

    def test_clean_settings_give_no_messages(self):
        assert check_ids() == []

    def test_check_command_passes_at_warning_level(self):
        call_command("check", fail_level="WARNING", verbosity=0)

    @pytest.mark.skipif(compat.HAS_BUILTIN_CSP, reason="backports are needed on Django < 6.0 only")
    def test_e001_names_the_missing_backports_and_the_extra(self):
        # None in sys.modules makes the import system report the package as absent.
        with mock.patch.dict(sys.modules, {"csp": None, "template_partials": None}):
            messages = [m for m in run_checks() if m.id == "django_six_demos.E001"]

        [message] = messages
        assert "django-csp" in message.msg
        assert "django-template-partials" in message.msg
        assert "django-tasks," not in message.msg
        assert message.hint == 'pip install "django-six-demos[backports]"'

    @pytest.mark.skipif(not compat.HAS_BUILTIN_CSP, reason="Django 6.0+ needs no backports")
    def test_e001_never_fires_on_django_6(self):
        with mock.patch.dict(
            sys.modules, {"csp": None, "django_tasks": None, "template_partials": None}
        ):
            assert "django_six_demos.E001" not in check_ids()

    @pytest.mark.skipif(compat.HAS_BUILTIN_CSP, reason="backports are needed on Django < 6.0 only")
    def test_e002_backport_installed_but_not_listed(self):
        apps = without("template_partials.apps.SimpleAppConfig", test_settings.INSTALLED_APPS)
        with override_settings(INSTALLED_APPS=apps):
            assert "django_six_demos.E002" in check_ids()

    @pytest.mark.skipif(
        not compat.HAS_BUILTIN_PARTIALS, reason="core partials exist on Django 6.0+"
    )
    def test_w003_partials_backport_configured_on_django_6(self):
        templates = conf.templates()
        templates[0]["OPTIONS"]["builtins"] = [compat.PARTIALS_BUILTIN]
        # Only our check runs: building the engine would need the package.
        with override_settings(TEMPLATES=templates):
            [message] = checks.check_partials_backport(None)
        assert message.id == "django_six_demos.W003"

    @pytest.mark.skipif(compat.HAS_BUILTIN_PARTIALS, reason="the backport is needed on Django 5.2")
    def test_w003_silent_on_django_52(self):
        assert compat.PARTIALS_BUILTIN in repr(test_settings.TEMPLATES)
        assert "django_six_demos.W003" not in check_ids()

    def test_e004_no_csp_middleware(self):
        with override_settings(MIDDLEWARE=without(compat.CSP_MIDDLEWARE, test_settings.MIDDLEWARE)):
            assert check_ids() == ["django_six_demos.E004"]

    def test_e005_both_csp_middlewares(self):
        both = [compat.CORE_CSP_MIDDLEWARE, compat.DJANGO_CSP_MIDDLEWARE]
        middleware = both + without(compat.CSP_MIDDLEWARE, test_settings.MIDDLEWARE)
        # Only the check runs here: on Django 5.2 core's middleware cannot even be imported.
        with override_settings(MIDDLEWARE=middleware):
            assert check_ids() == ["django_six_demos.E005"]

    def test_w006_nonce_policy_without_the_nonce_processor(self):
        templates = conf.templates()
        processors = templates[0]["OPTIONS"]["context_processors"]
        processors.remove(compat.CSP_CONTEXT_PROCESSOR)
        with override_settings(TEMPLATES=templates):
            ids = [m.id for m in run_checks()]
        if compat.HAS_CSP_NONCE_CHECK:
            # Django 6.1 says it itself; W006 would only repeat it.
            assert "security.W027" in ids
            assert "django_six_demos.W006" not in ids
        else:
            assert "django_six_demos.W006" in ids

    def test_w006_silent_for_a_policy_without_nonce(self):
        templates = conf.templates()
        templates[0]["OPTIONS"]["context_processors"].remove(compat.CSP_CONTEXT_PROCESSOR)
        policy = compat.csp_settings({"default-src": [SELF]})
        with override_settings(TEMPLATES=templates, **policy):
            assert check_ids() == []

    @pytest.mark.skipif(compat.HAS_CSP_NONCE_CHECK, reason="Django 6.1 checks this itself")
    def test_w006_finds_a_nonce_in_the_report_only_policy(self):
        templates = conf.templates()
        templates[0]["OPTIONS"]["context_processors"].remove(compat.CSP_CONTEXT_PROCESSOR)
        policy = compat.csp_settings(
            {"upgrade-insecure-requests": True}, report_only={"script-src": [NONCE]}
        )
        with override_settings(TEMPLATES=templates, **policy):
            assert check_ids() == ["django_six_demos.W006"]

    def test_e007_htmx_middleware_missing(self):
        with override_settings(MIDDLEWARE=without(conf.HTMX_MIDDLEWARE, test_settings.MIDDLEWARE)):
            assert check_ids() == ["django_six_demos.E007"]

    def test_w012_frame_middleware_missing(self):
        with override_settings(MIDDLEWARE=without(conf.FRAME_MIDDLEWARE, test_settings.MIDDLEWARE)):
            assert check_ids() == ["django_six_demos.W012"]

    def test_e008_crud_demo_without_neapolitan(self):
        with override_settings(INSTALLED_APPS=without("neapolitan", test_settings.INSTALLED_APPS)):
            assert check_ids() == ["django_six_demos.E008"]

    def test_e008_silent_when_neapolitan_is_not_installed_at_all(self):
        apps = without("neapolitan", test_settings.INSTALLED_APPS)
        with (
            override_settings(INSTALLED_APPS=apps),
            mock.patch.dict(sys.modules, {"neapolitan": None}),
        ):
            assert check_ids() == ["django_six_demos.E020"]

    def test_e020_names_the_missing_package_and_its_install_command(self):
        with mock.patch.dict(sys.modules, {"django_filters": None}):
            messages = [m for m in run_checks() if m.id == "django_six_demos.E020"]

        [message] = messages
        assert (
            message.msg
            == "The Neapolitan CRUD views demo needs 'django_filters', which is not installed."
        )
        assert message.hint == "pip install django-filter"

    @pytest.mark.skipif(
        compat.HAS_BUILTIN_TASKS, reason="backports are needed on Django < 6.0 only"
    )
    def test_e001_asks_only_for_the_backports_the_installed_demos_need(self):
        needs_tasks = {
            "django_tasks",
            "django_tasks_db",
            "django_six_demos.tasks",
            "django_six_demos.sqlite",
        }
        apps = [app for app in test_settings.INSTALLED_APPS if app not in needs_tasks]
        with (
            override_settings(INSTALLED_APPS=apps),
            mock.patch.dict(sys.modules, {"django_tasks": None}),
        ):
            # Only our check: django-tasks' own check would import the hidden package.
            assert checks.check_backports(None) == []

    def test_w009_tasks_demo_without_the_database_backend(self):
        tasks = {"default": {"BACKEND": compat.IMMEDIATE_TASK_BACKEND}}
        with override_settings(TASKS=tasks):
            assert check_ids() == ["django_six_demos.W009"]

    def test_w009_silent_for_the_rq_backend(self):
        # The check reads the setting only: django-tasks-rq need not be installed.
        tasks = rq_task_settings("redis://localhost:6379/0")["TASKS"]
        with override_settings(TASKS=tasks):
            assert tasks_checks.check_tasks_backend(None) == []
        with override_settings(TASKS={"default": {"BACKEND": compat.DUMMY_TASK_BACKEND}}):
            [warning] = tasks_checks.check_tasks_backend(None)
        assert warning.id == "django_six_demos.W009"
        assert "not django-tasks-db's or django-tasks-rq's" in warning.msg

    def test_w010_sqlite_without_wal_and_immediate(self):
        databases = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
        with mock.patch.dict("django.db.connections.settings", databases):
            assert check_ids() == ["django_six_demos.W010"]

    def test_w010_silent_for_other_databases(self):
        databases = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "demos"}}
        with mock.patch.dict("django.db.connections.settings", databases):
            assert check_ids() == []

    def test_w011_cache_middleware_in_front_of_nonce_pages(self):
        middleware = [
            "django.middleware.cache.UpdateCacheMiddleware",
            *test_settings.MIDDLEWARE,
            "django.middleware.cache.FetchFromCacheMiddleware",
        ]
        with override_settings(MIDDLEWARE=middleware):
            assert check_ids() == ["django_six_demos.W011"]

    def test_w013_report_uri_matching_no_url(self):
        policy = compat.csp_settings(
            conf.strict_policy(report_uri="/nowhere/"),
            report_only=conf.strict_policy(report_uri="https://reports.example/csp"),
        )
        with override_settings(**policy):
            messages = [m for m in run_checks() if m.id == "django_six_demos.W013"]
        # Only the path on this site: another site's collector is not ours to check.
        [message] = messages
        assert "'/nowhere/'" in message.msg

    def test_w013_silent_for_a_report_uri_that_resolves(self):
        policy = compat.csp_settings(conf.strict_policy(report_uri="/demos/csp/report/?from=csp"))
        with override_settings(**policy):
            assert check_ids() == []

    def test_w014_report_to_without_reporting_endpoints(self):
        policy = conf.strict_csp(report_uri="/demos/csp/report/", report_to="csp")
        with override_settings(**policy, **{conf.REPORTING_ENDPOINTS_SETTING: None}):
            assert check_ids() == ["django_six_demos.W014"]
        with override_settings(**policy, **{conf.REPORTING_ENDPOINTS_SETTING: {"other": "/x/"}}):
            assert check_ids() == ["django_six_demos.W014"]
        middleware = without(REPORTING_MIDDLEWARE, test_settings.MIDDLEWARE)
        endpoints = {conf.REPORTING_ENDPOINTS_SETTING: {"csp": "/demos/csp/report/"}}
        with override_settings(MIDDLEWARE=middleware, **policy, **endpoints):
            assert check_ids() == ["django_six_demos.W014"]

    def test_w014_silent_when_the_group_is_mapped(self):
        reporting = conf.demo_settings(
            test_settings.MIDDLEWARE, csp_report_uri="/demos/csp/report/"
        )
        with override_settings(**reporting):
            assert check_ids() == []

    def test_every_message_has_a_hint(self):
        with override_settings(MIDDLEWARE=[]):
            messages = [m for m in run_checks() if m.id and m.id.startswith("django_six_demos.")]
        assert {m.id for m in messages} == {
            "django_six_demos.E004",
            "django_six_demos.E007",
            "django_six_demos.W012",
            # The test settings' policy has report-to; without MIDDLEWARE nothing maps it.
            "django_six_demos.W014",
        }
        for message in messages:
            assert message.hint
            assert len(message.msg) < 80


DUMMY_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
LOCMEM_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


class RateLimitCacheTests(SimpleTestCase):
    def test_e016_the_rate_limit_cache_is_not_in_caches(self):
        with override_settings(RATELIMIT_USE_CACHE="limits"):
            assert check_ids() == ["django_six_demos.E016"]
            [error] = checks.check_rate_limit_cache(None)
        assert "'limits'" in error.msg

    def test_w017_a_dummy_cache_never_limits(self):
        with override_settings(CACHES=DUMMY_CACHE):
            assert check_ids() == ["django_six_demos.W017"]
            # What the warning is about: a DummyCache forgets every count.
            request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
            attempts = [limits.limited_for(request, "w017", "ip", "2/h") for _ in range(10)]
        assert attempts == [None] * 10

    def test_w017_follows_ratelimit_use_cache(self):
        caches = {"default": LOCMEM_CACHE, "limits": DUMMY_CACHE["default"]}
        with override_settings(CACHES=caches, RATELIMIT_USE_CACHE="limits"):
            assert check_ids() == ["django_six_demos.W017"]
        with override_settings(CACHES={**DUMMY_CACHE, "limits": LOCMEM_CACHE}):
            assert check_ids() == ["django_six_demos.W017"]
            with override_settings(RATELIMIT_USE_CACHE="limits"):
                assert check_ids() == []

    def test_locmem_cache_passes_and_limits(self):
        # Per process, but it counts: the docs say so, the check accepts it.
        with override_settings(CACHES={"default": LOCMEM_CACHE}):
            assert check_ids() == []
            request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
            attempts = [limits.limited_for(request, "w017", "ip", "2/h") for _ in range(3)]
        assert attempts[:2] == [None, None]
        assert attempts[2] is not None


def deploy_check_messages() -> list[str]:
    return [
        m.msg for m in run_checks(include_deployment_checks=True) if m.id == "django_six_demos.E015"
    ]


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class DemoPasswordCheckTests(TestCase):
    def setUp(self):
        for demo in DEMO_USERS:
            get_user_model().objects.create_user(demo.username, password=demo.password)

    def test_e015_names_every_demo_user_with_its_public_password(self):
        assert deploy_check_messages() == [
            "Demo users still have their public passwords: ada, grace, staff."
        ]

    def test_e015_fails_check_deploy_until_every_password_changes(self):
        with pytest.raises(SystemCheckError, match="django_six_demos.E015"):
            call_command("check", deploy=True, verbosity=0)

        users = get_user_model().objects.filter(username__in=["staff", "ada"])
        for user in users:
            user.set_password(f"{user.username}-private-password")
            user.save()
        assert deploy_check_messages() == ["Demo users still have their public passwords: grace."]

        get_user_model().objects.filter(username="grace").delete()
        assert deploy_check_messages() == []
        call_command("check", deploy=True, verbosity=0, tags=["security"])

    def test_e015_ignores_unusable_passwords_and_other_names(self):
        for user in get_user_model().objects.all():
            user.set_unusable_password()
            user.save()
        # A public password on another name is not the demo's problem.
        get_user_model().objects.create_user("bob", password="staff-demo")

        assert deploy_check_messages() == []

    def test_e015_runs_only_with_deploy(self):
        assert "django_six_demos.E015" not in check_ids()

    def test_e015_never_saves_an_upgraded_hash(self):
        # check_password() on a user would save the hash in the first hasher.
        before = list(get_user_model().objects.values_list("password", flat=True))
        with override_settings(
            PASSWORD_HASHERS=[
                "django.contrib.auth.hashers.PBKDF2PasswordHasher",
                "django.contrib.auth.hashers.MD5PasswordHasher",
            ]
        ):
            assert deploy_check_messages()
        assert list(get_user_model().objects.values_list("password", flat=True)) == before

    def test_e015_skips_a_database_it_cannot_read(self):
        # As on a database not migrated yet: check --deploy may come first.
        error = OperationalError("no such table: auth_user")
        with mock.patch.object(QuerySet, "_fetch_all", side_effect=error):
            assert deploy_check_messages() == []


HIDDEN_BACKPORTS_SCRIPT = """
import sys
# As if the backports were never installed: imports fail, find_spec() says None.
for name in ("csp", "django_tasks", "template_partials"):
    sys.modules[name] = None
import django
from django.core.management import call_command
from django.core.management.base import SystemCheckError
django.setup()
try:
    call_command("check")
except SystemCheckError as error:
    print(error)
"""


@pytest.mark.slow
@pytest.mark.skipif(compat.HAS_BUILTIN_CSP, reason="backports are needed on Django < 6.0 only")
def test_missing_backports_give_e001_not_an_import_error():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-c", HIDDEN_BACKPORTS_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "ImportError" not in result.stderr
    assert "django_six_demos.E001" in result.stdout
    assert "django-csp, django-tasks, django-template-partials missing" in result.stdout
    assert 'pip install "django-six-demos[backports]"' in result.stdout
