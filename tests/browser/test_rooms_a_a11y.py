"""The partials and CRUD rooms pass the site's browser checks where the crawl does not look.

The crawl (test_site.py) audits every page an anonymous visitor reaches from home. Here:
what staff see (edit and delete actions, the forms), filtered and empty results, and the
states htmx makes in place (a title editor, a delete confirmation in a row), at a phone's
width and a desktop's, light and dark: tests/browser/audit.py.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from django_six_demos.conference.models import Speaker, Talk
from tests.browser.audit import audit

SCREENS = [(width, scheme) for width in (390, 1400) for scheme in ("light", "dark")]


@pytest.fixture
def staff_page(strict_page, live_server, seeded):
    client = Client()
    client.force_login(get_user_model().objects.get(username="staff"))
    strict_page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return strict_page


def check(page, screen, what):
    """Audit the page as it stands on one screen; return its problems, labelled."""
    width, scheme = screen
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    return [f"{what} at {width} px, {scheme}: {problem}" for problem in audit(page)]


@pytest.mark.slow
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}px-{s[1]}")
def test_staff_pages_of_both_rooms_pass_the_audit(staff_page, live_server, screen):
    talk = Talk.objects.filter(status=Talk.Status.ACCEPTED).order_by("pk").first()
    assert talk is not None
    speaker = Speaker.objects.get(talks=talk)
    addresses = [
        "/partials/?q=django&track=security&sort=-duration",
        "/partials/?q=nothing+matches+this",
        "/crud/demos-talk/?status=submitted&page=2",
        "/crud/demos-talk/new/",
        f"/crud/demos-talk/{talk.pk}/",
        f"/crud/demos-talk/{talk.pk}/edit/",
        f"/crud/demos-talk/{talk.pk}/delete/",
        f"/crud/demos-speaker/{speaker.pk}/edit/",
    ]
    problems = []
    for address in addresses:
        staff_page.goto(live_server.url + address)
        problems += check(staff_page, screen, address)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.slow
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}px-{s[1]}")
def test_what_htmx_puts_in_place_passes_the_audit(staff_page, live_server, screen):
    staff_page.goto(live_server.url + "/partials/?q=django")
    staff_page.get_by_role("button", name="Edit title").first.click()
    expect(staff_page.locator(".title-form")).to_have_count(1)
    problems = check(staff_page, screen, "the explorer's title editor")

    staff_page.goto(live_server.url + "/crud/demos-talk/")
    staff_page.locator(".row-actions").first.get_by_role("link", name="Delete").click()
    expect(staff_page.locator(".row-actions .confirm-delete")).to_have_count(1)
    problems += check(staff_page, screen, "a delete confirmation in the talk list")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
