"""The same JSON, byte for byte, from every flavour: lists, filtered lists, pages and details."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from typing import Any

from django.test import Client, override_settings
from django.utils import timezone

from django_six_demos.api import talks
from django_six_demos.api.flavours import FLAVOURS
from django_six_demos.conference.models import Talk
from tests.api.helpers import NAMES, ConferenceTestCase, make_talk

QUERIES = (
    "",
    "?track=data",
    "?level=advanced",
    "?track=data&level=advanced",
    "?track=ops",  # nothing matches: page 1 of 1
    "?page=2&page_size=1",
    "?page_size=100",
    "?unknown=ignored",
)


class SameBytesTests(ConferenceTestCase):
    def bodies(self, client: Client, paths: dict[str, str]) -> dict[str, bytes]:
        answers = {name: client.get(path) for name, path in paths.items()}
        assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(paths, 200)
        return {name: r.content for name, r in answers.items()}

    def assert_same(self, bodies: dict[str, bytes]) -> None:
        first = bodies[NAMES[0]]
        assert bodies == dict.fromkeys(NAMES, first)

    def test_lists_are_the_same_bytes_for_every_user_and_filter(self):
        for user in (None, self.ada_user, self.staff):
            client = self.client_for(user)
            for query in QUERIES:
                with self.subTest(user=str(user), query=query):
                    paths = {f.name: f.list_url() + query for f in FLAVOURS}
                    self.assert_same(self.bodies(client, paths))

    def test_details_are_the_same_bytes_for_every_user(self):
        cases = [
            (None, self.accepted),
            (self.ada_user, self.accepted),
            (self.ada_user, self.submitted),
            (self.staff, self.graces_submitted),
        ]
        for user, talk in cases:
            with self.subTest(user=str(user), talk=talk.slug):
                paths = {f.name: f.detail_url(talk.pk) for f in FLAVOURS}
                self.assert_same(self.bodies(self.client_for(user), paths))

    def test_a_detail_is_the_talk_object_of_the_list(self):
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                listed = self.client.get(flavour.list_url()).json()["results"]
                detail = self.client.get(flavour.detail_url(self.accepted.pk)).json()
                assert [talk["title"] for talk in listed] == ["Compilers", "Engines"]
                assert listed[1] == detail

    def test_encode_talks_writes_the_lists_results(self):
        page = json.loads(self.client.get(FLAVOURS[0].list_url()).content)
        found = list(talks.readable(self.staff).filter(status=Talk.Status.ACCEPTED))
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                encoded = importlib.import_module(flavour.module).encode_talks(found)
                assert isinstance(encoded, bytes)
                assert json.loads(encoded) == page["results"]


class ExactBytesTests(ConferenceTestCase):
    """The bytes pinned, so that "the same" cannot mean "the same mistake"."""

    def test_one_talk_in_every_flavour(self):
        talk = make_talk(
            self.ada,
            "cafe",
            title="Café “naïve” ☕",
            abstract='A "quoted" <b>tag</b> & a back\\slash,\ta tab and a line\nbreak.',
            track=Talk.Track.SECURITY,
            level=Talk.Level.INTERMEDIATE,
            duration=180,
        )
        expected = (
            '{"id":<talk-id>,"title":"Café “naïve” ☕","slug":"cafe",'
            '"abstract":"A \\"quoted\\" <b>tag</b> & a back\\\\slash,\\ta tab and a line\\nbreak.",'
            '"track":"security","level":"intermediate","status":"accepted","duration":180,'
            '"speaker":{"id":<speaker-id>,"name":"Ada Lovelace","slug":"ada","company":"Analytical Engines"},'
            '"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-02-03T04:05:06.123456Z"}'
        )
        expected = expected.replace("<talk-id>", str(talk.pk))
        expected = expected.replace("<speaker-id>", str(self.ada.pk))
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                response = self.client.get(flavour.detail_url(talk.pk))
                assert response.content == expected.encode()

    def test_one_page_in_every_flavour(self):
        prefix = f'{{"count":2,"page":2,"pages":2,"results":[{{"id":{self.accepted.pk},'.encode()
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                response = self.client.get(flavour.list_url() + "?page_size=1&page=2")
                assert response.content.startswith(prefix)
                assert response.content.endswith(b"}]}")
                assert b"\n" not in response.content
                assert b": " not in response.content

    def test_an_empty_list_is_page_one_of_one(self):
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                response = self.client.get(flavour.list_url() + "?track=community")
                assert response.content == b'{"count":0,"page":1,"pages":1,"results":[]}'


class DatetimeTests(ConferenceTestCase):
    def detail_times(self, talk: Talk) -> dict[str, tuple[str, str]]:
        answers = {}
        for flavour in FLAVOURS:
            body = self.client.get(flavour.detail_url(talk.pk)).json()
            answers[flavour.name] = (body["created_at"], body["updated_at"])
        return answers

    def test_microseconds_are_written_only_when_not_zero(self):
        Talk.objects.filter(pk=self.accepted.pk).update(
            created_at=dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc),
            updated_at=dt.datetime(2026, 3, 4, 5, 6, 7, 120, tzinfo=dt.timezone.utc),
        )

        times = self.detail_times(self.accepted)

        expected = ("2026-03-04T05:06:07Z", "2026-03-04T05:06:07.000120Z")
        assert times == dict.fromkeys(NAMES, expected)

    @override_settings(TIME_ZONE="America/New_York")
    def test_utc_whatever_the_time_zone(self):
        with timezone.override("Asia/Kolkata"):
            times = self.detail_times(self.accepted)

        expected = ("2026-01-02T03:04:05Z", "2026-02-03T04:05:06.123456Z")
        assert times == dict.fromkeys(NAMES, expected)

    def test_timestamp_is_the_form_msgspec_writes(self):
        import msgspec

        for value in (
            dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
            dt.datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=dt.timezone.utc),
            dt.datetime(2026, 1, 2, 3, 4, 5, 999999, tzinfo=dt.timezone.utc),
        ):
            assert f'"{talks.timestamp(value)}"'.encode() == msgspec.json.encode(value)
        paris = dt.timezone(dt.timedelta(hours=1))
        moment = dt.datetime(2026, 1, 2, 4, 4, 5, tzinfo=paris)
        assert talks.timestamp(moment) == "2026-01-02T03:04:05Z"


class KnownDifferenceTests(ConferenceTestCase):
    def test_only_drf_escapes_line_and_paragraph_separators(self):
        """DRF's renderer writes U+2028 and U+2029 escaped (for JSONP); the others raw.

        The decoded JSON is the same; the bytes differ for such a text only.
        """
        talk = make_talk(self.ada, "separators", title="Line\u2028and\u2029paragraph")
        bodies: dict[str, Any] = {
            f.name: self.client.get(f.detail_url(talk.pk)).content for f in FLAVOURS
        }
        escaped = {name for name, body in bodies.items() if b"\\u2028" in body}
        assert escaped == {"drf"}
        assert len({json.dumps(json.loads(body)) for body in bodies.values()}) == 1
