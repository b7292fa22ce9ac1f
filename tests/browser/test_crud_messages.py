"""A speaker's visit in a real browser: sign in, propose a talk, read the confirmation, sign out."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import expect

from django_six_demos.conference.models import Talk


@pytest.fixture
def seeded(transactional_db):
    # demos_seed gives the demo users their public passwords only under DEBUG.
    with override_settings(DEBUG=True):
        call_command("demos_seed", verbosity=0)


def test_a_speaker_signs_in_proposes_a_talk_and_signs_out(strict_page, live_server, seeded):
    page = strict_page
    header = page.locator("header.site-header")
    status = header.get_by_role("status")
    page.goto(live_server.url + "/crud/demos-talk/")

    header.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("ada-demo")
    page.get_by_role("button", name="Sign in").click()

    # Back where the visit started, signed in.
    expect(page).to_have_url(live_server.url + "/crud/demos-talk/")
    expect(header).to_contain_text("Signed in as ada")

    page.get_by_role("link", name="Propose a talk").click()
    page.locator("#id_title").fill("Messages after a redirect")
    page.locator("#id_abstract").fill("How a note survives the redirect that follows a save.")
    page.locator("#id_track").select_option("web")
    page.locator("#id_level").select_option("beginner")
    page.locator("#id_duration").fill("25")
    page.get_by_role("button", name="Save").click()

    # htmx saved, then HX-Redirect loaded the talk's page; its header carries the message.
    expect(page.locator("h1")).to_have_text("Messages after a redirect")
    expect(status).to_have_text("Talk “Messages after a redirect” created.")
    talk = Talk.objects.get(title="Messages after a redirect")
    assert page.url == f"{live_server.url}/crud/demos-talk/{talk.pk}/"

    # Shown once: the next page has nothing to say.
    page.get_by_role("link", name="All talks").click()
    expect(page.locator("h1")).to_have_text("Talks")
    # (An empty status region is hidden, so it leaves the accessibility tree.)
    expect(header.locator(".site-messages .message")).to_have_count(0)

    header.get_by_role("button", name="Sign out").click()

    expect(header.get_by_role("link", name="Sign in")).to_be_visible()
    expect(header).not_to_contain_text("Signed in as")
    # Signed out for real: proposing a talk now asks to sign in.
    page.goto(live_server.url + "/crud/demos-talk/new/")
    expect(page.locator("h1")).to_have_text("Sign in")
