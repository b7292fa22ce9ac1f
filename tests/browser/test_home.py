from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from django_six_demos.demo import installed_demos
from tests.browser.collector import REPORTS


def test_home_page_loads_with_htmx_and_no_violations(strict_page, live_server):
    response = strict_page.goto(live_server.url + "/")

    assert response.status == 200
    assert strict_page.locator("h1").inner_text() == "Django 6, demonstrated"
    # Playwright's expect() polls from outside the page: wait_for_function would
    # evaluate strings in the page, which the strict policy (rightly) refuses.
    expect(strict_page.locator("script[src*='htmx-2']")).to_have_count(1)
    strict_page.wait_for_load_state("load")
    assert strict_page.evaluate("typeof window.htmx") == "object"
    config = strict_page.evaluate(
        "[htmx.config.allowEval, htmx.config.allowScriptTags, htmx.config.includeIndicatorStyles]"
    )
    assert config == [False, False, False]


def test_inspector_shows_the_csp_headers_and_a_matching_nonce(strict_page, live_server):
    strict_page.goto(live_server.url + "/")

    inspector = strict_page.locator("#demo-inspector")
    captions = inspector.locator("caption").all_inner_texts()
    assert captions == ["Content-Security-Policy", "Content-Security-Policy-Report-Only"]
    assert re.match(
        r"Matches: \d+ elements? carr", inspector.locator(".nonce-verdict").inner_text()
    )
    assert inspector.locator(".status").inner_text() == "200 OK"


def test_every_room_page_runs_clean(strict_page, live_server):
    strict_page.goto(live_server.url + "/")
    links = strict_page.locator(".rooms h3 a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) == len(installed_demos())

    for href in hrefs:
        response = strict_page.goto(live_server.url + href)
        assert response.status == 200, href
        assert "Content-Security-Policy" in strict_page.locator("#demo-inspector").inner_text()
        # The base design, then the room's own stylesheet, both loaded.
        slug = href.strip("/").split("/")[-1]
        assert stylesheets(strict_page)[:2] == [
            ("/static/django_six_demos/demos.css", True),
            (f"/static/django_six_demos/{slug}/{slug}.css", True),
        ], href


def stylesheets(page):
    """(path, has rules) of each stylesheet the page loaded, in order."""
    sheets = page.evaluate(
        "[...document.styleSheets].map(sheet => [sheet.href, sheet.cssRules.length > 0])"
    )
    return [(urlsplit(href).path, loaded) for href, loaded in sheets if href]


def test_the_fixture_fails_on_an_inline_script_without_nonce(page, watch, live_server):
    """The watch behind strict_page can fail: a nonce-less inline script is caught."""
    page.goto(live_server.url + "/__test__/inline-script/")

    problems = watch.problems(page)

    # The enforced policy blocked it...
    assert page.evaluate("document.body.dataset.inlineScriptRan") is None
    # ...and every channel noticed: the DOM event, the report-only twin's report, the console.
    assert any(p.startswith("violation: enforce script-src-elem") for p in problems), problems
    assert any(p.startswith("violation: report script-src-elem") for p in problems), problems
    assert any(p.startswith("report script-src-elem") for p in problems), problems
    assert any(p.startswith("console error:") for p in problems), problems
    assert REPORTS


def test_inspector_follows_an_htmx_swap(strict_page, live_server):
    strict_page.goto(live_server.url + "/__test__/htmx-swap/")
    inspector = strict_page.locator("#demo-inspector")
    assert inspector.locator(".badge").inner_text() == "full page"

    strict_page.get_by_role("button", name="Fetch the home page's heading").click()

    assert strict_page.locator("#swapped h1").inner_text() == "Django 6, demonstrated"
    strict_page.wait_for_selector("#demo-inspector .badge-htmx")
    assert inspector.locator(".inspector-request code").inner_text() == "GET /"
    assert inspector.locator(".rendered-template").inner_text() == "django_six_demos/index.html"
    assert "django_six_demos.views.index" in inspector.inner_text()
    assert inspector.locator(".status").inner_text() == "200 OK"
    assert inspector.locator("caption").all_inner_texts() == [
        "Content-Security-Policy",
        "Content-Security-Policy-Report-Only",
    ]
    request_rows = inspector.locator(".headers-table").first.inner_text()
    assert "HX-Request" in request_rows or "Hx-Request" in request_rows
