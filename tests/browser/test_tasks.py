"""The background tasks demo in a real browser: sign in, enqueue, watch the status, download."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from django_six_demos.tasks.tasks import CSV_HEADER
from tests.browser.audit import audit
from tests.browser.session import run_worker, sign_in

STATUS_PAGE = re.compile(r"/tasks/[0-9a-f-]{36}/$")


def test_anonymous_visitors_are_asked_to_sign_in_then_get_the_forms(
    strict_page, live_server, seeded
):
    strict_page.goto(live_server.url + "/tasks/")
    expect(strict_page.get_by_role("button", name="Build the export")).to_have_count(0)

    # The room's own link (the header has one too).
    strict_page.get_by_role("main").get_by_role("link", name="Sign in", exact=True).click()
    expect(strict_page).to_have_url(re.compile(r"/sign-in/\?next=/tasks/$"))
    expect(strict_page.locator("h1")).to_have_text("Sign in")
    # The seeded passwords work only with DEBUG on: sign in with a session instead.
    sign_in(strict_page, live_server, "grace")
    strict_page.goto(live_server.url + "/tasks/")

    expect(strict_page.get_by_role("button", name="Build the export")).to_be_visible()
    expect(strict_page.get_by_role("button", name="Send me my acceptance email")).to_be_visible()
    expect(strict_page.get_by_label("Travel grant (EUR)")).to_have_count(0)


def test_a_second_email_batch_while_one_waits_is_refused(strict_page, watch, live_server, seeded):
    sign_in(strict_page, live_server, "ada")
    strict_page.goto(live_server.url + "/tasks/")
    send = strict_page.get_by_role("button", name="Send me my acceptance email")
    send.click()
    expect(strict_page).to_have_url(STATUS_PAGE)

    strict_page.go_back()
    watch.expect_status(409)
    send.click()

    expect(strict_page.locator(".notice-refused")).to_contain_text("one batch at a time")


def test_export_reaches_successful_by_polling_and_downloads(strict_page, live_server, seeded):
    sign_in(strict_page, live_server, "ada")
    strict_page.goto(live_server.url + "/tasks/")
    export_form = strict_page.locator("form", has=strict_page.get_by_text("Build the export"))
    export_form.get_by_label("CSV (spreadsheets)").check()

    export_form.get_by_role("button", name="Build the export").click()

    expect(strict_page).to_have_url(STATUS_PAGE)
    badge = strict_page.locator("#task-status .task-status-badge")
    expect(badge).to_have_text("READY")
    run_worker()
    # No reload: htmx polls the status partial every second until the task is finished.
    expect(badge).to_have_text("SUCCESSFUL")
    expect(strict_page.locator("#export-progress")).to_have_attribute("value", re.compile(r"\d+"))
    assert strict_page.locator("#demo-inspector .rendered-template").inner_text() == (
        "django_six_demos/tasks/status.html#status"
    )

    with strict_page.expect_download() as download_info:
        strict_page.get_by_role("link", name="Download conference-schedule.csv").click()
    download = download_info.value

    assert download.suggested_filename == "conference-schedule.csv"
    rows = list(csv.reader(Path(download.path()).read_text(encoding="utf-8").splitlines()))
    assert rows[0] == list(CSV_HEADER)
    assert len(rows) > 1


def enqueue_a_failure(page, live_server, username, message):
    """Sign in as ``username`` and enqueue the failing task; land on its status page."""
    sign_in(page, live_server, username)
    page.goto(live_server.url + "/tasks/")
    failure_form = page.locator("form", has=page.get_by_text("Fail on demand"))
    failure_form.get_by_label("Message").fill(message)
    failure_form.get_by_role("button", name="Enqueue a failing task").click()
    expect(page).to_have_url(STATUS_PAGE)


def test_a_failed_task_shows_its_traceback_to_staff_and_is_re_enqueued(
    strict_page, live_server, seeded
):
    enqueue_a_failure(strict_page, live_server, "staff", "Broken in the browser")
    failed_url = strict_page.url

    run_worker()

    status = strict_page.locator("#task-status")
    expect(status.locator(".task-status-badge")).to_have_text("FAILED")
    expect(status.locator(".exception-class")).to_have_text(
        "django_six_demos.tasks.tasks.DemoFailure"
    )
    expect(status.locator(".traceback")).to_contain_text("DemoFailure: Broken in the browser")

    status.get_by_role("button", name="Re-enqueue as a new task").click()

    expect(strict_page).to_have_url(STATUS_PAGE)
    assert strict_page.url != failed_url
    expect(strict_page.locator("#task-status .task-status-badge")).to_have_text("READY")
    expect(strict_page.locator("#task-status .rerun")).to_contain_text("Re-enqueued from")


def test_others_see_a_failed_tasks_class_and_message_but_no_traceback(
    strict_page, live_server, seeded
):
    enqueue_a_failure(strict_page, live_server, "grace", "Broken for Grace")

    run_worker()

    status = strict_page.locator("#task-status")
    expect(status.locator(".task-status-badge")).to_have_text("FAILED")
    expect(status.locator(".exception-message")).to_have_text("Broken for Grace")
    expect(status.locator(".traceback")).to_have_count(0)
    expect(status.get_by_role("button", name="Re-enqueue as a new task")).to_have_count(0)


@pytest.mark.parametrize("width", [390, 1400])
def test_the_room_and_a_failed_tasks_page_pass_the_audit_for_staff(
    strict_page, live_server, seeded, width
):
    strict_page.set_viewport_size({"width": width, "height": 900})
    enqueue_a_failure(strict_page, live_server, "staff", "Broken for the audit")
    run_worker()
    expect(strict_page.locator("#task-status .traceback")).to_be_visible()

    # The status, its traceback and the re-enqueue form; then the room with its forms and tables.
    assert audit(strict_page) == []
    strict_page.goto(live_server.url + "/tasks/")
    assert audit(strict_page) == []
