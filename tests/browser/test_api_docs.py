"""The Ninja flavour's Swagger UI in a real browser: it runs under the strict policy, and
"Try it out" sends a real GET to the talks list."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.audit import audit, horizontal_overflow

DOCS = "/api/ninja/docs"
TALKS = "/api/ninja/talks/"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}
# What axe-core still finds once "Try it out" has drawn its form and the response: Swagger
# UI's own markup, which no stylesheet can fix (the rest is fixed in our swagger.css).
SWAGGER_UI_RULES = {
    # Each enum parameter's <select> has no label (swagger-api/swagger-ui#6512, #8092).
    "select-name",
    # The copy-to-clipboard buttons are empty (#9584; named upstream in #10842, after the
    # Swagger UI that Django Ninja 1.7.1 ships).
    "button-name",
}


def test_swagger_ui_draws_the_four_operations(strict_page, live_server):
    response = strict_page.goto(live_server.url + DOCS)

    assert response.status == 200
    expect(strict_page.locator(".swagger-ui .info .title")).to_contain_text("Talks API")
    expect(strict_page.locator(".opblock")).to_have_count(4)
    expect(strict_page.get_by_role("link", name="Back to the API room")).to_have_attribute(
        "href", "/api/"
    )


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_docs_page_passes_the_audit(strict_page, live_server, size):
    strict_page.set_viewport_size(size)
    strict_page.goto(live_server.url + DOCS)
    expect(strict_page.locator(".opblock")).to_have_count(4)

    assert audit(strict_page) == []


def try_the_list(page, live_server):
    """Open the talks list's operation, press "Try it out" then "Execute"; return the GET."""
    page.goto(live_server.url + DOCS)
    listing = page.locator(".opblock-get").filter(has_text=TALKS).filter(has_not_text="{pk}")
    listing.get_by_role("button", name="List Talks").click()
    page.get_by_role("button", name="Try it out").click()
    with page.expect_response(lambda r: TALKS in r.url) as answered:
        page.get_by_role("button", name="Execute").click()
    expect(listing.locator(".live-responses-table .response .response-col_status")).to_have_text(
        "200"
    )
    return listing, answered.value


def test_try_it_out_gets_the_talks(page, watch, live_server, seeded):
    page.set_default_timeout(10_000)

    listing, response = try_the_list(page, live_server)

    assert response.request.method == "GET"
    assert response.status == 200
    assert response.url == live_server.url + TALKS + "?page=1&page_size=20"
    body = response.json()
    assert body["count"] > 0 and body["results"][0]["speaker"]["name"]
    # Swagger UI shows the talks it received.
    expect(listing.locator(".live-responses-table .highlight-code")).to_contain_text(
        json.dumps(body["results"][0]["title"], ensure_ascii=False)
    )
    # The enforced policy lets the docs page show Swagger UI's data: icons (the select
    # arrows, the copy buttons); the browser settings' report-only twin is the site's
    # policy, which compat.csp_extend() leaves alone: it reports them, and nothing else.
    assert set(watch.problems(page)) == {
        "violation: report img-src blocked data",
        f"report img-src on {live_server.url}{DOCS}",
    }


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_after_try_it_out_only_swagger_uis_own_markup_fails_the_audit(
    page, watch, live_server, seeded, size
):
    page.set_default_timeout(10_000)
    page.set_viewport_size(size)
    try_the_list(page, live_server)

    assert horizontal_overflow(page) == 0
    rules = {problem.split(": ")[1] for problem in audit(page)}
    assert rules == SWAGGER_UI_RULES
