"""The Ninja flavour's Swagger UI in a real browser: it runs under the strict policy (and
its report-only twin) without a violation, "Try it out" sends a real GET to the talks list,
and with every operation open and tried the page is axe-clean at a phone's and a desktop's width."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.audit import audit

DOCS = "/api/ninja/docs"
TALKS = "/api/ninja/talks/"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}


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


def list_operation(page):
    return page.locator(".opblock-get").filter(has_text=TALKS).filter(has_not_text="{pk}")


def execute_the_list(page, listing):
    """Press the talks list's "Execute"; return the GET once Swagger UI shows its answer."""
    with page.expect_response(lambda r: TALKS in r.url) as answered:
        listing.get_by_role("button", name="Execute").click()
    expect(listing.locator(".live-responses-table .response .response-col_status")).to_have_text(
        "200"
    )
    return answered.value


def test_try_it_out_gets_the_talks(strict_page, watch, live_server, seeded):
    strict_page.goto(live_server.url + DOCS)
    listing = list_operation(strict_page)
    listing.get_by_role("button", name="List Talks").click()
    listing.get_by_role("button", name="Try it out").click()

    response = execute_the_list(strict_page, listing)

    assert response.request.method == "GET"
    assert response.status == 200
    assert response.url == live_server.url + TALKS + "?page=1&page_size=20"
    body = response.json()
    assert body["count"] > 0 and body["results"][0]["speaker"]["name"]
    # Swagger UI shows the talks it received.
    expect(listing.locator(".live-responses-table .highlight-code")).to_contain_text(
        json.dumps(body["results"][0]["title"], ensure_ascii=False)
    )
    # Swagger UI's data: icons (the select arrows, the copy buttons) are allowed by both
    # policies, the enforced one and the browser settings' report-only twin: no violation
    # event, no report, no console error.
    assert watch.problems(strict_page) == []


def open_and_try_everything(page, live_server):
    """Open every operation, press every "Try it out", execute the talks list."""
    page.goto(live_server.url + DOCS)
    operations = page.locator(".opblock-summary-control")
    expect(operations).to_have_count(4)
    for operation in operations.all():
        operation.click()
    try_it_out = page.get_by_role("button", name="Try it out", exact=True)
    expect(try_it_out).to_have_count(4)
    while try_it_out.count():  # Each becomes "Cancel" once pressed.
        try_it_out.first.click()
    execute_the_list(page, list_operation(page))


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_with_every_operation_tried_the_docs_page_passes_the_audit(
    strict_page, watch, live_server, seeded, size
):
    strict_page.set_viewport_size(size)

    open_and_try_everything(strict_page, live_server)

    assert audit(strict_page) == []
    assert watch.problems(strict_page) == []


def test_swagger_uis_nameless_controls_get_a_name(strict_page, live_server, seeded):
    # Named by our swagger-a11y.js, as a screen reader reads them.
    open_and_try_everything(strict_page, live_server)

    page = strict_page
    for parameter in ("track", "level"):
        expect(page.get_by_role("combobox", name=parameter, exact=True)).to_be_enabled()
    for operation in ("POST /api/ninja/talks/", "PATCH /api/ninja/talks/{pk}/"):
        body = page.get_by_role("textbox", name=f"Request body of {operation}", exact=True)
        expect(body).to_be_editable()
    for operation in (
        "GET /api/ninja/talks/",
        "POST /api/ninja/talks/",
        "GET /api/ninja/talks/{pk}/",
        "PATCH /api/ninja/talks/{pk}/",
    ):
        responses = page.get_by_role("region", name=f"Responses of {operation}", exact=True)
        expect(responses).to_be_visible()
    for copied in ("the curl command", "the response body"):
        name = f"Copy {copied} of GET /api/ninja/talks/"
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
