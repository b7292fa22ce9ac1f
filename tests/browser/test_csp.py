"""The CSP lab in a real browser: the explorer, the twins, per-view policies,
the injection sandbox and the headers page.

Pages that must run clean use ``strict_page``. Pages that break the policy on
purpose use ``watch`` and assert exactly the violations they provoke: the
``securitypolicyviolation`` events (enforced policy and the browser settings'
report-only twin), the reports at the in-test collector, and nothing else.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.collector import REPORTS

ENFORCE = "Content-Security-Policy"
REPORT_ONLY = "Content-Security-Policy-Report-Only"


def provoked(watch, page):
    """Return the CSP events and reports the page provoked; fail on anything else.

    Chromium also logs each enforced refusal as a console error: those are
    expected here, any other console error or page error is not.
    """
    problems = watch.problems(page)
    csp_console = [
        p for p in problems if p.startswith("console error:") and "Content Security Policy" in p
    ]
    others = [
        p for p in problems if p not in csp_console and not p.startswith(("violation: ", "report "))
    ]
    assert others == [], "\n".join(others)
    return [p for p in problems if p not in csp_console]


def twin_header(page, mode, header):
    return page.locator(
        f'[data-csp-twin="{mode}"] [data-csp-twin-headers] [data-header="{header}"]'
    )


def test_the_explorer_runs_clean_and_fetches_each_twins_headers(strict_page, live_server):
    strict_page.goto(live_server.url + "/csp/")

    # Every directive in force is listed, none without its reason.
    rows = strict_page.locator("#mode-enforce + p + table tbody tr")
    assert rows.count() >= 10
    assert strict_page.locator(".policy-reason-missing").count() == 0
    expect(twin_header(strict_page, "enforce", ENFORCE)).to_have_attribute("data-sent", "yes")
    expect(twin_header(strict_page, "enforce", REPORT_ONLY)).to_have_attribute("data-sent", "no")
    expect(twin_header(strict_page, "report-only", ENFORCE)).to_have_attribute("data-sent", "no")
    expect(twin_header(strict_page, "report-only", REPORT_ONLY)).to_have_attribute(
        "data-sent", "yes"
    )
    expect(twin_header(strict_page, "enforce", ENFORCE)).to_contain_text("img-src 'self'")
    assert strict_page.locator("[data-csp-twin-image]").all_inner_texts() == [
        "Not opened yet in this tab.",
        "Not opened yet in this tab.",
    ]


def test_the_enforced_twin_blocks_the_data_image(page, watch, live_server):
    page.goto(live_server.url + "/csp/twins/enforced/")

    result = page.locator("[data-csp-probe-result]")
    expect(result).to_have_attribute("data-state", "blocked")
    assert page.locator("img[data-csp-probe]").evaluate("img => img.naturalWidth") == 0
    expect(page.locator("[data-csp-violations] li")).to_have_text(
        ["Blocked: img-src refused a data: URL"]
    )
    # Enforced only: no report-only twin on this page, so nothing to the collector.
    assert provoked(watch, page) == ["violation: enforce img-src blocked data"]


def test_the_report_only_twin_shows_the_data_image_and_only_reports_it(page, watch, live_server):
    page.goto(live_server.url + "/csp/twins/report-only/")

    expect(page.locator("[data-csp-probe-result]")).to_have_attribute("data-state", "loaded")
    assert page.locator("img[data-csp-probe]").evaluate("img => img.naturalWidth") > 0
    expect(page.locator("[data-csp-violations] li")).to_have_text(
        ["Reported, not blocked: img-src would refuse a data: URL"]
    )
    assert provoked(watch, page) == ["violation: report img-src blocked data"]


def test_the_explorer_columns_show_what_each_twin_did(page, watch, live_server):
    for twin, state in (("enforced", "blocked"), ("report-only", "loaded")):
        page.goto(f"{live_server.url}/csp/twins/{twin}/")
        expect(page.locator("[data-csp-probe-result]")).to_have_attribute("data-state", state)

    page.goto(live_server.url + "/csp/")

    expect(page.locator('[data-csp-twin="enforce"] [data-csp-twin-image]')).to_have_text(
        "Blocked when you opened it."
    )
    expect(page.locator('[data-csp-twin="report-only"] [data-csp-twin-image]')).to_have_text(
        "Loaded when you opened it."
    )
    # The explorer itself broke nothing.
    assert page.evaluate("window.__cspViolations") == []


def test_the_extended_view_shows_the_data_image(page, watch, live_server):
    page.goto(live_server.url + "/csp/per-view/extended/")

    expect(page.locator("[data-csp-probe-result]")).to_have_attribute("data-state", "loaded")
    # The enforced policy allows it. The browser settings' report-only twin is
    # the site's policy, which compat.csp_extend() leaves alone: it reports.
    assert provoked(watch, page) == [
        "violation: report img-src blocked data",
        f"report img-src on {live_server.url}/csp/per-view/extended/",
    ]


def test_the_disabled_view_applies_no_policy(strict_page, live_server):
    strict_page.goto(live_server.url + "/csp/per-view/disabled/")

    expect(strict_page.locator("[data-csp-probe-result]")).to_have_attribute("data-state", "loaded")
    assert strict_page.locator("#demo-inspector .nonce-verdict").inner_text() == (
        "No CSP header on this response."
    )


def test_the_headers_page_runs_clean_and_its_response_carries_them(strict_page, live_server):
    strict_page.goto(live_server.url + "/csp/headers/")

    names = strict_page.locator("#demo-inspector .all-headers th code").all_text_contents()
    for header in (
        "Permissions-Policy",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        ENFORCE,
    ):
        assert header in names, header
    for header in ("Permissions-Policy", "Referrer-Policy", "Cross-Origin-Opener-Policy"):
        asked = strict_page.locator(f'[id="header-{header.lower()}"] dd code').first
        assert asked.inner_text() != "", header


@pytest.fixture
def sandbox(page, watch, live_server, transactional_db):
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/csp/sandbox/")
    return page


def test_the_sandbox_payloads_never_run_and_are_reported(sandbox, watch, live_server):
    page = sandbox
    url = f"{live_server.url}/csp/sandbox/"

    expect(page.locator("[data-csp-marker]")).to_have_attribute("data-state", "inert")
    assert page.evaluate("window.__sandboxRan") is None
    assert sorted(provoked(watch, page)) == sorted(
        [
            "violation: enforce script-src-elem blocked inline",
            "violation: report script-src-elem blocked inline",
            "violation: enforce script-src-attr blocked inline",
            "violation: report script-src-attr blocked inline",
            f"report script-src-elem on {url}",
            f"report script-src-attr on {url}",
        ]
    )
    # The page says so, in the sandbox block's list.
    expect(page.locator("[data-csp-violations] li")).to_have_count(4)
    assert "Blocked: script-src-elem refused inline code" in (
        page.locator("[data-csp-violations]").inner_text()
    )
    reports = [report["csp-report"] for report in REPORTS]
    assert {(r["document-uri"], r["disposition"]) for r in reports} == {(url, "report")}


def test_the_sandbox_payloads_never_run_after_the_htmx_swap(sandbox, watch, live_server):
    page = sandbox
    expect(page.locator("[data-csp-violations] li")).to_have_count(4)

    page.get_by_role("button", name="Load the abstract with htmx").click()

    swapped = page.locator("#sandbox-swap [data-csp-sandbox]")
    expect(swapped).to_contain_text("Deliberately unsafe demo block")
    # allowScriptTags is off: htmx dropped the <script>; the <img onerror> arrived.
    assert page.locator("#sandbox-swap script").count() == 0
    assert page.locator("#sandbox-swap img[onerror]").count() == 1
    # Only the handler was refused this time, enforced and by the report-only twin.
    expect(page.locator("[data-csp-violations] li")).to_have_count(6)
    assert page.locator("[data-csp-violations] li").all_inner_texts()[4:] == [
        "Blocked: script-src-attr refused inline code",
        "Reported, not blocked: script-src-attr would refuse inline code",
    ]
    assert page.evaluate("window.__sandboxRan") is None
    expect(page.locator("[data-csp-marker]")).to_have_attribute("data-state", "inert")
    # One report from the full page, one from the swap.
    assert (
        provoked(watch, page).count(f"report script-src-attr on {live_server.url}/csp/sandbox/")
        == 2
    )


LESSON = "/csp/injected-attributes/"


def test_the_lesson_runs_clean_and_its_planted_request_is_never_sent(strict_page, live_server):
    """No CSP violation either: the payload needs no script, which is the lesson."""
    planted = []
    strict_page.on("request", lambda r: planted.append(r.method) if "/planted/" in r.url else None)
    strict_page.goto(live_server.url + LESSON)

    status = strict_page.locator("[data-planted-status]")
    expect(status).to_have_attribute("data-state", "inert")
    expect(strict_page.locator('[data-htmx-config="selfRequestsOnly"]')).to_have_text("true")
    # Live attributes in the page, held by hx-disable.
    region = strict_page.locator("[data-planted-region]")
    expect(region.locator("[hx-post][hx-trigger=load]")).to_have_count(1)

    strict_page.get_by_role("button", name="Load the payload with htmx").click()

    expect(strict_page.locator("#planted-swap [data-planted-region] [hx-post]")).to_have_count(1)
    strict_page.wait_for_timeout(500)
    expect(status).to_have_attribute("data-state", "inert")
    assert planted == []


def test_the_lesson_status_would_show_a_request_to_the_planted_url(strict_page, live_server):
    """The page's own watch can fail: a request to the URL from anywhere shows."""
    strict_page.goto(live_server.url + LESSON)
    status = strict_page.locator("[data-planted-status]")
    expect(status).to_have_attribute("data-state", "inert")

    # What the planted attribute would do, done by hand: an htmx POST to the URL.
    strict_page.locator("[data-planted-url]").evaluate(
        "output => htmx.ajax('POST', output.dataset.plantedUrl, {source: document.body, swap: 'none'})"
    )

    expect(status).to_have_attribute("data-state", "sent")
    expect(status).to_contain_text("1 SENT (xmlhttprequest")
