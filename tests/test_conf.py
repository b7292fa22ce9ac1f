from __future__ import annotations

import sys
from unittest import mock

import pytest
from django.test import SimpleTestCase

from django_six_demos import compat, conf
from django_six_demos.csp.apps import REPORTING_MIDDLEWARE
from django_six_demos.csp_policy import NONCE
from django_six_demos.tasks.rq import RQ_JOB_CLASS, rq_task_settings, rq_worker_command

DJANGO_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]


class InstalledAppsTests(SimpleTestCase):
    def test_lists_every_demo_room_with_explicit_labels_after_its_needs(self):
        apps = conf.installed_apps()

        rooms = [f"django_six_demos.{demo}" for demo in conf.DEMOS]
        assert apps[-len(rooms) - 1 :] == ["django_six_demos.conference", *rooms]
        assert apps.index("django_htmx") < apps.index("django_six_demos")
        assert "neapolitan" in apps
        assert "django_tasks_db" in apps
        assert "ninja" in apps

    def test_backports_only_on_django_52(self):
        apps = conf.installed_apps()

        backports = ["csp", "django_tasks", "template_partials.apps.SimpleAppConfig"]
        if compat.HAS_BUILTIN_CSP:
            assert not set(backports) & set(apps)
        else:
            assert apps[:3] == backports

    def test_a_subset_of_demos_brings_only_what_it_needs(self):
        apps = conf.installed_apps(demos=["partials"])

        assert "neapolitan" not in apps
        assert "django_tasks_db" not in apps
        assert apps[-1] == "django_six_demos.partials"

    def test_unknown_demo_is_refused(self):
        with pytest.raises(ValueError, match="Unknown demos"):
            conf.installed_apps(demos=["partials", "blog"])

    def test_extra_apps_whose_package_is_missing_are_left_to_a_check(self):
        # Listed, neapolitan would stop Django with an ImportError before E020 could speak.
        with mock.patch.dict(sys.modules, {"neapolitan": None}):
            apps = conf.installed_apps(demos=["crud"])

        assert "neapolitan" not in apps
        assert apps[-1] == "django_six_demos.crud"

    def test_an_extra_app_two_demos_need_is_listed_once(self):
        apps = conf.installed_apps(demos=["tasks", "sqlite"])

        assert apps.count("django_tasks_db") == 1


DEMO_APPS = """
from __future__ import annotations
from django_six_demos.demo import DemoConfig
class {name}Config(DemoConfig):
    name = "{package}.{folder}"
    title = "{name}"
    order = {order}
"""


def test_the_package_demos_in_home_page_order():
    assert conf.DEMOS == ("partials", "csp", "tasks", "sqlite", "crud", "streaming", "api")
    for name, config in conf.DEMO_CONFIGS.items():
        assert config.__module__ == f"django_six_demos.{name}.apps"


def test_a_new_folder_with_a_demo_config_is_a_demo(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    package = tmp_path / "h1_fake_site"
    for folder, order in (("", 0), ("chat", 2), ("api", 1), ("domain", 0), ("static", 0)):
        (package / folder).mkdir(exist_ok=True)
        if folder != "static":
            (package / folder / "__init__.py").write_text("")
        if folder in ("chat", "api"):
            (package / folder / "apps.py").write_text(
                DEMO_APPS.format(
                    name=folder.title(), package=package.name, folder=folder, order=order
                )
            )
    # The domain, a plain AppConfig, is not a demo; nor is a folder without apps.py.
    (package / "domain" / "apps.py").write_text(
        "from django.apps import AppConfig\n\nclass DomainConfig(AppConfig):\n    name = 'x'\n"
    )

    try:
        found = conf.discover(package.name)
    finally:
        for name in [m for m in sys.modules if m.startswith(package.name)]:
            del sys.modules[name]

    assert list(found) == ["api", "chat"]
    assert found["chat"].__name__ == "ChatConfig"


class MiddlewareTests(SimpleTestCase):
    def test_csp_after_security_and_htmx_after_common(self):
        result = conf.middleware(DJANGO_MIDDLEWARE)

        assert result == [
            conf.FRAME_MIDDLEWARE,
            "django.middleware.security.SecurityMiddleware",
            REPORTING_MIDDLEWARE,
            compat.CSP_MIDDLEWARE,
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            conf.HTMX_MIDDLEWARE,
            "django.middleware.csrf.CsrfViewMiddleware",
        ]

    def test_csp_after_whitenoise(self):
        existing = [
            DJANGO_MIDDLEWARE[0],
            "whitenoise.middleware.WhiteNoiseMiddleware",
            *DJANGO_MIDDLEWARE[1:],
        ]

        result = conf.middleware(existing)

        assert result[3:5] == [REPORTING_MIDDLEWARE, compat.CSP_MIDDLEWARE]

    def test_empty_list_gets_all_four(self):
        assert conf.middleware([]) == [
            conf.FRAME_MIDDLEWARE,
            REPORTING_MIDDLEWARE,
            compat.CSP_MIDDLEWARE,
            conf.HTMX_MIDDLEWARE,
        ]

    def test_a_demo_brings_its_middleware_only_when_installed(self):
        assert REPORTING_MIDDLEWARE not in conf.middleware(DJANGO_MIDDLEWARE, demos=["partials"])
        assert REPORTING_MIDDLEWARE in conf.middleware(DJANGO_MIDDLEWARE, demos=["csp"])

    def test_reporting_goes_just_outside_a_present_csp_middleware(self):
        existing = [*DJANGO_MIDDLEWARE, compat.CSP_MIDDLEWARE]

        result = conf.middleware(existing)

        assert result[-2:] == [REPORTING_MIDDLEWARE, compat.CSP_MIDDLEWARE]

    def test_frame_inside_gzip_so_it_reads_uncompressed_html(self):
        gzip = "django.middleware.gzip.GZipMiddleware"

        result = conf.middleware([gzip, *DJANGO_MIDDLEWARE])

        assert result[:2] == [gzip, conf.FRAME_MIDDLEWARE]

    def test_present_entries_stay_put(self):
        existing = [
            conf.HTMX_MIDDLEWARE,
            *DJANGO_MIDDLEWARE,
            compat.CSP_MIDDLEWARE,
            REPORTING_MIDDLEWARE,
            conf.FRAME_MIDDLEWARE,
        ]

        assert conf.middleware(existing) == existing

    def test_input_is_not_mutated(self):
        existing = list(DJANGO_MIDDLEWARE)
        conf.middleware(existing)
        assert existing == DJANGO_MIDDLEWARE


class TemplatesTests(SimpleTestCase):
    startproject_templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [],
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                ]
            },
        }
    ]

    def test_loaders_replace_app_dirs_and_understand_partials(self):
        [backend] = conf.templates(self.startproject_templates)

        assert "APP_DIRS" not in backend
        options = backend["OPTIONS"]
        cached = (
            "django.template.loaders.cached.Loader",
            [
                "django.template.loaders.filesystem.Loader",
                "django.template.loaders.app_directories.Loader",
            ],
        )
        if compat.HAS_BUILTIN_PARTIALS:
            assert options["loaders"] == [cached]
            assert options["builtins"] == []
        else:
            assert options["loaders"] == [("template_partials.loader.Loader", [cached])]
            assert options["builtins"] == ["template_partials.templatetags.partials"]

    def test_adds_the_nonce_processor_once(self):
        [backend] = conf.templates(self.startproject_templates)
        again = conf.templates([backend])

        processors = again[0]["OPTIONS"]["context_processors"]
        assert processors.count(compat.CSP_CONTEXT_PROCESSOR) == 1
        assert processors.count("django.template.context_processors.request") == 1

    def test_input_is_not_mutated(self):
        conf.templates(self.startproject_templates)
        assert self.startproject_templates[0]["APP_DIRS"] is True

    def test_other_backends_are_kept(self):
        jinja = {"BACKEND": "django.template.backends.jinja2.Jinja2", "OPTIONS": {}}

        result = conf.templates([jinja, *self.startproject_templates])

        assert result[0] == jinja

    def test_without_a_django_backend_it_says_so(self):
        with pytest.raises(ValueError, match="DjangoTemplates"):
            conf.templates([{"BACKEND": "django.template.backends.jinja2.Jinja2"}])


class StrictCspTests(SimpleTestCase):
    def test_strict_policy(self):
        policy = conf.strict_policy()

        assert policy["script-src"] == [NONCE, "'strict-dynamic'"]
        assert policy["default-src"] == policy["object-src"] == policy["base-uri"] == ["'none'"]
        assert "report-uri" not in policy

    def test_reporting_and_extra_sources(self):
        policy = conf.strict_policy(
            report_uri="/csp-report/", report_to="csp", extra={"img-src": ["data:"]}
        )

        assert policy["report-uri"] == ["/csp-report/"]
        assert policy["report-to"] == ["csp"]
        assert policy["img-src"] == ["'self'", "data:"]

    def test_strict_csp_returns_the_running_lines_setting(self):
        assert list(conf.strict_csp()) == [compat.CSP_SETTING]
        assert list(conf.strict_csp(report_only=True)) == [compat.CSP_REPORT_ONLY_SETTING]

    def test_demo_settings_is_the_one_helper_call(self):
        result = conf.demo_settings(DJANGO_MIDDLEWARE)

        assert set(result) == {
            "MIDDLEWARE",
            "TEMPLATES",
            "TASKS",
            compat.CSP_SETTING,
            conf.REPORTING_ENDPOINTS_SETTING,
        }
        assert result["TASKS"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
        assert conf.HTMX_MIDDLEWARE in result["MIDDLEWARE"]
        assert REPORTING_MIDDLEWARE in result["MIDDLEWARE"]

    def test_tasks_only_for_demos_that_run_tasks(self):
        assert "TASKS" not in conf.demo_settings(DJANGO_MIDDLEWARE, demos=["partials", "crud"])
        assert "TASKS" in conf.demo_settings(DJANGO_MIDDLEWARE, demos=["sqlite"])

    def test_demo_settings_report_to_the_collector_by_url_name(self):
        result = conf.demo_settings(DJANGO_MIDDLEWARE)

        with self.settings(**result):
            policy = compat.configured_policies()["enforce"]
        # A URL name: the csp demo's middleware reverses it on each request.
        assert policy["report-uri"] == ["django_six_demos_csp:report"]
        assert policy["report-to"] == [conf.CSP_REPORT_GROUP]
        assert result[conf.REPORTING_ENDPOINTS_SETTING] == {"csp": "django_six_demos_csp:report"}
        assert conf.collector_url_name() == "django_six_demos_csp:report"
        assert conf.collector_url_name(["partials", "tasks"]) is None

    def test_demo_settings_without_the_csp_demo_or_with_none_report_nowhere(self):
        for result in (
            conf.demo_settings(DJANGO_MIDDLEWARE, demos=["partials", "tasks"]),
            conf.demo_settings(DJANGO_MIDDLEWARE, csp_report_uri=None),
        ):
            with self.settings(**result):
                policy = compat.configured_policies()["enforce"]
            assert "report-uri" not in policy
            assert "report-to" not in policy
            assert conf.REPORTING_ENDPOINTS_SETTING not in result

    def test_demo_settings_report_uri_reports_both_ways(self):
        result = conf.demo_settings(DJANGO_MIDDLEWARE, csp_report_uri="/demos/csp/report/")

        with self.settings(**result):
            policy = compat.configured_policies()["enforce"]
        assert policy["report-uri"] == ["/demos/csp/report/"]
        assert policy["report-to"] == [conf.CSP_REPORT_GROUP]
        assert result[conf.REPORTING_ENDPOINTS_SETTING] == {"csp": "/demos/csp/report/"}


class RQTaskSettingsTests(SimpleTestCase):
    # django_six_demos.tasks.rq: the tasks demo's settings for RQ.
    def test_tasks_on_rq_with_every_queue_on_the_same_redis(self):
        result = rq_task_settings("redis://redis.internal:6379/2")

        assert result == {
            "TASKS": {
                "default": {
                    "BACKEND": "django_tasks_rq.RQBackend",
                    "QUEUES": ["default", "emails", "exports"],
                }
            },
            "RQ_QUEUES": {
                "default": {"URL": "redis://redis.internal:6379/2"},
                "emails": {"URL": "redis://redis.internal:6379/2"},
                "exports": {"URL": "redis://redis.internal:6379/2"},
            },
        }
        assert result["TASKS"]["default"]["BACKEND"] == compat.RQ_TASK_BACKEND

    def test_the_demo_queues_are_the_default(self):
        queues = rq_task_settings("redis://localhost")["TASKS"]["default"]["QUEUES"]

        assert queues == list(conf.TASK_QUEUES) == conf.tasks_setting()["default"]["QUEUES"]

    def test_chosen_queues_each_get_an_rq_queue(self):
        result = rq_task_settings("redis://localhost", queues=("high", "low"))

        assert result["TASKS"]["default"]["QUEUES"] == ["high", "low"]
        assert list(result["RQ_QUEUES"]) == ["high", "low"]

    def test_no_queue_is_refused(self):
        with pytest.raises(ValueError, match="at least one queue"):
            rq_task_settings("redis://localhost", queues=[])

    def test_it_replaces_the_tasks_of_demo_settings(self):
        settings = {**conf.demo_settings([]), **rq_task_settings("redis://localhost")}

        assert settings["TASKS"]["default"]["BACKEND"] == compat.RQ_TASK_BACKEND
        assert "RQ_QUEUES" in settings

    def test_the_worker_command(self):
        assert rq_worker_command() == [
            "rqworker",
            "--job-class",
            "django_tasks_rq.Job",
            "default",
            "emails",
            "exports",
        ]
        assert rq_worker_command(queues=["emails"], with_scheduler=True) == [
            "rqworker",
            "--job-class",
            RQ_JOB_CLASS,
            "--with-scheduler",
            "emails",
        ]
