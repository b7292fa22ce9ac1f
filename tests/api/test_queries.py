"""Queries per request: the same in every flavour, whatever the page size and the table size."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from django_six_demos.api.flavours import FLAVOURS
from django_six_demos.conference.models import Talk
from tests.api.helpers import NAMES, ConferenceTestCase


def more_talks(speaker: Any, count: int) -> None:
    Talk.objects.bulk_create(
        Talk(
            title=f"Talk {number:04}",
            slug=f"talk-{number}",
            speaker=speaker,
            abstract="An abstract long enough for every flavour's minimum.",
            track=Talk.Track.WEB,
            level=Talk.Level.BEGINNER,
            status=Talk.Status.ACCEPTED,
            duration=30,
        )
        for number in range(count)
    )


class QueryCountTests(ConferenceTestCase):
    def queries(self, client: Client, path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, path
        return len(captured)

    def counts(self, user: Any, query: str = "", detail: bool = False) -> dict[str, int]:
        client = self.client_for(user)
        return {
            f.name: self.queries(
                client, f.detail_url(self.accepted.pk) if detail else f.list_url() + query
            )
            for f in FLAVOURS
        }

    def test_every_flavour_makes_the_same_queries(self):
        for user in (None, self.ada_user, self.visitor, self.staff):
            for query in ("", "?track=web&level=beginner", "?page=2&page_size=1"):
                with self.subTest(user=str(user), query=query):
                    counts = self.counts(user, query)
                    assert counts == dict.fromkeys(NAMES, counts[NAMES[0]])
            with self.subTest(user=str(user), detail=True):
                counts = self.counts(user, detail=True)
                assert counts == dict.fromkeys(NAMES, counts[NAMES[0]])

    def test_an_anonymous_list_is_a_count_and_a_page_and_a_detail_one_query(self):
        assert self.counts(None) == dict.fromkeys(NAMES, 2)
        assert self.counts(None, detail=True) == dict.fromkeys(NAMES, 1)

    def test_the_count_does_not_grow_with_the_page_or_the_table(self):
        more_talks(self.grace, 6)  # 10 talks
        users = (None, self.ada_user, self.staff)
        small = {
            (str(user), size): self.counts(user, f"?page_size={size}")
            for user in users
            for size in (1, 10)
        }
        details = {str(user): self.counts(user, detail=True) for user in users}

        Talk.objects.filter(slug__startswith="talk-").delete()
        more_talks(self.grace, 996)  # 1,000 talks

        large = {
            (str(user), size): self.counts(user, f"?page_size={size}")
            for user in users
            for size in (1, 10)
        }
        assert Talk.objects.count() == 1000
        assert large == small
        for user in users:
            counts = {size: small[str(user), size] for size in (1, 10)}
            assert counts[1] == counts[10], user
        assert {str(user): self.counts(user, detail=True) for user in users} == details

    def test_a_page_of_a_hundred_is_as_many_queries_as_a_page_of_one(self):
        more_talks(self.grace, 150)
        for user in (None, self.ada_user, self.staff):
            with self.subTest(user=str(user)):
                assert self.counts(user, "?page_size=100") == self.counts(user, "?page_size=1")
