"""The async story page: the benchmark's figures beside their goals, or what to run to get them."""

from __future__ import annotations

import copy
import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from django.test import TestCase
from django.urls import reverse

from django_six_demos.streaming.story import RUN_COMMAND, AsyncStoryView

STORY = reverse("django_six_demos_streaming:story")
CHAT = reverse("django_six_demos_streaming:index")
FIGURES: dict[str, Any] = {
    "measured_on": "2026-12-01",
    "django": "6.1",
    "clients": 1000,
    "arrival_seconds": 10,
    "tokens": 200,
    "token_interval_ms": 100,
    "first_token_delay_ms": 300,
    "asgi": {
        "server": "uvicorn, 1 process",
        "errors": 0,
        "peak_streams": 1000,
        "p99_gap_ms": 141,
        "first_byte_over_model_ms_p50": 12,
        "memory_kib_per_stream": 47,
        "cpu_percent": 44,
    },
    "wsgi": {
        "server": "gunicorn, 2 workers x 16 threads",
        "errors": 968,
        "peak_streams": 32,
        "p99_gap_ms": 103,
        "first_byte_over_model_ms_p50": 9731,
    },
    "ratio": 31.25,
}


@contextmanager
def story_file(content: str | None) -> Iterator[Path]:
    """The page reads ``content`` as its figures (None: no file at all)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "async_story.json"
        if content is not None:
            path.write_text(content, encoding="utf-8")
        with mock.patch.object(AsyncStoryView, "story_file", path):
            yield path


def main(response: Any) -> str:
    """The page's <main>: the frame beside it shows this page's template, words and all."""
    text: str = response.text
    return text[text.index('<main class="site-main"') : text.index("</main>")]


def figures(**asgi: Any) -> str:
    data = copy.deepcopy(FIGURES)
    data["asgi"].update(asgi)
    return json.dumps(data)


def text(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def row(html: str, label: str) -> list[str]:
    """The cells of the figures table's row headed ``label``."""
    match = re.search(rf"<th scope=\"row\">{re.escape(label)}</th>(.*?)</tr>", html, re.S)
    assert match, f"no row {label!r}"
    return [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", match[1], re.S)]


class AsyncStoryPageTests(TestCase):
    def test_the_figures_stand_beside_their_goals_for_both_servers(self):
        with story_file(figures()):
            response = self.client.get(STORY)

        assert response.status_code == 200
        html = main(response)
        assert "Measured on 2026-12-01 with Django 6.1" in html
        # Goal, async, sync, verdict.
        assert row(html, "Streams open at once (peak)") == ["all 1,000", "1,000", "32", "yes"]
        assert row(html, "Errors (refused, dropped or cut short)") == ["0", "0", "968", "yes"]
        # The gap's goal is twice the model's interval between tokens.
        assert row(html, "Longest wait between two tokens (p99)") == [
            "at most 200 ms",
            "141 ms",
            "103 ms",
            "yes",
        ]
        assert row(html, "First byte, beyond the model&#x27;s own delay (p50)") == [
            "at most 25 ms",
            "12 ms",
            "9,731 ms",
            "yes",
        ]
        assert row(html, "Server memory per open stream") == [
            "at most 64 KiB",
            "47 KiB",
            "not measured",
            "yes",
        ]
        assert row(html, "Streams held at once, async over sync") == [
            "at least 30×",
            "31.2×",
            "1×",
            "yes",
        ]
        assert "The async worker met every goal." in html
        assert "uvicorn, 1 process" in html
        assert "gunicorn, 2 workers x 16 threads" in html
        assert "1,000 clients arrive evenly over 10 s" in text(html)
        assert "an answer lasts 20 s" in text(html)

    def test_a_missed_goal_says_no_and_the_page_says_so(self):
        with story_file(figures(errors=3, p99_gap_ms=450)):
            html = main(self.client.get(STORY))

        assert row(html, "Errors (refused, dropped or cut short)")[-1] == "no"
        assert row(html, "Longest wait between two tokens (p99)")[-1] == "no"
        assert row(html, "Server memory per open stream")[-1] == "yes"
        assert "The async worker missed a goal" in html
        assert "met every goal" not in html

    def test_on_a_phone_each_cell_carries_its_column_as_a_label(self):
        with story_file(figures()):
            html = main(self.client.get(STORY))

        [table] = re.findall(r"<table class=\"table-stack\">.*?</table>", html, re.S)
        cells = re.findall(r"<td[^>]*>", table)
        assert len(cells) == 7 * 4
        assert all("data-label=" in cell for cell in cells)

    def test_without_the_file_the_page_says_how_to_run_the_benchmark(self):
        with story_file(None):
            response = self.client.get(STORY)

        assert response.status_code == 200
        html = main(response)
        assert "The benchmark has not been run yet" in html
        assert f"<code>{RUN_COMMAND}</code>" in html
        assert "<table" not in html

    def test_a_broken_file_is_a_notice_not_an_error(self):
        broken = copy.deepcopy(FIGURES)
        del broken["asgi"]["peak_streams"]
        for content in ("{not json", json.dumps(broken), figures(errors="none"), "[]"):
            with self.subTest(content=content[:20]), story_file(content):
                response = self.client.get(STORY)

                assert response.status_code == 200
                assert "could not be read" in main(response)
                assert RUN_COMMAND in main(response)

    def test_the_page_links_the_chat_and_the_chapters_async_story(self):
        with story_file(None):
            html = main(self.client.get(STORY))

        assert f'href="{CHAT}"' in html
        assert re.search(r'href="[^"]*tutorial/06-streaming\.html#the-async-story"', html)

    def test_the_page_says_which_protocol_served_it(self):
        with story_file(None):
            wsgi = main(self.client.get(STORY))

        assert "a sync worker served it" in wsgi

    async def test_under_asgi_the_page_says_an_async_worker_served_it(self):
        with story_file(None):
            response = await self.async_client.get(STORY)

        assert response.status_code == 200
        assert "an async worker served it" in main(response)
