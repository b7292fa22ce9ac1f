"""The template partials demo in a real browser: search, paging, inline edit."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from unittest import mock

from playwright.sync_api import expect

from django_six_demos import limits
from django_six_demos.conference.models import Talk
from django_six_demos.partials import views
from tests.browser.session import sign_in


def test_typing_in_search_updates_the_results(strict_page, live_server, seeded):
    strict_page.goto(live_server.url + "/partials/")
    count = strict_page.locator(".results-count")
    # Anonymous visitors see the accepted talks only, as in the CRUD room.
    accepted = Talk.objects.filter(status=Talk.Status.ACCEPTED).count()
    assert accepted < Talk.objects.count()
    assert count.inner_text().startswith(f"{accepted} talks")

    strict_page.locator("#id_q").press_sequentially("partials", delay=20)

    # expect() polls from outside the page; wait_for_function would eval in it,
    # which the strict policy refuses. The address bar follows (hx-push-url),
    # so the filtered view can be shared.
    expect(strict_page).to_have_url(re.compile(r"q=partials"))
    expect(count).not_to_have_text(re.compile(rf"^{accepted} talks"))
    assert re.match(r"\d+ talks?", count.inner_text())
    titles = strict_page.locator(".talk-title").all_inner_texts()
    assert titles
    assert strict_page.locator("#demo-inspector .rendered-template").inner_text() == (
        "django_six_demos/partials/explorer.html#results"
    )


def test_filters_and_paging_swap_only_the_results(strict_page, live_server, seeded):
    # Staff read every talk: enough for several pages of one track.
    sign_in(strict_page, live_server, "staff")
    strict_page.goto(live_server.url + "/partials/")
    strict_page.locator("#id_track").select_option("security")
    expect(strict_page).to_have_url(re.compile(r"track=security"))
    expect(strict_page.locator(".results-count")).to_contain_text("page 1 of")
    first_page = strict_page.locator(".talk-title").all_inner_texts()

    strict_page.get_by_role("link", name="Next").click()

    expect(strict_page).to_have_url(re.compile(r"page=2"))
    expect(strict_page.locator(".results-count")).to_contain_text("page 2 of")
    assert "track=security" in strict_page.url
    assert strict_page.locator(".talk-title").all_inner_texts() != first_page
    # outerHTML swaps: one results element, never one nested in another.
    expect(strict_page.locator("#results")).to_have_count(1)
    # The form was not re-rendered: the select keeps its value.
    assert strict_page.locator("#id_track").input_value() == "security"


def test_inline_edit_with_errors_then_success_updates_the_counter(
    strict_page, watch, live_server, seeded
):
    watch.expect_status(422)  # the form with errors, on purpose
    sign_in(strict_page, live_server, "ada")
    strict_page.goto(live_server.url + "/partials/?q=Ada+Lovelace")
    counter = strict_page.locator("#edit-counter")
    assert counter.inner_text() == "Titles edited this session: 0"
    row = strict_page.locator("tr", has=strict_page.get_by_role("button", name="Edit title")).first
    row_id = row.get_attribute("id")

    row.get_by_role("button", name="Edit title").click()
    editor = strict_page.locator(f"#{row_id} input[name=title]")
    editor.fill("")
    # An empty title would be refused by the browser (required); remove that to reach the server.
    editor.evaluate("input => input.removeAttribute('required')")
    strict_page.locator(f"#{row_id}").get_by_role("button", name="Save").click()

    expect(strict_page.locator(f"#{row_id} .errorlist")).to_have_text("This field is required.")
    assert counter.inner_text() == "Titles edited this session: 0"

    strict_page.locator(f"#{row_id} input[name=title]").fill("Partials in the browser")
    strict_page.locator(f"#{row_id}").get_by_role("button", name="Save").click()

    expect(strict_page.locator(f"#{row_id} .talk-title")).to_have_text("Partials in the browser")
    expect(counter).to_have_text("Titles edited this session: 1")


def test_a_save_past_the_rate_limit_shows_a_notice_and_keeps_the_editor(
    strict_page, watch, live_server, seeded
):
    watch.expect_status(429)  # the second save, on purpose
    sign_in(strict_page, live_server, "ada")
    strict_page.goto(live_server.url + "/partials/?q=Ada+Lovelace")
    row = strict_page.locator("tr", has=strict_page.get_by_role("button", name="Edit title")).first
    row_id = row.get_attribute("id")
    counter = strict_page.locator("#edit-counter")
    notice = strict_page.locator("#demo-notice")
    # One save a minute, so that the second is refused; django-ratelimit's
    # clock stands still, so no minute ends between the two.
    now = time.time()
    with (
        mock.patch.object(views, "TITLE_EDIT_RATE", limits.Rate("1/m", "100/h")),
        mock.patch("django_ratelimit.core.time", SimpleNamespace(time=lambda: now)),
    ):
        row.get_by_role("button", name="Edit title").click()
        strict_page.locator(f"#{row_id} input[name=title]").fill("Saved once")
        strict_page.locator(f"#{row_id}").get_by_role("button", name="Save").click()
        expect(counter).to_have_text("Titles edited this session: 1")

        strict_page.locator(f"#{row_id}").get_by_role("button", name="Edit title").click()
        strict_page.locator(f"#{row_id} input[name=title]").fill("Saved twice")
        strict_page.locator(f"#{row_id}").get_by_role("button", name="Save").click()

        expect(notice).to_contain_text("Too many title edits: try again in")
    # The row was not replaced by the refusal: the editor keeps what was typed.
    assert strict_page.locator(f"#{row_id} input[name=title]").input_value() == "Saved twice"
    assert counter.inner_text() == "Titles edited this session: 1"
    assert Talk.objects.filter(title="Saved once").exists()
    assert not Talk.objects.filter(title="Saved twice").exists()


def test_gotchas_nested_partials_swap_by_target(strict_page, live_server):
    strict_page.goto(live_server.url + "/partials/gotchas/")
    inner = strict_page.locator("#inner > li")
    outer_line = strict_page.locator("#outer > li").first
    before_outer = outer_line.inner_text().split("\n")[0]
    before_inner = inner.inner_text()

    strict_page.get_by_role("button", name="Swap #inner").click()

    expect(strict_page.locator("#demo-inspector .rendered-template")).to_have_text(
        "django_six_demos/partials/gotchas/nested.html#inner"
    )
    expect(inner).not_to_have_text(before_inner)
    # Only the targeted level was rendered again.
    assert outer_line.inner_text().split("\n")[0] == before_outer


def explorer_state(page):
    """What the explorer shows: its controls' values and the results they should match."""
    return {
        "q": page.locator("#id_q").input_value(),
        "track": page.locator("#id_track").input_value(),
        "level": page.locator("#id_level").input_value(),
        "count": page.locator("#results-count").inner_text(),
        "titles": page.locator("#results .talk-title").all_inner_texts(),
    }


def test_back_and_forward_restore_the_controls_that_match_the_results(
    strict_page, live_server, seeded
):
    sign_in(strict_page, live_server, "staff")  # every talk: each step changes the count
    strict_page.goto(live_server.url + "/partials/")
    count = strict_page.locator("#results-count")
    states = [(strict_page.url, explorer_state(strict_page))]

    strict_page.locator("#id_q").press_sequentially("django", delay=20)
    expect(strict_page).to_have_url(re.compile(r"q=django"))
    expect(count).not_to_have_text(states[0][1]["count"])
    states.append((strict_page.url, explorer_state(strict_page)))

    strict_page.locator("#id_track").select_option("security")
    expect(strict_page).to_have_url(re.compile(r"q=django&track=security"))
    expect(count).not_to_have_text(states[1][1]["count"])
    states.append((strict_page.url, explorer_state(strict_page)))

    # Three different result sets, each shown beside the controls that asked for it.
    assert len({state["count"] for _, state in states}) == 3
    assert [(s["q"], s["track"]) for _, s in states] == [
        ("", ""),
        ("django", ""),
        ("django", "security"),
    ]

    for step, expected in (
        (strict_page.go_back, 1),
        (strict_page.go_back, 0),
        (strict_page.go_forward, 1),
        (strict_page.go_forward, 2),
    ):
        step()
        url, state = states[expected]
        expect(strict_page).to_have_url(url)
        expect(count).to_have_text(state["count"])
        # The controls say what the results are: neither empty beside filtered
        # results, nor filtered beside all of them.
        assert explorer_state(strict_page) == state, (url, expected)
        expect(strict_page.locator("#results")).to_have_count(1)
