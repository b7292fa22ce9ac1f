"""CSP reports follow the mount point: conf.demo_settings()' default, resolved on each request."""

from __future__ import annotations

import json

from django.conf import settings as test_settings
from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import include, path

from django_six_demos import conf, csp_header
from django_six_demos.csp import checks, reporting
from django_six_demos.csp.apps import REPORTING_MIDDLEWARE
from django_six_demos.csp.models import CspReport

# The settings conf.demo_settings() gives without csp_report_uri (tests/settings.py passes one).
DEFAULT_REPORTING = {
    name: value
    for name, value in conf.demo_settings(test_settings.MIDDLEWARE).items()
    if name not in ("TEMPLATES", "TASKS")
}

# This module is also a URLconf: the demos mounted somewhere else.
urlpatterns = [path("elsewhere/", include("django_six_demos.urls"))]


def violation(page: str) -> bytes:
    """What a browser posts to report-uri about ``page``."""
    report = {"document-uri": page, "effective-directive": "img-src", "blocked-uri": "data"}
    return json.dumps({"csp-report": report}).encode()


@override_settings(**DEFAULT_REPORTING)
class DefaultReportingTests(TestCase):
    def headers(self, url, **extra):
        response = self.client.get(url, **extra)
        assert response.status_code == 200
        enforced = csp_header.parse(response[csp_header.ENFORCED])
        return enforced, response.get(reporting.HEADER)

    def test_under_demos_the_header_reports_to_the_collector_there(self):
        # tests/urls.py: path("demos/", include("django_six_demos.urls")).
        policy, endpoints = self.headers("/demos/")

        assert policy["report-uri"] == ["/demos/csp/report/"]
        assert policy["report-to"] == ["csp"]
        assert endpoints == 'csp="http://testserver/demos/csp/report/"'

    def test_a_report_posted_there_lands_in_the_collector(self):
        policy, _ = self.headers("/demos/partials/")

        response = self.client.post(
            policy["report-uri"][0],
            violation("http://testserver/demos/partials/"),
            content_type="application/csp-report",
        )

        assert response.status_code == 204
        report = CspReport.objects.get()
        assert (report.document_uri, report.effective_directive) == (
            "http://testserver/demos/partials/",
            "img-src",
        )

    @override_settings(ROOT_URLCONF=__name__)
    def test_mounted_elsewhere_the_header_follows(self):
        policy, endpoints = self.headers("/elsewhere/")

        assert policy["report-uri"] == ["/elsewhere/csp/report/"]
        assert endpoints == 'csp="http://testserver/elsewhere/csp/report/"'

    def test_the_csp_pages_show_the_path_not_the_url_name(self):
        page = self.client.get("/demos/csp/sandbox/").text

        # The policy table and the reporting note, read from the settings.
        assert '<th scope="row"><code>report-uri</code></th>' in page
        assert "<td><code>/demos/csp/report/</code> </td>" in page
        assert "<code>report-uri /demos/csp/report/</code>" in page
        assert "<code>django_six_demos_csp:report</code>" not in page

    def test_the_reports_page_names_the_path(self):
        staff = get_user_model().objects.create_user("staff", is_staff=True)
        self.client.force_login(staff)

        response = self.client.get("/demos/csp/reports/")

        rows = response.context["reporting_directives"]

        assert (csp_header.ENFORCED, "report-uri", "/demos/csp/report/") in rows

    def test_the_default_passes_the_checks(self):
        assert checks.check_csp_report_uri(None) == []
        assert checks.check_csp_report_to(None) == []


class ExplicitReportUriTests(TestCase):
    def test_a_path_of_ones_own_overrides_the_collector(self):
        result = conf.demo_settings(test_settings.MIDDLEWARE, csp_report_uri="/r/")
        with override_settings(
            **{k: v for k, v in result.items() if k not in ("TEMPLATES", "TASKS")}
        ):
            response = self.client.get("/demos/")

        policy = csp_header.parse(response[csp_header.ENFORCED])
        assert policy["report-uri"] == ["/r/"]
        assert response[reporting.HEADER] == 'csp="http://testserver/r/"'


class UrlNameTests(TestCase):
    def test_a_url_name_is_a_source_without_a_slash(self):
        assert reporting.is_url_name("django_six_demos_csp:report")
        assert not reporting.is_url_name("/demos/csp/report/")
        assert not reporting.is_url_name("https://reports.example/csp")

    def test_a_url_name_is_reversed_and_anything_else_kept(self):
        assert reporting.report_url("django_six_demos_csp:report") == "/demos/csp/report/"
        assert reporting.report_url("https://reports.example/csp") == "https://reports.example/csp"
        assert reporting.report_url("no_such_name") is None

    @override_settings(**conf.strict_csp(report_uri="no_such_name"))
    def test_a_name_that_matches_no_url_is_left_out_of_the_header_and_warned_about(self):
        response = self.client.get("/demos/")

        assert "report-uri" not in csp_header.parse(response[csp_header.ENFORCED])
        [warning] = checks.check_csp_report_uri(None)
        assert warning.id == "django_six_demos.W013"
        assert "'no_such_name' is a URL name that matches no URL" in warning.msg

    @override_settings(**DEFAULT_REPORTING)
    def test_without_the_middleware_a_url_name_is_warned_about(self):
        middleware = [m for m in test_settings.MIDDLEWARE if m != REPORTING_MIDDLEWARE]
        with override_settings(MIDDLEWARE=middleware):
            [warning] = checks.check_csp_report_uri(None)

        assert warning.id == "django_six_demos.W013"
        assert "(not in MIDDLEWARE)" in warning.msg
