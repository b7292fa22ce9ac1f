"""The header in a real browser: sign in and out from it, and no sideways scroll on a phone."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from django_six_demos.demo import installed_demos

PHONE = {"width": 390, "height": 844}


def test_sign_in_from_the_header_and_out_again(strict_page, live_server, transactional_db):
    get_user_model().objects.create_user("grace", password="cobol-1959")
    strict_page.goto(live_server.url + "/")
    header = strict_page.locator(".site-header")

    header.get_by_role("link", name="Sign in").click()
    strict_page.get_by_label("Username").fill("grace")
    strict_page.get_by_label("Password").fill("cobol-1959")
    strict_page.get_by_role("button", name="Sign in").click()

    expect(strict_page).to_have_url(live_server.url + "/")
    expect(header).to_contain_text("Signed in as grace")
    header.get_by_role("button", name="Sign out").click()
    expect(header.get_by_role("link", name="Sign in")).to_be_visible()
    expect(header).not_to_contain_text("Signed in as")


def test_no_page_scrolls_sideways_on_a_phone(strict_page, live_server, transactional_db):
    user = get_user_model().objects.create_user(
        "a-rather-long-username-for-a-phone", password="pw-1"
    )
    strict_page.set_viewport_size(PHONE)
    strict_page.goto(live_server.url + "/sign-in/?next=/")
    strict_page.get_by_label("Username").fill(user.get_username())
    strict_page.get_by_label("Password").fill("pw-1")
    strict_page.get_by_role("button", name="Sign in").click()
    expect(strict_page.locator(".site-header")).to_contain_text("Signed in as")

    paths = ["/", *(f"/{demo.url_prefix}" for demo in installed_demos())]
    for path in paths:
        strict_page.goto(live_server.url + path)
        overflow = strict_page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls {overflow} px sideways at 390 px"
    assert re.search(r"Signed in as", strict_page.locator(".site-header").inner_text())
