"""The acceptance emails in a real browser: send them, let the worker run, read them on the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from django_six_demos import compat
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.tasks.outbox import FILE_BACKEND, MAX_LISTED
from django_six_demos.tasks.tasks import speaker_email
from tests.browser.session import run_worker, sign_in

STATUS_PAGE = re.compile(r"/tasks/[0-9a-f-]{36}/$")


@pytest.fixture
def sent_emails_dir(settings, tmp_path):
    """The development set-up: Django's file-based backend, here in a directory of the test's."""
    directory = tmp_path / "sent-emails"
    for name, value in compat.mail_settings(FILE_BACKEND, file_path=directory).items():
        setattr(settings, name, value)
    return directory


def send_and_run(page, button):
    """Click ``button``, land on the task's page, run the worker, follow the link to the emails."""
    page.get_by_role("button", name=button).click()
    expect(page).to_have_url(STATUS_PAGE)
    run_worker()
    expect(page.locator("#task-status .task-status-badge")).to_have_text("SUCCESSFUL")
    page.get_by_role("link", name="See the sent emails").click()
    expect(page).to_have_url(re.compile(r"/tasks/#sent-emails$"))


def test_staff_send_the_emails_and_read_them_on_the_page(
    strict_page, live_server, seeded, sent_emails_dir
):
    accepted = Speaker.objects.filter(talks__status=Talk.Status.ACCEPTED).distinct()
    addresses = {speaker_email(speaker) for speaker in accepted}
    assert addresses
    sign_in(strict_page, live_server, "staff")
    strict_page.goto(live_server.url + "/tasks/")
    section = strict_page.locator("#sent-emails")
    expect(section.locator(".mailer-directory")).to_have_text(str(sent_emails_dir))
    expect(section).to_contain_text("No emails yet")

    send_and_run(strict_page, "Send the emails")

    rows = section.locator("tbody tr")
    expect(rows).to_have_count(min(len(addresses), MAX_LISTED))
    listed = {row.locator("td").first.inner_text() for row in rows.all()}
    assert listed <= addresses
    first = rows.first
    expect(first.locator(".email-body")).not_to_be_visible()
    first.locator("summary").click()  # <details>: no script needed
    expect(first.locator(".email-body")).to_be_visible()
    expect(first.locator(".email-body")).to_contain_text("travel grant of EUR 250.00")


def test_a_speaker_reads_only_their_own_email(strict_page, live_server, seeded, sent_emails_dir):
    sign_in(strict_page, live_server, "ada")
    ada = Speaker.objects.get(user__username="ada")
    strict_page.goto(live_server.url + "/tasks/")

    send_and_run(strict_page, "Send me my acceptance email")

    rows = strict_page.locator("#sent-emails tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").first).to_have_text(speaker_email(ada))
    expect(rows.first.locator("summary")).to_have_text(
        re.compile(r"^Your (\d+ )?talks? (is|are) accepted$")
    )
