"""Chapter 7's plain JSON views: what ``JsonResponse`` writes, and the queries behind it.

Accepted talks only, one query however many talks, a 404 for any other talk, GET only; the
bytes as ``JsonResponse`` writes them by default (spaces, escaped non-ASCII, milliseconds).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from django.http import JsonResponse
from django.test import TestCase, override_settings
from django.urls import reverse

from django_six_demos.conference.models import Speaker, Talk
from tests.settings import STARTPROJECT_MIDDLEWARE
from tests.tutorial.api import views

CREATED = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)


@override_settings(ROOT_URLCONF="tests.tutorial.api.urls", MIDDLEWARE=STARTPROJECT_MIDDLEWARE)
class PlainJsonTests(TestCase):
    ada: Speaker
    accepted: Talk
    submitted: Talk

    @classmethod
    def setUpTestData(cls):
        cls.ada = Speaker.objects.create(name="Ada Lovelace", slug="ada")
        cls.accepted = cls.talk("Café notes", Talk.Status.ACCEPTED)
        cls.submitted = cls.talk("Not announced yet", Talk.Status.SUBMITTED)
        Talk.objects.update(created_at=CREATED)

    @classmethod
    def talk(cls, title, status):
        return Talk.objects.create(
            title=title,
            slug=title.lower().replace(" ", "-"),
            speaker=cls.ada,
            abstract="What the Analytical Engine could do.",
            track=Talk.Track.DATA,
            level=Talk.Level.ADVANCED,
            status=status,
            duration=45,
        )

    def expected(self, talk):
        return {
            "id": talk.pk,
            "title": talk.title,
            "track": "data",
            "duration": 45,
            "speaker": {"id": self.ada.pk, "name": "Ada Lovelace"},
            # DjangoJSONEncoder: ISO 8601 in UTC with a Z, cut to milliseconds.
            "created_at": "2026-01-02T03:04:05.123Z",
        }

    def test_the_list_is_the_accepted_talks_as_json(self):
        response = self.client.get(reverse("talk-list"))

        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"results": [self.expected(self.accepted)]}

    def test_the_list_takes_one_query_however_many_talks(self):
        for number in range(20):
            self.talk(f"Talk {number}", Talk.Status.ACCEPTED)

        with self.assertNumQueries(1):
            response = self.client.get(reverse("talk-list"))

        assert len(response.json()["results"]) == 21

    def test_one_talk(self):
        response = self.client.get(reverse("talk-detail", args=[self.accepted.pk]))

        assert response.status_code == 200
        assert response.json() == self.expected(self.accepted)

    def test_only_the_fields_the_view_names_are_sent(self):
        sent = self.client.get(reverse("talk-detail", args=[self.accepted.pk])).json()

        assert list(sent) == list(views.talk_data(self.accepted))
        assert "abstract" not in sent
        assert "status" not in sent

    def test_a_talk_not_accepted_is_a_404_as_if_it_did_not_exist(self):
        unknown = self.client.get(reverse("talk-detail", args=[self.submitted.pk + 100]))
        hidden = self.client.get(reverse("talk-detail", args=[self.submitted.pk]))

        assert unknown.status_code == hidden.status_code == 404

    def test_only_get(self):
        response = self.client.post(reverse("talk-list"))

        assert response.status_code == 405
        assert response["Allow"] == "GET"

    def test_by_default_json_response_writes_spaces_and_escapes_non_ascii(self):
        response = self.client.get(reverse("talk-detail", args=[self.accepted.pk]))

        assert response.content.startswith(
            f'{{"id": {self.accepted.pk}, "title": "Caf\\u00e9 notes", "track": "data"'.encode()
        )

    def test_a_list_at_the_top_needs_safe_false(self):
        with pytest.raises(TypeError, match="safe parameter to False"):
            JsonResponse([1, 2])

        assert JsonResponse([1, 2], safe=False).content == b"[1, 2]"
