"""The CSP demo's collector with Chromium's real reports, not hand-written ones.

The live server runs in this process, so the ``settings`` fixture switches its
report-only policy to report to the collector (``/csp/report/`` in the example
project) instead of the in-test one.
"""

from __future__ import annotations

import json
import re
import time

from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from django_six_demos import compat, conf
from django_six_demos.csp.models import CspReport

COLLECTOR = "/csp/report/"
BAD_PAGE = "/__test__/inline-script/"


def report_only(settings, **reporting):
    """Enforce the strict policy; its report-only twin reports as ``reporting`` says."""
    policies = compat.csp_settings(
        conf.strict_policy(), report_only=conf.strict_policy(**reporting)
    )
    for name, value in policies.items():
        setattr(settings, name, value)


def wait_for_reports(page, seconds):
    deadline = time.monotonic() + seconds
    while not CspReport.objects.exists() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return list(CspReport.objects.order_by("pk"))


def assert_inline_script_report(report, live_server):
    assert report.effective_directive == "script-src-elem"
    assert report.disposition == CspReport.Disposition.REPORT
    assert report.blocked_uri == "inline"
    assert report.document_uri == live_server.url + BAD_PAGE
    assert report.status_code == 200
    assert "Chrome" in report.user_agent


def test_chromium_report_uri_reports_reach_the_collector(
    page, watch, live_server, transactional_db, settings
):
    report_only(settings, report_uri=COLLECTOR)

    page.goto(live_server.url + BAD_PAGE)
    [report] = wait_for_reports(page, 10)

    assert report.format == CspReport.Format.REPORT_URI
    assert_inline_script_report(report, live_server)
    # The enforced policy blocked the script; the report-only twin reported it.
    assert page.evaluate("document.body.dataset.inlineScriptRan") is None
    problems = watch.problems(page)
    assert any(p.startswith("violation: enforce script-src-elem") for p in problems), problems
    assert any(p.startswith("violation: report script-src-elem") for p in problems), problems


def test_in_development_over_http_reports_still_arrive_with_both_directives(
    page, watch, live_server, transactional_db, settings
):
    """Over HTTP Chromium ignores Reporting-Endpoints but prefers report-to: the
    middleware drops report-to in development, so report-uri carries the report."""
    settings.DEBUG = True
    report_only(settings, report_uri=COLLECTOR, report_to=conf.CSP_REPORT_GROUP)

    response = page.goto(live_server.url + BAD_PAGE)
    [report] = wait_for_reports(page, 10)

    assert "report-to" not in response.headers["content-security-policy-report-only"]
    assert report.format == CspReport.Format.REPORT_URI
    assert_inline_script_report(report, live_server)


def test_chromium_report_to_reports_are_normalised_by_the_collector(
    page, live_server, transactional_db, settings
):
    """report-to: Chromium files the report under the "csp" group; its body is stored.

    Chromium posts report-to batches only to HTTPS endpoints, and the live
    server speaks plain HTTP. So the test takes the report Chromium queued
    (through the DevTools protocol) and posts it to the collector in the
    Reporting API's envelope: the body keys are Chromium's own.
    """
    report_only(settings, report_to=conf.CSP_REPORT_GROUP)
    queued = []
    devtools = page.context.new_cdp_session(page)
    devtools.on("Network.reportingApiReportAdded", lambda event: queued.append(event["report"]))
    devtools.send("Network.enable")
    devtools.send("Network.enableReportingApi", {"enable": True})

    response = page.goto(live_server.url + BAD_PAGE)
    deadline = time.monotonic() + 10
    while not queued and time.monotonic() < deadline:
        page.wait_for_timeout(100)

    assert response.headers["reporting-endpoints"] == f'csp="{live_server.url}{COLLECTOR}"'
    [queued_report] = queued
    assert (queued_report["destination"], queued_report["type"]) == ("csp", "csp-violation")
    batch = [
        {
            "type": queued_report["type"],
            "age": 0,
            "url": queued_report["initiatorUrl"],
            "user_agent": page.evaluate("navigator.userAgent"),
            "body": queued_report["body"],
        }
    ]
    answer = page.request.post(
        live_server.url + COLLECTOR,
        data=json.dumps(batch),
        headers={"Content-Type": "application/reports+json"},
    )

    assert answer.status == 204
    [report] = CspReport.objects.all()
    assert report.format == CspReport.Format.REPORT_TO
    assert_inline_script_report(report, live_server)


def sign_in_as_staff(page, live_server):
    client = Client()
    client.force_login(get_user_model().objects.create_user("reader", is_staff=True))
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_reports_page_polls_a_new_report_in_without_reload(
    strict_page, live_server, transactional_db
):
    sign_in_as_staff(strict_page, live_server)
    strict_page.goto(live_server.url + "/csp/reports/")
    count = strict_page.locator(".report-count")
    expect(count).to_contain_text("0 reports stored")

    body = {
        "csp-report": {
            "document-uri": f"{live_server.url}/csp/?token=kept-out",
            "effective-directive": "img-src",
            "blocked-uri": "https://evil.example/",
        }
    }
    answer = strict_page.request.post(
        live_server.url + COLLECTOR,
        data=json.dumps(body),
        headers={"Content-Type": "application/csp-report"},
    )

    assert answer.status == 204
    # htmx asks again every 3 seconds and swaps the list in.
    expect(count).to_contain_text("1 report stored", timeout=8_000)
    row = strict_page.locator(".reports-table tbody tr").first
    expect(row).to_contain_text("evil.example")
    expect(row).to_contain_text(f"{live_server.url}/csp/")
    expect(row).not_to_contain_text("kept-out")


def test_anonymous_visitors_are_sent_to_sign_in_from_the_reports_page(
    strict_page, live_server, transactional_db
):
    CspReport.objects.create(
        format=CspReport.Format.REPORT_URI,
        effective_directive="img-src",
        document_uri=f"{live_server.url}/private/page/",
    )

    strict_page.goto(live_server.url + "/csp/reports/")

    expect(strict_page).to_have_url(re.compile(r"/sign-in/\?next=/csp/reports/$"))
    expect(strict_page.locator("body")).not_to_contain_text("/private/page/")
