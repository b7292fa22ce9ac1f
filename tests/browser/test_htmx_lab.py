"""htmx under a strict CSP, in Chromium: the lab's strict alternatives run clean,
and each broken variant does what ``htmx_lab.VARIANTS`` says it does.

The lab page states each variant's outcome, violations and console errors from
``VARIANTS``; these tests are the measurement behind those statements.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from django_six_demos.csp.htmx_lab import VARIANTS
from tests.browser.collector import REPORTS

LAB = reverse("django_six_demos_csp:htmx-lab")
HTMX_CONFIG_META = re.compile(r'<meta name="htmx-config"[^>]*>')


def variant_url(live_server, slug):
    return live_server.url + reverse("django_six_demos_csp:htmx-lab-variant", args=[slug])


def recorded(page, row):
    return page.locator(f'[data-lab-row="{row}"] [data-lab-value]')


def violations(problems, disposition):
    """The effective directives of the page's violation events, for one disposition."""
    prefix = f"violation: {disposition} "
    return [p.removeprefix(prefix).split()[0] for p in problems if p.startswith(prefix)]


def assert_measured(page, watch, slug):
    """Assert the page did exactly what VARIANTS[slug] states, on every channel."""
    variant = VARIANTS[slug]
    problems = watch.problems(page)
    expected = list(variant.violations)

    # The enforced policy, its report-only twin, and the twin's reports agree.
    assert violations(problems, "enforce") == expected, problems
    assert violations(problems, "report") == expected, problems
    reports = [r["csp-report"]["effective-directive"] for r in REPORTS if "csp-report" in r]
    assert reports == expected, problems
    # Every console error is an expected one, and every expected one appeared.
    errors = [e.removeprefix("[Report Only] ") for e in watch.console_errors]
    assert all(e.startswith(variant.console_errors) for e in errors), errors
    for start in variant.console_errors:
        assert any(e.startswith(start) for e in errors), (start, errors)
    assert watch.page_errors == []
    # The recorder on the page saw the same enforced violations.
    text = recorded(page, "violations").inner_text()
    assert text.count("enforced ") == len(expected), text
    for directive in expected:
        assert f"enforced {directive} (blocked inline)" in text, text


@pytest.fixture
def lab(strict_page, live_server):
    strict_page.goto(live_server.url + LAB)
    strict_page.wait_for_load_state("load")
    return strict_page


class TestLabPage:
    """The lab page runs clean under the strict policy (strict_page fails on any problem)."""

    def test_htmx_runs_with_the_strict_config(self, lab):
        config = lab.evaluate(
            "[htmx.config.allowEval, htmx.config.allowScriptTags,"
            " htmx.config.includeIndicatorStyles]"
        )
        assert config == [False, False, False]

    def test_static_listener_replaces_hx_on(self, lab):
        lab.get_by_role("button", name="Fetch a fragment").click()

        expect(lab.locator("#after-request-status")).to_have_text(
            re.compile(r"^htmx-lab\.js saw request 1 finish: 200 OK, swapped\.$")
        )
        expect(lab.locator("#after-request-target .lab-fragment")).to_have_count(1)

    def test_form_sends_on_enter_only(self, lab):
        field = lab.locator("#enter-form-q")
        field.press_sequentially("hello", delay=20)
        lab.wait_for_timeout(300)
        assert lab.locator("#enter-form-target").inner_text() == ""

        field.press("Enter")

        expect(lab.locator("#enter-form-target")).to_contain_text("You sent: hello")

    def test_listener_triggers_on_enter_only(self, lab):
        requests = []
        lab.on("request", lambda r: requests.append(r.url) if "/htmx/swap/" in r.url else None)
        field = lab.locator("#enter-key-q")
        field.press_sequentially("abc", delay=20)
        lab.wait_for_timeout(300)
        assert requests == []

        field.press("Enter")

        expect(lab.locator("#enter-key-target")).to_contain_text("You sent: abc")
        assert len(requests) == 1

    def test_indicator_fades_in_from_the_static_stylesheet(self, lab):
        indicator = lab.locator("#lab-indicator")
        expect(indicator).to_have_css("opacity", "0")

        lab.get_by_role("button", name=re.compile(r"^Fetch a slow fragment")).click()

        expect(indicator).to_have_css("opacity", "1")
        expect(lab.locator("#indicator-target .lab-fragment")).to_have_count(1)
        expect(indicator).to_have_css("opacity", "0")

    def test_htmx_load_listener_sets_up_swapped_content(self, lab):
        lab.get_by_role("button", name="Swap in a fragment").click()

        expect(lab.locator("#load-target [data-lab-init]")).to_have_text(
            "Initialised by htmx-lab.js on htmx:load."
        )

    def test_lists_every_variant_with_its_measured_outcome(self, lab):
        rows = lab.locator(".lab-measured tbody tr")
        expect(rows).to_have_count(len(VARIANTS))
        for variant in VARIANTS.values():
            row = lab.locator(f"#measured-{variant.slug}")
            assert variant.outcome in row.inner_text()


@pytest.fixture
def variant_page(page, watch, live_server):
    page.set_default_timeout(10_000)
    return page


def test_hx_on_swaps_but_its_handler_never_runs(variant_page, watch, live_server):
    page = variant_page
    page.goto(variant_url(live_server, "hx-on"))
    button = page.get_by_role("button", name="Fetch a fragment")

    button.click()
    expect(page.locator("#lab-target .lab-fragment")).to_have_count(1)
    button.click()
    expect(recorded(page, "swaps")).to_have_text("2")

    expect(recorded(page, "handler")).to_have_text("no")
    assert button.get_attribute("data-handler-ran") is None
    # Once per event: htmx refused to evaluate the handler each time.
    assert len(watch.console_errors) == 2, watch.console_errors
    expect(recorded(page, "htmx-errors")).to_have_text("htmx:evalDisallowedError ×2")
    assert_measured(page, watch, "hx-on")


def test_trigger_filter_is_dropped_so_every_key_sends(variant_page, watch, live_server):
    page = variant_page
    page.goto(variant_url(live_server, "trigger-filter"))
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/htmx/swap/" in r.url else None)
    # Logged once, as htmx processes the input.
    expect(recorded(page, "htmx-errors")).to_have_text("htmx:evalDisallowedError")

    # One key at a time: htmx queues keys released while a request is in flight.
    for count, key in enumerate(("a", "b", "Enter"), start=1):
        page.locator("#filter-q").press(key)
        expect(recorded(page, "swaps")).to_have_text(str(count))

    expect(recorded(page, "keys")).to_have_text("3 (1 of them Enter)")
    expect(recorded(page, "requests")).to_have_text("3")
    assert len(requests) == 3
    expect(page.locator("#lab-target")).to_contain_text("You sent: ab")
    assert len(watch.console_errors) == 1
    assert_measured(page, watch, "trigger-filter")


def test_default_indicator_styles_are_blocked_and_the_static_rules_work(
    variant_page, watch, live_server
):
    page = variant_page
    page.goto(variant_url(live_server, "indicator-styles"))
    page.wait_for_load_state("load")
    # htmx runs on its defaults on this page.
    config = page.evaluate("[htmx.config.includeIndicatorStyles, htmx.config.allowEval]")
    assert config == [True, True]
    # The <style> htmx added is in <head>, without a stylesheet.
    expect(recorded(page, "style")).to_have_text(
        "added, but blocked: the browser gave it no stylesheet"
    )
    indicator = page.locator("#lab-indicator")
    expect(indicator).to_have_css("opacity", "0")

    page.get_by_role("button", name=re.compile(r"^Fetch a slow fragment")).click()

    expect(indicator).to_have_css("opacity", "1")
    expect(page.locator("#lab-target .lab-fragment")).to_have_count(1)
    expect(recorded(page, "indicator")).to_have_text(
        "at rest: opacity 0; during the request: opacity 1"
    )
    assert_measured(page, watch, "indicator-styles")


def test_script_in_a_partial_is_stripped_under_the_strict_config(variant_page, watch, live_server):
    page = variant_page
    page.goto(variant_url(live_server, "script-in-partial"))

    page.get_by_role("button", name="Swap in a fragment with a script").click()

    expect(page.locator("#lab-target .lab-fragment")).to_have_count(1)
    expect(recorded(page, "scripts")).to_have_text("0")
    expect(recorded(page, "script-ran")).to_have_text("no")
    assert page.evaluate("document.body.dataset.partialScriptRan") is None
    assert_measured(page, watch, "script-in-partial")


def test_script_in_a_partial_runs_on_htmx_defaults(variant_page, watch, live_server):
    """The same page without its htmx-config meta: 'strict-dynamic' lets the script run."""
    page = variant_page
    url = variant_url(live_server, "script-in-partial")

    def without_htmx_config(route):
        response = route.fetch()
        route.fulfill(response=response, body=HTMX_CONFIG_META.sub("", response.text()))

    page.route(url, without_htmx_config)
    page.goto(url)
    page.wait_for_load_state("load")
    assert page.evaluate("htmx.config.allowScriptTags") is True

    page.get_by_role("button", name="Swap in a fragment with a script").click()

    expect(recorded(page, "script-ran")).to_have_text("yes")
    expect(recorded(page, "scripts")).to_have_text("1")
    assert page.evaluate("document.body.dataset.partialScriptRan") == "yes"
    # The only violation is htmx's indicator <style>, also on by default: the
    # script itself was allowed.
    problems = watch.problems(page)
    assert violations(problems, "enforce") == ["style-src-elem"], problems
