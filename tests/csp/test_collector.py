from __future__ import annotations

import io
import itertools
import json
import re
from typing import Any
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import Client, RequestFactory, SimpleTestCase, TestCase, override_settings
from django.urls import reverse

from django_six_demos import conf
from django_six_demos.csp import collector, reporting
from django_six_demos.csp.collector import CSP_REPORT, JSON, REPORTS_JSON, REPORTS_TEMPLATE
from django_six_demos.csp.models import CspReport

User = get_user_model()
URL = reverse("django_six_demos_csp:report")
PAGE = reverse("django_six_demos_csp:reports")
CLEAR = reverse("django_six_demos_csp:reports-clear")
HTMX = {"HX-Request": "true"}
# The test client's host: reports about its pages are this site's.
SITE = "http://testserver"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0"
# The policy and endpoints demo_settings(csp_report_uri=...) gives, as in the example project.
REPORTING = {
    name: value
    for name, value in conf.demo_settings([], csp_report_uri=URL).items()
    if name not in ("MIDDLEWARE", "TEMPLATES", "TASKS")
}

# What Chromium posts to report-uri (application/csp-report).
REPORT_URI_BODY = {
    "csp-report": {
        "document-uri": f"{SITE}/partials/",
        "referrer": "",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'none'; script-src 'nonce-abc' 'strict-dynamic'",
        "disposition": "enforce",
        "blocked-uri": "inline",
        "line-number": 12,
        "column-number": 9,
        "source-file": f"{SITE}/partials/",
        "status-code": 200,
        "script-sample": "document.body.dataset.x = 1",
    }
}


def reporting_api_item(directive: str = "img-src", **body: object) -> dict[str, Any]:
    """One report of a Reporting API batch (application/reports+json)."""
    return {
        "type": "csp-violation",
        "age": 12,
        "url": f"{SITE}/csp/",
        "user_agent": CHROME,
        "body": {
            "documentURL": f"{SITE}/csp/",
            "effectiveDirective": directive,
            "blockedURL": "https://evil.example/pixel.png",
            "originalPolicy": "default-src 'none'; img-src 'self'; report-to csp",
            "disposition": "report",
            "sourceFile": f"{SITE}/static/app.js",
            "lineNumber": 3,
            "columnNumber": 14,
            "sample": "",
            "statusCode": 200,
            **body,
        },
    }


# One address per POST (10.0.0.1, 10.0.0.2, ...) unless a test names one: the
# per-address limit has tests of its own.
_addresses = itertools.count(1)


def new_address() -> str:
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def unreadable_request(address: str = "127.0.0.1") -> tuple[Any, mock.Mock]:
    """A report POST whose body fails the test if the view reads it."""
    request = RequestFactory().post(URL, data=b"{}", content_type=CSP_REPORT, REMOTE_ADDR=address)
    stream = mock.Mock(read=mock.Mock(side_effect=AssertionError("read")))
    request._stream = stream
    return request, stream


REPORT_LIMIT = int(collector.REPORT_RATE.split("/")[0])
# The clear form's CSRF token is masked anew on every render.
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def without_csrf_token(html: str) -> str:
    return _CSRF_FIELD.sub('name="csrfmiddlewaretoken" value="…"', html)


class CollectorTestCase(TestCase):
    def post(self, body, content_type=CSP_REPORT, *, ip=None, **kwargs):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.client.post(
            URL, data=data, content_type=content_type, REMOTE_ADDR=ip or new_address(), **kwargs
        )


class ReportFormatTests(CollectorTestCase):
    def test_report_uri_body_is_stored_and_normalised(self):
        response = self.post(REPORT_URI_BODY, headers={"User-Agent": CHROME})

        assert response.status_code == 204
        assert response.content == b""
        [report] = CspReport.objects.all()
        assert report.format == CspReport.Format.REPORT_URI
        assert report.document_uri == f"{SITE}/partials/"
        assert report.effective_directive == "script-src-elem"
        assert report.violated_directive == "script-src-elem"
        assert report.blocked_uri == "inline"
        assert report.disposition == CspReport.Disposition.ENFORCE
        assert report.source_file == f"{SITE}/partials/"
        assert (report.line_number, report.column_number) == (12, 9)
        assert report.sample == "document.body.dataset.x = 1"
        assert report.status_code == 200
        assert report.user_agent == CHROME
        assert json.loads(report.raw) == REPORT_URI_BODY

    def test_reporting_api_batch_is_stored_and_normalised(self):
        batch = [reporting_api_item("img-src"), reporting_api_item("style-src-elem", sample="a{}")]

        response = self.post(batch, REPORTS_JSON, headers={"User-Agent": "not this one"})

        assert response.status_code == 204
        img, style = CspReport.objects.order_by("pk")
        assert img.format == CspReport.Format.REPORT_TO
        assert img.document_uri == f"{SITE}/csp/"
        assert img.effective_directive == img.violated_directive == "img-src"
        assert img.blocked_uri == "https://evil.example/pixel.png"
        assert img.disposition == CspReport.Disposition.REPORT
        assert img.source_file == f"{SITE}/static/app.js"
        assert (img.line_number, img.column_number, img.status_code) == (3, 14, 200)
        # The browser's own user agent travels in the report.
        assert img.user_agent == CHROME
        assert json.loads(img.raw) == batch[0]
        assert (style.effective_directive, style.sample) == ("style-src-elem", "a{}")

    def test_other_report_types_in_a_batch_are_ignored(self):
        batch = [
            {"type": "deprecation", "url": f"{SITE}/", "body": {"id": "x"}},
            reporting_api_item(),
            {"type": "coep", "body": "not even an object"},
        ]

        assert self.post(batch, REPORTS_JSON).status_code == 204
        assert CspReport.objects.count() == 1

    def test_a_batch_without_csp_reports_stores_nothing(self):
        assert self.post([], REPORTS_JSON).status_code == 204
        assert self.post([{"type": "intervention", "body": {}}], REPORTS_JSON).status_code == 204
        assert CspReport.objects.count() == 0

    def test_application_json_carries_either_shape(self):
        assert self.post(REPORT_URI_BODY, JSON).status_code == 204
        assert self.post([reporting_api_item()], JSON).status_code == 204

        formats = list(CspReport.objects.order_by("pk").values_list("format", flat=True))
        assert formats == [CspReport.Format.REPORT_URI, CspReport.Format.REPORT_TO]

    def test_content_type_parameters_are_accepted(self):
        response = self.post(REPORT_URI_BODY, "application/csp-report; charset=utf-8")

        assert response.status_code == 204

    def test_csp2_reports_give_the_directive_name_only_in_violated_directive(self):
        body = {
            "csp-report": {
                "document-uri": f"{SITE}/",
                "violated-directive": "img-src 'self' https:",
                "blocked-uri": "x",
            }
        }

        assert self.post(body).status_code == 204
        report = CspReport.objects.get()
        assert report.effective_directive == "img-src"
        assert report.violated_directive == "img-src 'self' https:"

    def test_reporting_api_falls_back_to_the_report_url_and_request_user_agent(self):
        item = reporting_api_item()
        del item["user_agent"], item["body"]["documentURL"]

        self.post([item], REPORTS_JSON, headers={"User-Agent": CHROME})

        report = CspReport.objects.get()
        assert report.document_uri == f"{SITE}/csp/"
        assert report.user_agent == CHROME

    def test_wrong_types_for_fields_are_dropped_not_stored(self):
        body = {
            "csp-report": {
                "effective-directive": "IMG-SRC",
                "document-uri": f"{SITE}/",
                "blocked-uri": 42,
                "disposition": "sometimes",
                "line-number": -1,
                "column-number": 2**40,
                "status-code": "200",
                "source-file": True,
            }
        }

        assert self.post(body).status_code == 204
        report = CspReport.objects.get()
        assert report.effective_directive == "img-src"
        assert (report.blocked_uri, report.source_file) == ("42", "")
        assert report.disposition == ""
        assert (report.line_number, report.column_number, report.status_code) == (None, None, None)

    def test_a_page_url_of_the_wrong_type_names_no_page_of_this_site(self):
        body = {"csp-report": {"effective-directive": "img-src", "document-uri": {"a": [SITE]}}}

        assert self.post(body).status_code == 204
        assert CspReport.objects.count() == 0

    def test_every_text_is_cut_to_its_column(self):
        long = f"{SITE}/" + "a" * 10_000
        body = {"csp-report": {"effective-directive": "img-src", "document-uri": long}}

        assert self.post(body, headers={"User-Agent": "U" * 1000}).status_code == 204
        report = CspReport.objects.get()
        limits = CspReport.text_limits()
        assert len(report.document_uri) == limits["document_uri"]
        assert len(report.user_agent) == limits["user_agent"]
        assert len(report.raw) == limits["raw"]

    def test_nul_bytes_and_lone_surrogates_are_cleaned_before_storing(self):
        body = (
            b'{"csp-report": {"effective-directive": "img-src\\u0000", '
            b'"document-uri": "http://testserver/p\\u0000age/", "script-sample": "x\\ud800y", '
            b'"blocked-uri": "a\xed\xa0\x80b"}}'
        )

        assert self.post(body).status_code == 204
        report = CspReport.objects.get()
        assert report.effective_directive == "img-src"
        assert report.document_uri == f"{SITE}/page/"
        assert report.sample == "x?y"
        assert report.blocked_uri == "a?b"
        assert report.raw.isascii()


class RefusalTests(CollectorTestCase):
    def test_get_and_other_methods_are_405(self):
        for method in (self.client.get, self.client.put, self.client.delete):
            response = method(URL)
            assert response.status_code == 405
            assert response["Allow"] == "POST"

    def test_wrong_content_type_is_415_with_a_message(self):
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "text/html", ""):
            response = self.post(REPORT_URI_BODY, content_type)
            assert response.status_code == 415, content_type
            assert "application/csp-report" in response.text
            assert "application/reports+json" in response.text
        assert CspReport.objects.count() == 0

    def test_body_over_the_limit_is_413(self):
        body = {"csp-report": {"effective-directive": "img-src", "sample": "x" * 70_000}}

        response = self.post(body)

        assert response.status_code == 413
        assert "65536 bytes" in response.text
        assert CspReport.objects.count() == 0

    def test_declared_length_over_the_limit_is_refused_unread(self):
        request, stream = unreadable_request()
        request.META["CONTENT_LENGTH"] = str(10**9)

        response = collector.report(request)

        assert response.status_code == 413
        stream.read.assert_not_called()

    def test_body_longer_than_declared_is_still_413(self):
        """The read itself is capped: a wrong Content-Length cannot sneak a big body in."""
        request = RequestFactory().post(URL, data=b"{}", content_type=CSP_REPORT)
        request._stream = io.BytesIO(b" " * (collector.MAX_BODY_BYTES + 10))

        response = collector.report(request)

        assert response.status_code == 413

    def test_body_at_the_limit_is_read(self):
        report = json.dumps(REPORT_URI_BODY).encode()
        body = report + b" " * (collector.MAX_BODY_BYTES - len(report))

        assert self.post(body).status_code == 204

    def test_non_json_is_400_with_a_message(self):
        for body in (b" ", b"not json", b"{'single': 'quotes'}", b"\xff\xfe\x00junk", b"NaN"):
            response = self.post(body)
            assert response.status_code == 400, body
            assert response.text == "The body is not valid JSON."

    def test_wrong_shapes_are_400_with_a_message(self):
        cases = [
            (CSP_REPORT, [REPORT_URI_BODY], "csp-report"),
            (CSP_REPORT, {"report": {}}, "csp-report"),
            (CSP_REPORT, {"csp-report": "img-src"}, "csp-report"),
            (REPORTS_JSON, REPORT_URI_BODY, "JSON array"),
            (REPORTS_JSON, [1, 2, 3], "JSON object"),
            (REPORTS_JSON, ["csp-violation"], "JSON object"),
            (REPORTS_JSON, [{"type": "csp-violation", "body": "img-src"}], '"body" object'),
            (JSON, "a string", "csp-report"),
            (JSON, None, "csp-report"),
            (CSP_REPORT, {"csp-report": {"blocked-uri": "x"}}, "directive"),
            (CSP_REPORT, {"csp-report": {"effective-directive": "<b>img</b>"}}, "directive"),
        ]
        for content_type, body, message in cases:
            response = self.post(body, content_type)
            assert response.status_code == 400, body
            assert message in response.text, (body, response.text)
        assert CspReport.objects.count() == 0

    def test_one_bad_report_refuses_the_whole_batch(self):
        batch = [reporting_api_item(), reporting_api_item(), "not an object"]

        assert self.post(batch, REPORTS_JSON).status_code == 400
        assert CspReport.objects.count() == 0

    def test_hostile_bodies_never_give_a_500(self):
        hostile = [
            (CSP_REPORT, bytes(range(256)) * 10),
            (CSP_REPORT, b"[" * 60_000),
            (CSP_REPORT, b'{"csp-report": ' * 3000 + b"{}" + b"}" * 3000),
            (REPORTS_JSON, b"[" * 20 + b"]" * 20),
            (CSP_REPORT, b"9" * 5000),
            (
                CSP_REPORT,
                b'{"csp-report": {"effective-directive": "img-src", "line-number": 1e999}}',
            ),
            (
                CSP_REPORT,
                b'{"csp-report": {"effective-directive": "img-src", "line-number": -Infinity}}',
            ),
            (
                CSP_REPORT,
                b'{"csp-report": {"effective-directive": "img-src", "status-code": 1'
                + b"0" * 4400
                + b"}}",
            ),
            (CSP_REPORT, b'{"csp-report": {"effective-directive": "\\u0000\\u0000"}}'),
            (CSP_REPORT, b'{"csp-report": {"effective-directive": "\\udfff"}}'),
            (
                CSP_REPORT,
                b'{"csp-report": {"effective-directive": "img-src", "\\ud800": "\\udc00x"}}',
            ),
            (CSP_REPORT, b'{"csp-report": {"effective-directive": "img-src"}, "csp-report": null}'),
            (CSP_REPORT, b"\xef\xbb\xbf" + json.dumps(REPORT_URI_BODY).encode()),
            (CSP_REPORT, json.dumps(REPORT_URI_BODY).encode("utf-16")),
            (REPORTS_JSON, b"[null, true, 1.5, []]"),
            (REPORTS_JSON, b'[{"type": ["csp-violation"], "body": {}}]'),
            (
                REPORTS_JSON,
                b'[{"type": "csp-violation", "body": {"effectiveDirective": ["img-src"]}}]',
            ),
            (
                REPORTS_JSON,
                b'[{"type": "csp-violation", "body": {"effectiveDirective": "img-src", "lineNumber": "1"}}]',
            ),
            (REPORTS_JSON, b'{"type": "csp-violation"}'),
            (JSON, b'"\\ud800"'),
            (JSON, b"0"),
            (JSON, b"[]" * 100),
            (JSON, json.dumps([reporting_api_item()] * 200).encode()),
            (CSP_REPORT, b'{"csp-report": {"effective-directive": "' + b"a" * 60_000 + b'"}}'),
        ]
        for content_type, body in hostile:
            response = self.post(body, content_type)
            assert response.status_code in (204, 400, 413), (body[:60], response.status_code)
            if response.status_code != 204:
                assert response.text, body[:60]

    def test_endpoint_is_csrf_exempt(self):
        client = Client(enforce_csrf_checks=True)

        response = client.post(URL, data=json.dumps(REPORT_URI_BODY), content_type=CSP_REPORT)

        assert response.status_code == 204
        assert CspReport.objects.count() == 1


class CapTests(CollectorTestCase):
    def test_reports_per_request_are_capped(self):
        batch = [reporting_api_item(sample=str(i)) for i in range(80)]

        assert self.post(batch, REPORTS_JSON).status_code == 204
        samples = list(CspReport.objects.order_by("pk").values_list("sample", flat=True))
        assert samples == [str(i) for i in range(collector.MAX_REPORTS_PER_REQUEST)]

    def test_a_flood_leaves_at_most_the_cap_keeping_the_newest(self):
        per_request = collector.MAX_REPORTS_PER_REQUEST
        for n in range(5000 // per_request):
            batch = [reporting_api_item(sample=f"{n}-{i}") for i in range(per_request)]
            assert self.post(batch, REPORTS_JSON).status_code == 204

        assert CspReport.objects.count() == collector.MAX_STORED_REPORTS
        newest = CspReport.objects.first()
        assert newest is not None
        assert newest.sample == f"{5000 // per_request - 1}-{per_request - 1}"
        assert not CspReport.objects.filter(sample__startswith="0-").exists()

    def test_the_stored_cap_is_applied_in_the_same_transaction(self):
        with mock.patch.object(collector, "MAX_STORED_REPORTS", 3):
            for i in range(5):
                self.post([reporting_api_item(sample=str(i))], REPORTS_JSON)

        assert list(CspReport.objects.values_list("sample", flat=True)) == ["4", "3", "2"]


class RateLimitTests(CollectorTestCase):
    """One address may post REPORT_RATE; then 429, before the body is read."""

    def test_past_the_limit_one_address_gets_a_plain_429_with_retry_after(self):
        answers = [
            self.post(REPORT_URI_BODY, ip="203.0.113.9").status_code for _ in range(REPORT_LIMIT)
        ]
        refused = self.post(REPORT_URI_BODY, ip="203.0.113.9")
        other = self.post(REPORT_URI_BODY, ip="198.51.100.4")

        assert answers == [204] * REPORT_LIMIT
        assert refused.status_code == 429
        assert refused["Content-Type"] == "text/plain; charset=utf-8"
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert "Too many reports from this address" in refused.text
        # Another address is counted apart.
        assert other.status_code == 204
        assert CspReport.objects.count() == REPORT_LIMIT + 1

    def test_a_flood_from_one_address_cannot_replace_the_stored_rows(self):
        """The issue's attack: 20 POSTs of 50 reports used to replace all 1,000 rows."""
        CspReport.objects.bulk_create(
            CspReport(
                format=CspReport.Format.REPORT_URI,
                effective_directive="img-src",
                document_uri=f"{SITE}/real-visit/",
                sample="old",
            )
            for _ in range(collector.MAX_STORED_REPORTS)
        )
        per_request = collector.MAX_REPORTS_PER_REQUEST

        answers = [
            self.post(
                [reporting_api_item(sample=f"flood-{n}-{i}") for i in range(per_request)],
                REPORTS_JSON,
                ip="203.0.113.66",
            ).status_code
            for n in range(20)
        ]

        assert answers == [204] * REPORT_LIMIT + [429] * (20 - REPORT_LIMIT)
        assert CspReport.objects.count() == collector.MAX_STORED_REPORTS
        kept = CspReport.objects.filter(sample="old").count()
        assert kept == collector.MAX_STORED_REPORTS - REPORT_LIMIT * per_request
        assert kept > 0

    def test_past_the_limit_the_body_is_not_read(self):
        for _ in range(REPORT_LIMIT):
            self.post(REPORT_URI_BODY, ip="203.0.113.7")
        request, stream = unreadable_request("203.0.113.7")

        response = collector.report(request)

        assert response.status_code == 429
        stream.read.assert_not_called()


class PageUrlTests(CollectorTestCase):
    """Reports about other hosts are dropped; page URLs lose query and fragment."""

    def report_about(self, page):
        return {"csp-report": {"document-uri": page, "effective-directive": "img-src"}}

    def test_a_report_about_another_host_is_ignored(self):
        for page in (
            "https://evil.example/",
            "https://testserver.evil.example/",
            "http://testserver@evil.example/",
            "about:blank",
            "javascript:alert(1)",
            "/csp/",
            "http://[::1/",
            "",
        ):
            response = self.post(self.report_about(page))
            assert response.status_code == 204, page
        assert CspReport.objects.count() == 0

    def test_a_report_without_a_page_is_ignored(self):
        assert self.post({"csp-report": {"effective-directive": "img-src"}}).status_code == 204
        assert CspReport.objects.count() == 0

    def test_reports_about_this_host_are_kept_whatever_the_port_scheme_or_case(self):
        pages = ["http://testserver/a/", "https://TESTSERVER:8443/b/", "http://user@testserver./c/"]
        for page in pages:
            assert self.post(self.report_about(page)).status_code == 204

        assert CspReport.objects.count() == len(pages)

    def test_a_batch_keeps_only_the_reports_about_this_host(self):
        batch = [
            reporting_api_item(sample="ours"),
            reporting_api_item(sample="theirs", documentURL="https://evil.example/"),
        ]

        assert self.post(batch, REPORTS_JSON).status_code == 204
        assert list(CspReport.objects.values_list("sample", flat=True)) == ["ours"]

    @override_settings(ALLOWED_HOSTS=["demos.example"])
    def test_the_host_is_the_one_the_report_was_posted_to(self):
        body = self.report_about("https://demos.example/csp/")

        assert self.post(body, HTTP_HOST="demos.example").status_code == 204
        assert self.post(body, HTTP_HOST="other.example").status_code == 400
        assert CspReport.objects.count() == 1

    def test_query_strings_and_fragments_are_never_stored(self):
        body = {
            "csp-report": {
                "document-uri": f"{SITE}/accounts/reset/?token=SECRET1#SECRET2",
                "referrer": f"{SITE}/mail/?key=SECRET3",
                "effective-directive": "img-src",
                "blocked-uri": "https://cdn.example/pixel.png?user=SECRET4",
                "source-file": f"{SITE}/static/app.js?v=SECRET5",
            }
        }

        assert self.post(body).status_code == 204
        report = CspReport.objects.get()
        assert report.document_uri == f"{SITE}/accounts/reset/"
        assert report.blocked_uri == "https://cdn.example/pixel.png"
        assert report.source_file == f"{SITE}/static/app.js"
        assert "SECRET" not in report.raw
        assert json.loads(report.raw)["csp-report"]["referrer"] == f"{SITE}/mail/"

    def test_the_reporting_api_page_url_loses_its_query_too(self):
        item = reporting_api_item(documentURL=f"{SITE}/csp/?q=SECRET")
        item["url"] = f"{SITE}/csp/?q=SECRET"

        assert self.post([item], REPORTS_JSON).status_code == 204
        report = CspReport.objects.get()
        assert report.document_uri == f"{SITE}/csp/"
        assert "SECRET" not in report.raw

    def test_the_cut_needs_no_parsing(self):
        assert collector.without_query("https://x.example/a?b#c") == "https://x.example/a"
        assert collector.without_query("https://x.example/a#c?d") == "https://x.example/a"
        assert collector.without_query("http://[::1/?x") == "http://[::1/"
        assert collector.without_query("inline") == "inline"


class ReportsPageTests(TestCase):
    staff: AuthUser
    speaker: AuthUser

    @classmethod
    def setUpTestData(cls):
        cls.staff = User.objects.create_user("staff", is_staff=True)
        cls.speaker = User.objects.create_user("ada")
        for directive, count in (("script-src-elem", 3), ("img-src", 1)):
            for _ in range(count):
                CspReport.objects.create(
                    format=CspReport.Format.REPORT_URI,
                    effective_directive=directive,
                    violated_directive=directive,
                    document_uri="https://demos.example/page/",
                    blocked_uri="inline",
                    disposition="enforce",
                )

    def setUp(self):
        self.client.force_login(self.staff)

    def test_page_lists_reports_and_counts_by_directive(self):
        response = self.client.get(PAGE)

        assert response.status_code == 200
        assert response.text.startswith("<!doctype html>")
        assert "4 reports stored" in response.text
        assert response.context_data is not None
        by_directive = [
            (r["effective_directive"], r["count"]) for r in response.context_data["by_directive"]
        ]
        assert by_directive == [("script-src-elem", 3), ("img-src", 1)]
        assert response.text.count("https://demos.example/page/") == 4

    def test_page_polls_for_its_list(self):
        response = self.client.get(PAGE)

        assert 'hx-trigger="every 3s"' in response.text
        assert f'hx-get="{PAGE}"' in response.text

    def test_htmx_request_renders_only_the_list_partial(self):
        response = self.client.get(PAGE, headers=HTMX)

        assert response.status_code == 200
        assert "<html" not in response.text
        expected = render_to_string(
            f"{REPORTS_TEMPLATE}#list", response.context_data, request=response.wsgi_request
        )
        assert without_csrf_token(response.text) == without_csrf_token(expected)
        assert response.text.strip().startswith('<div id="report-list"')
        # The partial polls on: it carries the same trigger.
        assert 'hx-trigger="every 3s"' in response.text

    def test_full_page_contains_the_same_list(self):
        response = self.client.get(PAGE)

        fragment = render_to_string(
            f"{REPORTS_TEMPLATE}#list", response.context_data, request=response.wsgi_request
        )
        assert without_csrf_token(fragment) in without_csrf_token(response.text)

    def test_responses_vary_on_hx_request(self):
        for headers in ({}, HTMX):
            assert "HX-Request" in self.client.get(PAGE, headers=headers)["Vary"]

    @override_settings(**REPORTING)
    def test_page_shows_where_the_policy_reports(self):
        response = self.client.get(PAGE, secure=True)

        assert response.context_data is not None
        rows = response.context_data["reporting_directives"]
        assert ("Content-Security-Policy", "report-uri", URL) in rows
        assert ("Content-Security-Policy", "report-to", "csp") in rows
        assert response.context_data["reporting_header"] == f'csp="https://testserver{URL}"'
        assert '<p class="report-note">' not in response.text

    @override_settings(**REPORTING)
    def test_page_shows_the_header_over_plain_http_without_debug(self):
        response = self.client.get(PAGE)

        assert response.context_data is not None
        assert response.context_data["reporting_header"] == f'csp="http://testserver{URL}"'
        assert '<p class="report-note">' not in response.text

    @override_settings(**REPORTING, DEBUG=True)
    def test_page_explains_plain_http_in_development(self):
        response = self.client.get(PAGE)

        assert response.context_data is not None
        assert response.context_data["reporting_header"] == ""
        assert '<p class="report-note">' in response.text

    def test_page_says_when_nothing_reports(self):
        with override_settings(**conf.strict_csp()):
            response = self.client.get(PAGE)

        assert response.context_data is not None
        assert response.context_data["reporting_directives"] == []
        assert "ask for no reports" in response.text

    def test_staff_get_the_clear_button(self):
        assert '<button type="submit">Clear reports</button>' in self.client.get(PAGE).text

    def test_anonymous_visitors_are_sent_to_sign_in_and_see_no_report(self):
        self.client.logout()
        login = reverse("django_six_demos_sign_in")

        response = self.client.get(PAGE)

        assert response.status_code == 302
        assert response["Location"] == f"{login}?next={PAGE}"
        assert "demos.example" not in response.text
        # The htmx refresh: the whole page goes to sign in, no list is sent.
        response = self.client.get(PAGE, headers=HTMX)
        assert response.status_code == 200
        assert response["HX-Redirect"] == f"{login}?next={PAGE}"
        assert response.text == ""

    def test_signed_in_visitors_who_are_not_staff_get_a_403(self):
        self.client.force_login(self.speaker)

        for headers in ({}, HTMX):
            response = self.client.get(PAGE, headers=headers)
            assert response.status_code == 403
            assert "Only staff may read the violation reports." in response.text
            assert "demos.example" not in response.text
            assert "report-count" not in response.text

    def test_clear_is_refused_to_anonymous_and_non_staff_users(self):
        self.client.logout()
        response = self.client.post(CLEAR)
        assert response.status_code == 302
        login = reverse("django_six_demos_sign_in")
        assert response["Location"] == f"{login}?next={PAGE}"
        response = self.client.post(CLEAR, headers=HTMX)
        assert response["HX-Redirect"].startswith(login)

        self.client.force_login(self.speaker)
        for headers in ({}, HTMX):
            response = self.client.post(CLEAR, headers=headers)
            assert response.status_code == 403
            assert "Only staff may clear the violation reports." in response.text
        assert CspReport.objects.count() == 4

    def test_staff_clear_with_htmx_gets_the_empty_list(self):
        self.client.force_login(self.staff)

        response = self.client.post(CLEAR, headers=HTMX)

        assert response.status_code == 200
        assert response.text.strip().startswith('<div id="report-list"')
        assert "0 reports stored" in response.text
        assert CspReport.objects.count() == 0

    def test_staff_clear_without_htmx_redirects_to_the_page(self):
        self.client.force_login(self.staff)

        response = self.client.post(CLEAR)

        assert response.status_code == 302
        assert response["Location"] == PAGE
        assert CspReport.objects.count() == 0

    def test_clear_needs_the_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.staff)

        assert client.post(CLEAR, headers=HTMX).status_code == 403
        assert CspReport.objects.count() == 4

    def test_clear_is_post_only_and_page_get_only(self):
        self.client.force_login(self.staff)
        assert self.client.get(CLEAR).status_code == 405
        assert self.client.post(PAGE).status_code == 405
        assert CspReport.objects.count() == 4


@override_settings(**REPORTING)
class ReportingEndpointsTests(SimpleTestCase):
    """The Reporting-Endpoints header that report-to needs (csp/reporting.py)."""

    def respond(self, request, headers):
        def view(request):
            response = HttpResponse()
            for name, value in headers.items():
                response[name] = value
            return response

        return reporting.ReportingEndpointsMiddleware(view)(request)

    def test_header_maps_the_group_to_an_absolute_url(self):
        request = RequestFactory().get("/", secure=True)
        headers = {"Content-Security-Policy": "default-src 'none'; report-to csp"}

        response = self.respond(request, headers)

        assert response[reporting.HEADER] == f'csp="https://testserver{URL}"'
        assert response["Content-Security-Policy"] == headers["Content-Security-Policy"]

    def test_report_only_policies_count_too(self):
        headers = {"Content-Security-Policy-Report-Only": "img-src 'self'; report-to csp"}

        response = self.respond(RequestFactory().get("/"), headers)

        assert reporting.HEADER in response

    def test_no_header_without_report_to(self):
        for headers in ({}, {"Content-Security-Policy": "default-src 'none'; report-uri /r/"}):
            assert reporting.HEADER not in self.respond(RequestFactory().get("/"), headers)

    def test_no_header_without_the_setting(self):
        headers = {"Content-Security-Policy": "report-to csp"}
        with override_settings(**{conf.REPORTING_ENDPOINTS_SETTING: None}):
            assert reporting.HEADER not in self.respond(RequestFactory().get("/"), headers)

    def test_a_header_set_by_the_view_is_kept(self):
        headers = {"Content-Security-Policy": "report-to csp", reporting.HEADER: 'csp="/mine/"'}

        response = self.respond(RequestFactory().get("/"), headers)

        assert response[reporting.HEADER] == 'csp="/mine/"'

    def test_urls_are_percent_encoded_and_bad_group_names_left_out(self):
        groups = {
            "csp": 'https://reports.example/a"b\\c',
            "Bad Group": "/x/",
            "other": "/caf\u00e9/\n",
        }
        request = RequestFactory().get("/")

        value = reporting.header_value(request, groups)

        assert value == (
            'csp="https://reports.example/a%22b%5Cc", other="http://testserver/caf%C3%A9/%0A"'
        )

    def test_a_disallowed_host_gets_no_header(self):
        request = RequestFactory().get("/", headers={"Host": "evil.example"})
        headers = {"Content-Security-Policy": "report-to csp"}

        assert reporting.HEADER not in self.respond(request, headers)

    @override_settings(DEBUG=True)
    def test_in_development_over_http_report_to_gives_way_to_report_uri(self):
        """Chromium ignores Reporting-Endpoints over HTTP but would still prefer report-to."""
        both = "default-src 'none'; report-uri /r/; report-to csp"
        headers = {
            "Content-Security-Policy": both,
            "Content-Security-Policy-Report-Only": "img-src 'self' ; report-to csp",
        }

        response = self.respond(RequestFactory().get("/"), headers)

        assert response["Content-Security-Policy"] == "default-src 'none'; report-uri /r/"
        # Without report-uri to fall back to, report-to stays (and its header with it).
        assert (
            response["Content-Security-Policy-Report-Only"]
            == headers["Content-Security-Policy-Report-Only"]
        )
        assert reporting.HEADER in response

    def test_over_https_or_without_debug_both_directives_stay(self):
        both = "default-src 'none'; report-uri /r/; report-to csp"
        with override_settings(DEBUG=True):
            secure = self.respond(
                RequestFactory().get("/", secure=True), {"Content-Security-Policy": both}
            )
        plain = self.respond(RequestFactory().get("/"), {"Content-Security-Policy": both})

        for response in (secure, plain):
            assert response["Content-Security-Policy"] == both
            assert reporting.HEADER in response

    def test_demo_pages_carry_the_header(self):
        secure = self.client.get(reverse("django_six_demos_index"), secure=True)
        plain = self.client.get(reverse("django_six_demos_index"))

        assert secure[reporting.HEADER] == f'csp="https://testserver{URL}"'
        assert plain[reporting.HEADER] == f'csp="http://testserver{URL}"'
        for response in (secure, plain):
            assert "report-to csp" in response["Content-Security-Policy"]
            assert f"report-uri {URL}" in response["Content-Security-Policy"]
