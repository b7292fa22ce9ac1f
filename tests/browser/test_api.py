"""The API room's comparison page in a real browser: clean under the strict policy, readable on a
phone, and its serializer timing swapped in by htmx."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from playwright.sync_api import expect

from django_six_demos.api import comparison
from tests.api.test_comparison import figures
from tests.browser.audit import audit, horizontal_overflow

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}


@pytest.fixture
def benchmark_run(tmp_path):
    """A last run for the page to show, as the benchmark writes it."""
    path = tmp_path / "benchmark.json"
    path.write_text(figures(), encoding="utf-8")
    with mock.patch.object(comparison, "BENCHMARK_FILE", path):
        yield json.loads(path.read_text(encoding="utf-8"))


def test_the_comparison_page_loads_clean(strict_page, live_server, seeded, benchmark_run):
    response = strict_page.goto(live_server.url + "/api/")

    assert response.status == 200
    expect(strict_page.locator("h1")).to_have_text("JSON APIs")
    expect(strict_page.locator(".api-approach")).to_have_count(4)
    # Each module is shown, highlighted.
    expect(strict_page.locator(".api-approach .source-code")).to_have_count(4)
    expect(strict_page.get_by_text("Measured on 2026-12-05")).to_be_visible()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_table_fits_and_the_page_passes_the_audit(
    strict_page, live_server, seeded, benchmark_run, size
):
    strict_page.set_viewport_size(size)
    strict_page.goto(live_server.url + "/api/")

    assert horizontal_overflow(strict_page) == 0
    assert audit(strict_page) == []


def test_timing_the_serializers_swaps_the_times_in(strict_page, live_server, seeded):
    strict_page.set_viewport_size(PHONE)
    strict_page.goto(live_server.url + "/api/")
    measured = strict_page.locator("#measured")
    expect(measured).to_contain_text("not measured yet")

    strict_page.get_by_role("button", name="Time the serializers now").click()

    expect(measured).to_contain_text("Timed at")
    expect(measured).not_to_contain_text("not measured yet")
    expect(measured.get_by_text("1× (the baseline)")).to_have_count(1)
    # htmx swapped the section: the page itself stayed.
    assert strict_page.url == live_server.url + "/api/"
    assert horizontal_overflow(strict_page) == 0
    assert audit(strict_page) == []
