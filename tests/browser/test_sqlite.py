"""The SQLite room in a real browser: the settings page, and the lab's polling under the strict CSP."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from django_six_demos.sqlite.models import ContentionRun
from tests.browser.audit import audit

RESULT = {
    "variants": [
        {
            "name": name,
            "label": label,
            "commits": commits,
            "commits_per_second": commits / 2,
            "locked": locked,
            "lock_error_rate": 0.5 if locked else 0.0,
            "p50_ms": 0.1,
            "p99_ms": 2.0,
            "expected_rows": commits,
            "found_rows": commits,
            "lost_rows": 0,
            "clean": not locked,
        }
        for name, label, commits, locked in (
            ("defaults", "Django's defaults", 200, 1500),
            ("wal", "WAL alone", 6000, 90000),
            ("production", "Production settings", 24000, 0),
        )
    ]
}


def test_the_settings_page_shows_the_live_settings(strict_page, live_server, transactional_db):
    strict_page.goto(live_server.url + "/sqlite/")

    expect(strict_page.locator("#setting-transaction_mode")).to_contain_text("IMMEDIATE")
    expect(strict_page.locator("#setting-synchronous")).to_contain_text("NORMAL")


def sign_in_as_staff(page, live_server):
    client = Client()
    client.force_login(get_user_model().objects.create_user("staff", is_staff=True))
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.mark.django_db(transaction=True)
def test_visitors_get_no_form_but_why(strict_page, live_server):
    strict_page.goto(live_server.url + "/sqlite/lab/")

    form_section = strict_page.locator("section[aria-labelledby=lab-form-title]")
    expect(form_section.locator(".room-status")).to_contain_text("Only staff may start a run.")
    expect(form_section.get_by_role("link", name="Sign in")).to_have_attribute(
        "href", "/sign-in/?next=/sqlite/lab/"
    )
    assert strict_page.get_by_role("button", name="Run the lab").count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_run_is_started_then_polled_until_it_finishes(strict_page, live_server):
    polls: list[str] = []
    strict_page.on(
        "request",
        lambda request: polls.append(request.url) if request.headers.get("hx-request") else None,
    )
    sign_in_as_staff(strict_page, live_server)
    strict_page.goto(live_server.url + "/sqlite/lab/")
    strict_page.locator("#id_writers").select_option("2")

    strict_page.get_by_role("button", name="Run the lab").click()

    expect(strict_page).to_have_url(re.compile(r"/sqlite/lab/\d+/$"))
    expect(strict_page.locator("#run-status")).to_contain_text("Queued")
    run = ContentionRun.objects.get()
    assert run.writers == 2
    strict_page.wait_for_timeout(1500)
    assert polls, "the status was not polled"

    ContentionRun.objects.filter(pk=run.pk).update(status="done", result=RESULT)

    expect(strict_page.locator("#result-production")).to_contain_text("24,000")
    assert strict_page.locator("#run-status svg").count() == 2
    assert strict_page.locator("#run-status[hx-trigger]").count() == 0
    settled = len(polls)
    strict_page.wait_for_timeout(2500)
    # 286 and the new element without hx-trigger: polling stopped.
    assert len(polls) == settled


@pytest.mark.django_db(transaction=True)
def test_the_recent_runs_turn_from_queued_to_done_without_a_reload(strict_page, live_server):
    sign_in_as_staff(strict_page, live_server)
    strict_page.goto(live_server.url + "/sqlite/lab/")
    strict_page.locator("#id_writers").select_option("2")
    strict_page.get_by_role("button", name="Run the lab").click()
    expect(strict_page).to_have_url(re.compile(r"/sqlite/lab/\d+/$"))
    run = ContentionRun.objects.get()
    strict_page.goto(live_server.url + "/sqlite/lab/")
    row = strict_page.locator(f"#recent-run-{run.pk}")
    expect(row).to_contain_text("queued")
    polls: list[str] = []
    strict_page.on(
        "request",
        lambda request: polls.append(request.url) if request.headers.get("hx-request") else None,
    )
    navigations: list[str] = []
    strict_page.on("framenavigated", lambda frame: navigations.append(frame.url))

    # What the worker does when it has run the lab (as in the test above).
    ContentionRun.objects.filter(pk=run.pk).update(status="done", result=RESULT)

    expect(row).to_contain_text("done", timeout=6000)
    assert navigations == [], "the page was reloaded"
    assert strict_page.locator("#recent-runs[hx-trigger]").count() == 0
    settled = len(polls)
    strict_page.wait_for_timeout(2500)
    # 286 and a list without hx-trigger: polling stopped.
    assert len(polls) == settled


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1400])
def test_a_finished_run_passes_the_audit(strict_page, live_server, width):
    run = ContentionRun.objects.create(
        writers=2, readers=1, seconds=1, status="done", result=RESULT
    )
    strict_page.set_viewport_size({"width": width, "height": 900})
    strict_page.goto(f"{live_server.url}/sqlite/lab/{run.pk}/")

    expect(strict_page.locator("#result-production")).to_contain_text("24,000")
    assert audit(strict_page) == []
