"""The escalation of issue 13, replayed: a speaker plants htmx attributes in every
field they can write, staff opens every page that could show them, and no request
is sent and no user is created.

The payloads need no script: ``hx-post`` plus ``hx-trigger="load"`` make htmx post
as the page loads, with the CSRF token that ``<body hx-headers=…>`` carries, so
the strict policy cannot stop them; escaping and ``hx-disable`` do. The control
renders the same rows through a test-only template with ``|safe``
(tests/browser/templates/browser/unsafe_talk.html) and shows that the same watch
sees the requests, and that the admin creates the speaker's account.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import Page, expect

from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.csp.models import CspReport
from tests.browser.urls import PLANTED_HITS

User = get_user_model()

ADMIN_ADD_USER = reverse("admin:auth_user_add")
# Where the planted attributes of this test post besides the admin: a
# test-only endpoint (tests/browser/urls.py) that records each hit.
PLANTED_PREFIX = "/__planted__/"
# The CSP lab's own lesson posts (if it ever did) to this room endpoint.
LESSON_TARGET = reverse("django_six_demos_csp:planted")
ADMIN = reverse("admin:index")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

STAFF_PASSWORD = "staff-password-for-this-test-only"
MALLORY = "mallory"
MALLORY_PASSWORD = "Planted-by-a-speaker-2026"
SEARCH_WORD = "Zanzibar"


def short_payload(field_code: str) -> str:
    """Two loaded posts, admin and harmless, small enough for a 100-character field."""
    return (
        f"<i hx-post={ADMIN_ADD_USER} hx-trigger=load></i>"
        f"<i hx-post={PLANTED_PREFIX}{field_code}/ hx-trigger=load></i>"
    )


def long_payload(field_code: str, change_url: str) -> str:
    """The issue's payload: create an account through the admin, then promote one."""
    new_user = json.dumps(
        {
            "username": MALLORY,
            "usable_password": "true",
            "password1": MALLORY_PASSWORD,
            "password2": MALLORY_PASSWORD,
        }
    )
    promote = json.dumps({"is_staff": "on", "is_superuser": "on"})
    return (
        "A talk about caching, with a little extra.\n"
        f'<div hx-post="{ADMIN_ADD_USER}" hx-vals=\'{new_user}\' hx-trigger="load">1</div>\n'
        f'<div hx-post="{change_url}" hx-vals=\'{promote}\' hx-trigger="load">2</div>\n'
        f'<div hx-post="{PLANTED_PREFIX}{field_code}/" hx-trigger="load">3</div>'
    )


@dataclass
class Planted:
    staff: Any
    speaker: Speaker
    talk: Talk


@pytest.fixture
def planted(transactional_db: None, live_server: Any) -> Planted:
    """A speaker's rows, every field they can write carrying payloads (via the ORM)."""
    PLANTED_HITS.clear()
    staff = User.objects.create_user(
        "inspector", password=STAFF_PASSWORD, is_staff=True, is_superuser=True
    )
    speaker_user = User.objects.create_user("speaker-with-a-plan")
    change_url = reverse("admin:auth_user_change", args=[speaker_user.pk])
    speaker = Speaker.objects.create(
        user=speaker_user,
        slug="speaker-with-a-plan",
        name=short_payload("n"),
        company=short_payload("c"),
        bio=long_payload("b", change_url),
    )
    talk = Talk.objects.create(
        speaker=speaker,
        slug="planted",
        title=f"{SEARCH_WORD} {short_payload('t')}",
        abstract=long_payload("a", change_url),
        track=Talk.Track.SECURITY,
        level=Talk.Level.ADVANCED,
        status=Talk.Status.ACCEPTED,
        duration=25,
    )
    # Strangers write CSP reports: the reports page shows them to staff.
    CspReport.objects.create(
        format=CspReport.Format.REPORT_URI,
        effective_directive="img-src",
        document_uri=f"{live_server.url}/csp/{short_payload('r')}",
        blocked_uri=long_payload("r", change_url),
        sample=short_payload("s"),
    )
    # Each payload fits its column (PostgreSQL would refuse a longer one).
    for model, instance in ((Speaker, speaker), (Talk, talk)):
        for model_field in model._meta.get_fields():
            limit = getattr(model_field, "max_length", None)
            if limit and isinstance(value := getattr(instance, model_field.name, None), str):
                assert len(value) <= limit, model_field.name
    return Planted(staff, speaker, talk)


@dataclass
class RequestWatch:
    """Every request the page sends, whatever sent it."""

    sent: list[tuple[str, str, bool]] = field(default_factory=list)

    def record(self, request: Any) -> None:
        self.sent.append(
            (request.method, urlsplit(request.url).path, "x-csrftoken" in request.headers)
        )

    def planted_requests(self) -> list[tuple[str, str, bool]]:
        """Requests to a planted target: unsafe ones to the admin, any to the others."""
        return [
            (method, path, csrf)
            for method, path, csrf in self.sent
            if (path.startswith(ADMIN) and method in UNSAFE_METHODS)
            or path.startswith((PLANTED_PREFIX, LESSON_TARGET))
        ]


@pytest.fixture
def sent(page: Page) -> RequestWatch:
    watch = RequestWatch()
    page.on("request", watch.record)
    page.set_default_timeout(10_000)
    return watch


def sign_in(page, live_server, username, password):
    """Through the real sign-in page, as a person would."""
    page.goto(f"{live_server.url}/sign-in/?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/")


def visit(page, url):
    """Open ``url`` and give anything triggered on load the time to be sent."""
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("load")
    page.wait_for_timeout(400)


def shown_text(page: Page) -> str:
    """The page's text, with the values of its form fields."""
    return str(
        page.evaluate(
            "document.body.innerText + ' ' + "
            "[...document.querySelectorAll('input, textarea')].map((e) => e.value).join(' ')"
        )
    )


def live_planted_elements(page: Page) -> int:
    """Elements in the DOM that carry a planted hx-post: escaped text makes none."""
    return page.locator(
        f'[hx-post^="{ADMIN}"], [hx-post^="{PLANTED_PREFIX}"], [data-hx-post]'
    ).count()


def test_staff_opening_every_page_with_a_speakers_text_sends_nothing(
    page, sent, live_server, planted
):
    users_before = set(User.objects.values_list("username", flat=True))
    talk, speaker = planted.talk.pk, planted.speaker.pk
    sign_in(page, live_server, "inspector", STAFF_PASSWORD)
    # Each page, and whether it shows the planted text (so the test knows the
    # payload reached it, escaped).
    pages = [
        ("/", False),
        ("/csp/", False),
        ("/csp/sandbox/", False),
        ("/csp/injected-attributes/", False),
        ("/csp/reports/", True),
        (f"/partials/?q={SEARCH_WORD}", True),
        ("/partials/speakers/", True),
        ("/crud/", False),
        (f"/crud/demos-talk/?q={SEARCH_WORD}", True),
        (f"/crud/demos-talk/{talk}/", True),
        (f"/crud/demos-talk/{talk}/edit/", True),
        ("/crud/demos-speaker/", True),
        (f"/crud/demos-speaker/{speaker}/", True),
        ("/tasks/", False),
        ("/sqlite/", False),
        ("/sqlite/lab/", False),
    ]

    for path, shows in pages:
        visit(page, live_server.url + path)
        assert live_planted_elements(page) == 0, path
        if shows:
            assert f"hx-post={ADMIN_ADD_USER}" in shown_text(page), path
        assert sent.planted_requests() == [], path

    # Content htmx swaps in is processed by htmx: search as you type, and the
    # CSP lab's two swaps of unescaped markup (inside hx-disable).
    for path in ("/partials/", "/crud/demos-talk/"):
        visit(page, live_server.url + path)
        page.locator("#id_q").press_sequentially(SEARCH_WORD, delay=20)
        expect(page.locator(".talk-title").first).to_contain_text(SEARCH_WORD)
        page.wait_for_timeout(400)
    visit(page, live_server.url + "/csp/sandbox/")
    page.get_by_role("button", name="Load the abstract with htmx").click()
    expect(page.locator("#sandbox-swap [data-csp-sandbox]")).to_have_count(1)
    visit(page, live_server.url + "/csp/injected-attributes/")
    page.get_by_role("button", name="Load the payload with htmx").click()
    expect(page.locator("#planted-swap [data-planted-region]")).to_have_count(1)
    page.wait_for_timeout(400)

    assert sent.planted_requests() == []
    assert PLANTED_HITS == []
    assert set(User.objects.values_list("username", flat=True)) == users_before
    planted.speaker.user.refresh_from_db()
    assert not planted.speaker.user.is_staff
    assert not planted.speaker.user.is_superuser
    # The watch saw the visit: pages, and htmx's own requests.
    assert len(sent.sent) > len(pages)


def test_the_lesson_page_says_no_request_was_sent(page, sent, live_server, planted):
    sign_in(page, live_server, "inspector", STAFF_PASSWORD)
    visit(page, live_server.url + "/csp/injected-attributes/")

    status = page.locator("[data-planted-status]")
    expect(status).to_have_attribute("data-state", "inert")
    expect(status).to_have_text("none: htmx did not act on the planted attributes.")
    # The payload is on the page, unescaped: htmx would act on it without hx-disable.
    region = page.locator("[data-planted-region]")
    expect(region).to_have_attribute("hx-disable", "")
    expect(region.locator(f'p[hx-post="{LESSON_TARGET}"][hx-trigger="load"]')).to_have_count(1)
    assert sent.planted_requests() == []


def test_control_the_same_rows_printed_with_safe_do_post_and_create_the_account(
    page, sent, live_server, planted
):
    """The watch can fail: without escaping and hx-disable, the escalation happens."""
    assert not User.objects.filter(username=MALLORY).exists()
    sign_in(page, live_server, "inspector", STAFF_PASSWORD)
    # The live server shares one in-memory SQLite connection between its
    # threads, and the payloads post at once: the admin's transactions would
    # trip over each other. So one post, the one that creates the account,
    # reaches the admin; the browser sends the others too (the watch sees
    # them), and the test answers them itself.
    passed_through: list[str] = []

    def one_admin_post_through(route):
        request = route.request
        # hx-vals travel form-encoded, as a form's fields would.
        creates = request.method == "POST" and f"username={MALLORY}&" in (request.post_data or "")
        if creates and not passed_through:
            passed_through.append(request.url)
            route.continue_()
        elif request.method in UNSAFE_METHODS:
            route.fulfill(status=204)
        else:
            route.continue_()

    page.route(f"{live_server.url}{ADMIN}**", one_admin_post_through)

    visit(page, f"{live_server.url}/__test__/unsafe-talk/{planted.talk.pk}/")
    expect(page.get_by_role("heading", level=1).first).to_have_text(re.compile(rf"^{SEARCH_WORD}"))
    # The admin answers asynchronously.
    for _ in range(50):
        if User.objects.filter(username=MALLORY).exists():
            break
        page.wait_for_timeout(100)

    posted = sent.planted_requests()
    assert ("POST", ADMIN_ADD_USER, True) in posted, posted
    change = reverse("admin:auth_user_change", args=[planted.speaker.user.pk])
    assert ("POST", change, True) in posted, posted
    # One hit per field carrying a payload, each with the staff's CSRF header.
    hit_fields = sorted(path.removeprefix(PLANTED_PREFIX).strip("/") for _, path, _ in PLANTED_HITS)
    assert hit_fields == ["a", "b", "c", "n", "t"]
    assert all(method == "POST" and csrf for method, _, csrf in PLANTED_HITS)
    # The speaker's account now exists, made with staff's authority.
    assert len(passed_through) == 1
    mallory = User.objects.get(username=MALLORY)
    assert mallory.check_password(MALLORY_PASSWORD)
