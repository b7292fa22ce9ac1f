"""The comparison page: each approach's module and endpoints, its figures, and the benchmark's."""

from __future__ import annotations

import copy
import importlib
import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.test import RequestFactory, SimpleTestCase, TestCase
from django.urls import reverse

from django_six_demos.api import comparison, views
from django_six_demos.api.comparison import RUN_COMMAND, lines_of_code, time_serializers
from django_six_demos.api.flavours import FLAVOURS
from django_six_demos.conference.models import Speaker, Talk

INDEX = reverse("django_six_demos_api:index")
MEASURE = reverse("django_six_demos_api:measure")
FIGURES: dict[str, Any] = {
    "measured_on": "2026-12-05",
    "django": "6.1.3",
    "python": "3.13.0",
    "server": "uvicorn, 1 worker, production settings",
    "connections": 16,
    "seconds": 10,
    "talks": 100,
    "goals": {"serializer_ratio": 10, "rps_ratio": 1.5},
    "flavours": {
        "plain": {
            "serializer_us": 420.0,
            "serializer_ratio": 5.48,
            "bytes": 51234,
            "rps": 812.3,
            "p50_ms": 18.1,
            "p99_ms": 40.2,
            "errors": 0,
        },
        "drf": {
            "serializer_us": 2301.5,
            "serializer_ratio": 1.0,
            "bytes": 51234,
            "rps": 530.0,
            "p50_ms": 29.4,
            "p99_ms": 61.0,
            "errors": 0,
        },
        "ninja": {
            "serializer_us": 1003.2,
            "serializer_ratio": 2.29,
            "bytes": 51234,
            "rps": 690.7,
            "p50_ms": 22.0,
            "p99_ms": 48.9,
            "errors": 0,
        },
        "msgspec": {
            "serializer_us": 123.0,
            "serializer_ratio": 18.71,
            "bytes": 51234,
            "rps": 861.9,
            "p50_ms": 17.2,
            "p99_ms": 38.8,
            "errors": 0,
        },
    },
}


def figures(**changes: dict[str, Any]) -> str:
    """FIGURES as the benchmark writes them, with some approaches' figures changed."""
    data = copy.deepcopy(FIGURES)
    for name, values in changes.items():
        data["flavours"][name].update(values)
    return json.dumps(data, indent=2)


@contextmanager
def benchmark_file(content: str | bytes | None) -> Iterator[Path]:
    """The page reads ``content`` as the last run's figures (None: no file at all)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "benchmark.json"
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        with mock.patch.object(comparison, "BENCHMARK_FILE", path):
            yield path


def main(response: Any) -> str:
    """The page's <main>: the frame beside it shows this page's template, words and all."""
    text: str = response.content.decode()
    return text[text.index('<main class="site-main"') : text.index("</main>")]


def text(html: str) -> str:
    """The words of ``html``, tags dropped and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def prose(html: str) -> str:
    """The sentences of ``html``: tags dropped without a space, as a reader sees inline markup."""
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def table(html: str, caption_start: str) -> str:
    match = re.search(rf"<table[^>]*>\s*<caption>{re.escape(caption_start)}.*?</table>", html, re.S)
    assert match, f"no table captioned {caption_start!r}"
    return match[0]


def row(html: str, label: str) -> list[str]:
    """The cells of the table row headed ``label`` (the heading may be a link)."""
    match = re.search(
        rf"<th scope=\"row\">(?:<a [^>]*>)?{re.escape(label)}(?:</a>)?</th>(.*?)</tr>", html, re.S
    )
    assert match, f"no row {label!r}"
    return [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", match[1], re.S)]


def label(name: str) -> str:
    return next(flavour.label for flavour in FLAVOURS if flavour.name == name)


def module_file(module: str) -> Path:
    return Path(importlib.import_module(module).__file__ or "")


class ComparisonPageTests(TestCase):
    accepted: Talk
    submitted: Talk

    @classmethod
    def setUpTestData(cls):
        speaker = Speaker.objects.create(name="Ada Lovelace", slug="ada")
        common = {"speaker": speaker, "abstract": "An abstract long enough.", "duration": 30}
        cls.accepted = Talk.objects.create(
            title="Accepted talk",
            slug="accepted",
            track=Talk.Track.WEB,
            level=Talk.Level.BEGINNER,
            status=Talk.Status.ACCEPTED,
            **common,
        )
        # Sorted first by title, but not every visitor may read it: no link opens it.
        cls.submitted = Talk.objects.create(
            title="A submitted talk",
            slug="submitted",
            track=Talk.Track.WEB,
            level=Talk.Level.BEGINNER,
            status=Talk.Status.SUBMITTED,
            **common,
        )

    def test_the_last_runs_figures_are_shown_for_each_approach(self):
        with benchmark_file(figures()):
            response = self.client.get(INDEX)

        assert response.status_code == 200
        html = table(main(response), "Measured on 2026-12-05 with Django 6.1.3 and Python 3.13.0")
        # Serializer time, against DRF, response, requests/s, p50, p99, errors.
        assert row(html, label("drf")) == [
            "2.30 ms",
            "1× (the baseline)",
            "51,234 bytes",
            "530",
            "29.4 ms",
            "61.0 ms",
            "0",
        ]
        assert row(html, label("msgspec")) == [
            "0.12 ms",
            "18.7× as fast",
            "51,234 bytes",
            "862",
            "17.2 ms",
            "38.8 ms",
            "0",
        ]
        assert row(html, label("plain"))[:2] == ["0.42 ms", "5.5× as fast"]
        assert row(html, label("ninja"))[:2] == ["1.00 ms", "2.3× as fast"]
        words = text(main(response))
        assert "on uvicorn, 1 worker, production settings" in words
        assert "16 connections at once for 10 s each" in words

    def test_each_goal_is_judged_against_the_run(self):
        with benchmark_file(figures()):
            words = prose(main(self.client.get(INDEX)))

        assert "as fast as DRF's ModelSerializer. It was 18.7×: met." in words
        # msgspec served the most: 861.9 / 530.0.
        assert f"{label('msgspec')} served 1.63×: met." in words
        assert "There were 0: met." in words

    def test_a_missed_goal_is_marked_missed(self):
        slow = figures(
            msgspec={"serializer_ratio": 4.0, "rps": 600.0, "errors": 2},
            plain={"rps": 700.0, "errors": 1},
        )
        with benchmark_file(slow):
            html = main(self.client.get(INDEX))

        words = prose(html)
        assert "It was 4.0×: missed." in words
        assert f"{label('plain')} served 1.32×: missed." in words
        assert "There were 3: missed." in words
        assert html.count('class="verdict-bad"') == 3

    def test_without_the_file_the_page_says_how_to_run_the_benchmark(self):
        with benchmark_file(None):
            response = self.client.get(INDEX)

        assert response.status_code == 200
        html = main(response)
        assert "The benchmark has not been run yet" in html
        assert f"<code>{RUN_COMMAND}</code>" in html
        assert "Measured on" not in html
        # What the page measures itself is there all the same.
        assert "Lines of code" in html

    def test_a_broken_file_is_a_notice_not_an_error(self):
        missing_flavour = copy.deepcopy(FIGURES)
        del missing_flavour["flavours"]["ninja"]
        missing_key = copy.deepcopy(FIGURES)
        del missing_key["goals"]
        broken: dict[str, str | bytes] = {
            "not JSON": "{not json",
            "not UTF-8": b"\xff\xfe{}",
            "a list": "[]",
            "null": "null",
            "an approach missing": json.dumps(missing_flavour),
            "a key missing": json.dumps(missing_key),
            "a string for a number": figures(drf={"rps": "fast"}),
            "a boolean for a count": figures(plain={"errors": False}),
            "a negative figure": figures(ninja={"serializer_us": -1}),
            "a float for a count": figures(plain={"bytes": 1.5}),
        }
        for what, content in broken.items():
            with self.subTest(what), benchmark_file(content):
                response = self.client.get(INDEX)

                assert response.status_code == 200
                html = main(response)
                assert "could not be read" in html
                assert RUN_COMMAND in html
                assert "Measured on" not in html

    def test_a_file_that_cannot_be_read_is_a_notice_not_an_error(self):
        with benchmark_file(None) as path:
            path.mkdir()  # Reading a directory fails as an unreadable file does.
            response = self.client.get(INDEX)

        assert response.status_code == 200
        assert "could not be read" in main(response)

    def test_each_approachs_module_is_shown_with_its_lines_of_code(self):
        with benchmark_file(None):
            html = main(self.client.get(INDEX))

        counted = table(html, "Each approach's module")
        for flavour in FLAVOURS:
            path = module_file(flavour.module)
            lines = lines_of_code(path.read_text(encoding="utf-8"))
            section = re.search(
                rf'<section [^>]*id="approach-{flavour.name}".*?</section>', html, re.S
            )
            assert section, flavour.name
            assert f'<code class="source-title">{flavour.module}</code>' in section[0]
            assert f"django_six_demos/api/{path.name}" in section[0]
            assert f"{lines} lines of code" in text(section[0])
            # The module itself, highlighted: its encode_talks is there.
            assert '<span class="nf">encode_talks</span>' in section[0]
            assert row(counted, flavour.label)[0] == str(lines)

    def test_every_approach_writes_the_same_bytes_and_the_page_says_how_many(self):
        with benchmark_file(None):
            html = main(self.client.get(INDEX))

        talks = comparison.sample_talks()
        sizes = {len(encode(talks)) for encode in views.encoders().values()}
        assert len(sizes) == 1
        [size] = sizes
        counted = table(html, "Each approach's module")
        for flavour in FLAVOURS:
            assert row(counted, flavour.label)[1] == f"{size:,} bytes"

    def test_each_approach_links_its_list_a_filtered_list_and_a_talk(self):
        with benchmark_file(None):
            html = main(self.client.get(INDEX))

        for flavour in FLAVOURS:
            section = re.search(
                rf'<section [^>]*id="approach-{flavour.name}".*?</section>', html, re.S
            )
            assert section, flavour.name
            links = re.findall(r'<a href="([^"]+)"', section[0])
            list_url = flavour.list_url()
            assert list_url in links
            assert f"{list_url}?track=web&amp;level=beginner" in links
            assert flavour.detail_url(self.accepted.pk) in links
            assert flavour.detail_url(self.submitted.pk) not in links

    def test_the_links_answer_json(self):
        with benchmark_file(None):
            html = main(self.client.get(INDEX))

        api = re.compile(r'<a href="(/demos/api/[^"#]+)"')
        docs = reverse("django_six_demos_api:ninja:openapi-view")
        for href in dict.fromkeys(api.findall(html)):
            url = href.replace("&amp;", "&")
            with self.subTest(url):
                response = self.client.get(url)

                assert response.status_code == 200
                if url != docs:
                    assert response.json()

    def test_the_page_links_the_swagger_docs_and_the_schema(self):
        with benchmark_file(None):
            html = main(self.client.get(INDEX))

        assert f'href="{reverse("django_six_demos_api:ninja:openapi-view")}"' in html
        assert f'href="{reverse("django_six_demos_api:ninja:openapi-json")}"' in html

    def test_the_page_links_the_chapter(self):
        with benchmark_file(None):
            html = main(self.client.get(INDEX))

        assert len(re.findall(r'href="[^"]*tutorial/07-api\.html"', html)) == 1

    def test_on_a_phone_each_cell_carries_its_column_as_a_label(self):
        with benchmark_file(figures()):
            html = main(self.client.get(INDEX))

        tables = re.findall(r"<table class=\"[^\"]*table-stack[^\"]*\">.*?</table>", html, re.S)
        assert len(tables) == 3
        for found in tables:
            cells = re.findall(r"<td[^>]*>", found)
            assert cells
            assert all("data-label=" in cell for cell in cells)

    def test_before_anyone_asks_no_serializer_is_timed(self):
        with (
            benchmark_file(None),
            mock.patch.object(comparison, "time_serializers") as timed,
        ):
            html = main(self.client.get(INDEX))

        timed.assert_not_called()
        counted = table(html, "Each approach's module")
        assert row(counted, label("drf"))[2:] == ["not measured yet", "–"]

    def test_the_page_renders_from_a_request_factory_request(self):
        request = RequestFactory().get(INDEX)
        request.user = AnonymousUser()
        request.htmx = False  # type: ignore[attr-defined]

        with benchmark_file(figures()):
            response = views.index(request)  # type: ignore[arg-type]
            response.render()

        assert response.status_code == 200
        assert b"Measured on 2026-12-05" in response.content


class MeasureTests(TestCase):
    def test_asking_times_every_serializer_and_shows_the_times(self):
        with benchmark_file(None):
            response = self.client.get(MEASURE)

        assert response.status_code == 200
        counted = table(main(response), "Each approach's module")
        for flavour in FLAVOURS:
            time, against = row(counted, flavour.label)[2:]
            assert re.fullmatch(r"\d+\.\d\d ms", time), time
            expected = r"1× \(the baseline\)" if flavour.name == "drf" else r"\d+\.\d× as fast"
            assert re.fullmatch(expected, against), against
        assert "Timed at" in main(response)

    def test_htmx_gets_the_figures_section_alone(self):
        with benchmark_file(None):
            response = self.client.get(MEASURE, headers={"HX-Request": "true"})

        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" not in html
        assert html.strip().startswith('<section id="measured"')
        assert "Timed at" in html
        assert "HX-Request" in response["Vary"]

    def test_the_times_are_shared_for_a_while_then_the_page_shows_them(self):
        with (
            benchmark_file(None),
            mock.patch.object(
                comparison, "time_serializers", wraps=comparison.time_serializers
            ) as timed,
        ):
            self.client.get(MEASURE)
            again = self.client.get(MEASURE, REMOTE_ADDR="192.0.2.7")
            page = self.client.get(INDEX)

        assert timed.call_count == 1
        assert "Timed at" in main(again)
        assert "Timed at" in main(page)

    def test_one_address_may_measure_only_so_often(self):
        with (
            benchmark_file(None),
            mock.patch.object(
                comparison, "time_serializers", return_value={f.name: 1.0 for f in FLAVOURS}
            ),
        ):
            statuses = []
            for _ in range(11):
                # As if the shared times had expired each time.
                cache.delete(views.LIVE_CACHE_KEY)
                statuses.append(self.client.get(MEASURE).status_code)
            elsewhere = self.client.get(MEASURE, REMOTE_ADDR="192.0.2.7")

        assert statuses == [200] * 10 + [429]
        assert elsewhere.status_code == 200

    def test_a_refusal_for_htmx_lands_in_the_notice_region(self):
        with (
            benchmark_file(None),
            mock.patch.object(views, "MEASURE_RATE_PER_IP", "1/m"),
            mock.patch.object(comparison, "time_serializers", return_value={}),
        ):
            self.client.get(MEASURE)
            cache.delete(views.LIVE_CACHE_KEY)
            response = self.client.get(MEASURE, headers={"HX-Request": "true"})

        assert response.status_code == 429
        assert response["HX-Retarget"] == "#demo-notice"
        assert "Too many measurements" in response.content.decode()

    def test_only_get(self):
        for method in ("post", "put", "delete"):
            with self.subTest(method):
                assert getattr(self.client, method)(MEASURE).status_code == 405


class LinesOfCodeTests(SimpleTestCase):
    def test_blank_lines_comments_and_docstrings_are_not_code(self):
        source = '''"""A module docstring
over two lines."""

import json  # a comment after code counts


# A comment alone does not.
def encode(talks):
    """A function's docstring."""
    text = """a string that is not
    a docstring"""
    return json.dumps(
        talks
    ) + text


class Thing:
    "A class docstring."

    value = 1
'''
        # import, def, text = (2 lines), return (3 lines), class, value.
        assert lines_of_code(source) == 9


class SampleTalksTests(TestCase):
    def test_a_hundred_talks_with_their_speakers_and_no_queries_to_encode_them(self):
        talks = comparison.sample_talks()

        assert len(talks) == comparison.SAMPLE_TALKS == 100
        assert len({talk.pk for talk in talks}) == 100
        for name, encode in views.encoders().items():
            with self.subTest(name), self.assertNumQueries(0):
                assert json.loads(encode(talks))[0]["speaker"]["name"]


class TimeSerializersTests(SimpleTestCase):
    def test_the_encoders_take_turns_and_the_median_is_kept(self):
        calls: list[str] = []

        def encoder(name: str) -> Any:
            def encode(talks: Any) -> bytes:
                calls.append(name)
                return b""

            return encode

        clock = iter(range(0, 10**9, 1000))
        with mock.patch("time.perf_counter_ns", lambda: next(clock)):
            times = time_serializers({n: encoder(n) for n in "abc"}, (), rounds=3)

        # A warm-up round, then each round starts with the next encoder.
        assert calls == [*"abc", *"abc", *"bca", *"cab"]
        assert times == {"a": 1.0, "b": 1.0, "c": 1.0}
