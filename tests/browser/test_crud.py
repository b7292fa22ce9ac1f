"""The CRUD demo in a real browser: filter, page, create, edit and delete with htmx."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from django_six_demos import compat
from django_six_demos.conference.models import Talk
from tests.browser.session import sign_in


def test_filters_and_paging_swap_only_the_rows(strict_page, live_server, seeded):
    sign_in(strict_page, live_server, "staff")
    strict_page.goto(live_server.url + "/crud/demos-talk/")
    count = strict_page.locator(".results-count")
    assert count.inner_text().startswith("120 talks")

    strict_page.locator("#id_track").select_option("security")

    expect(strict_page).to_have_url(re.compile(r"track=security"))
    expect(count).to_contain_text("page 1 of")
    assert strict_page.locator("#demo-inspector .rendered-template").inner_text() == (
        "django_six_demos/crud/object_list.html#rows"
    )
    first_page = strict_page.locator(".talk-title").all_inner_texts()

    strict_page.get_by_role("link", name="Next").click()

    expect(strict_page).to_have_url(re.compile(r"page=2"))
    expect(count).to_contain_text("page 2 of")
    assert "track=security" in strict_page.url
    assert strict_page.locator(".talk-title").all_inner_texts() != first_page
    # outerHTML swaps: one #rows, never one nested in another; the form kept its value.
    expect(strict_page.locator("#rows")).to_have_count(1)
    assert strict_page.locator("#id_track").input_value() == "security"
    used = 3 if compat.HAS_FETCH_MODES else 2
    expect(strict_page.locator(".queries-used")).to_have_text(str(used))
    expect(strict_page.locator(".queries-naive")).to_have_text("12")


def test_search_as_you_type_updates_the_address(strict_page, live_server, seeded):
    strict_page.goto(live_server.url + "/crud/demos-talk/")

    strict_page.locator("#id_q").press_sequentially("Lovelace", delay=20)

    expect(strict_page).to_have_url(re.compile(r"q=Lovelace"))
    # Anonymous visitors see only accepted talks: Ada has two.
    expect(strict_page.locator(".results-count")).to_have_text("2 talks")


def test_create_shows_errors_in_place_then_saves(strict_page, watch, live_server, seeded):
    watch.expect_status(422)  # the form with errors, on purpose
    sign_in(strict_page, live_server, "ada")
    strict_page.goto(live_server.url + "/crud/demos-talk/")
    strict_page.get_by_role("link", name="Propose a talk").click()

    # Spaces pass the browser's checks; the server strips them and finds nothing.
    strict_page.locator("#id_title").fill("   ")
    strict_page.locator("#id_abstract").fill(
        "Twenty characters at the very least, as the form asks."
    )
    strict_page.locator("#id_track").select_option("data")
    strict_page.locator("#id_level").select_option("advanced")
    strict_page.locator("#id_duration").fill("45")
    strict_page.get_by_role("button", name="Save").click()

    expect(strict_page.locator("#crud-form .errorlist")).to_have_text("This field is required.")
    # Swapped in place: the other fields kept what was typed.
    assert strict_page.locator("#id_duration").input_value() == "45"
    assert strict_page.url.endswith("/crud/demos-talk/new/")

    strict_page.locator("#id_title").fill("Fetch modes, live")
    strict_page.get_by_role("button", name="Save").click()

    expect(strict_page.locator("h1")).to_have_text("Fetch modes, live")
    talk = Talk.objects.get(title="Fetch modes, live")
    assert strict_page.url.endswith(f"/crud/demos-talk/{talk.pk}/")
    assert talk.speaker.user is not None
    assert talk.speaker.user.username == "ada"
    assert talk.status == Talk.Status.SUBMITTED


def test_edit_a_talk(strict_page, live_server, seeded):
    sign_in(strict_page, live_server, "grace")
    talk = Talk.objects.filter(speaker__user__username="grace").order_by("pk").first()
    assert talk is not None
    strict_page.goto(f"{live_server.url}/crud/demos-talk/{talk.pk}/")

    strict_page.get_by_role("link", name="Edit").click()
    strict_page.locator("#id_title").fill("Finding the moth, again")
    strict_page.get_by_role("button", name="Save").click()

    expect(strict_page.locator("h1")).to_have_text("Finding the moth, again")
    assert strict_page.url.endswith(f"/crud/demos-talk/{talk.pk}/")


def test_delete_asks_in_place_then_returns_to_the_same_list(strict_page, live_server, seeded):
    sign_in(strict_page, live_server, "ada")
    strict_page.goto(live_server.url + "/crud/demos-talk/?q=Lovelace")
    count = strict_page.locator(".results-count")
    before = int(count.inner_text().split()[0])
    row = strict_page.locator("tbody tr", has=strict_page.get_by_role("link", name="Delete")).first
    row_id = row.get_attribute("id")
    title = row.locator(".talk-title").inner_text()

    row.get_by_role("link", name="Delete").click()

    confirm = strict_page.locator(f"#{row_id} .confirm-delete")
    expect(confirm).to_contain_text(f"Delete “{title}”?")
    confirm.get_by_role("button", name="Delete").click()

    expect(count).to_have_text(f"{before - 1} talks")
    assert strict_page.url.endswith("/crud/demos-talk/?q=Lovelace")
    assert not Talk.objects.filter(title=title).exists()


def test_delete_from_the_talks_page(strict_page, live_server, seeded):
    sign_in(strict_page, live_server, "staff")
    talk = Talk.objects.order_by("pk").first()
    assert talk is not None
    strict_page.goto(f"{live_server.url}/crud/demos-talk/{talk.pk}/")

    strict_page.get_by_role("link", name="Delete").click()
    strict_page.locator("#confirm-slot").get_by_role("button", name="Delete").click()

    expect(strict_page).to_have_url(re.compile(r"/crud/demos-talk/$"))
    assert not Talk.objects.filter(pk=talk.pk).exists()


def test_anonymous_visitors_are_sent_to_sign_in(strict_page, live_server, seeded):
    strict_page.goto(live_server.url + "/crud/demos-talk/")

    strict_page.get_by_role("link", name="Sign in to propose a talk").click()

    expect(strict_page).to_have_url(re.compile(r"/sign-in/\?next=/crud/demos-talk/new/$"))
    expect(strict_page.locator("h1")).to_have_text("Sign in")


def test_back_restores_the_filters_that_match_the_rows(strict_page, live_server, seeded):
    sign_in(strict_page, live_server, "staff")
    strict_page.goto(live_server.url + "/crud/demos-talk/")
    count = strict_page.locator("#results-count")
    everything = count.inner_text()

    strict_page.locator("#id_track").select_option("security")
    expect(strict_page).to_have_url(re.compile(r"track=security"))
    expect(count).not_to_have_text(everything)
    security = count.inner_text()

    strict_page.go_back()
    expect(count).to_have_text(everything)
    assert strict_page.locator("#id_track").input_value() == ""

    strict_page.go_forward()
    expect(count).to_have_text(security)
    # The select says what the rows are, as the address does.
    assert strict_page.locator("#id_track").input_value() == "security"
    expect(strict_page.locator("#rows")).to_have_count(1)
