"""The talk list's queries do not grow with the number of talks (fetch modes, 6.1)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User as AuthUser
from django.core.paginator import Paginator
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_six_demos import compat
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.crud.views import TALKS_PER_PAGE
from tests.crud.helpers import HTMX, User

LIST = reverse("demos-talk-list")
SPEAKERS = 25


def add_talks(count: int) -> None:
    """Add accepted talks spread over many speakers, so that each row needs its own."""
    speakers = list(Speaker.objects.order_by("pk"))
    start = Talk.objects.count()
    Talk.objects.bulk_create(
        Talk(
            title=f"Talk {number:05d}",
            slug=f"talk-{number:05d}",
            speaker=speakers[number % len(speakers)],
            abstract="An abstract.",
            track=Talk.Track.DATA,
            level=Talk.Level.ADVANCED,
            status=Talk.Status.ACCEPTED,
            duration=25,
        )
        for number in range(start, start + count)
    )


class ListQueryCountTests(TestCase):
    ada_user: AuthUser
    staff: AuthUser

    @classmethod
    def setUpTestData(cls):
        cls.ada_user = User.objects.create_user("ada")
        cls.staff = User.objects.create_user("staff", is_staff=True)
        Speaker.objects.create(name="Ada Lovelace", slug="ada", user=cls.ada_user)
        Speaker.objects.bulk_create(
            Speaker(name=f"Speaker {number:02d}", slug=f"speaker-{number:02d}")
            for number in range(SPEAKERS - 1)
        )

    def count_queries(self, **kwargs: Any) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(LIST, **kwargs)
        assert response.status_code == 200
        return len(queries)

    def test_the_same_number_of_queries_for_10_and_1000_talks(self):
        users = {"anonymous": None, "speaker": self.ada_user, "staff": self.staff}
        add_talks(10)
        small = {}
        for name, user in users.items():
            self.client.logout()
            if user is not None:
                self.client.force_login(user)
            for headers in ({}, HTMX):
                small[name, bool(headers)] = self.count_queries(
                    data={"page": "last"}, headers=headers
                )

        add_talks(990)

        for name, user in users.items():
            self.client.logout()
            if user is not None:
                self.client.force_login(user)
            for headers in ({}, HTMX):
                with self.subTest(user=name, htmx=bool(headers)):
                    # A full page of rows, from the middle of the list.
                    large = self.count_queries(data={"page": "50"}, headers=headers)
                    assert large == small[name, bool(headers)]

    def test_the_reported_naive_count_is_what_a_plain_queryset_costs(self):
        add_talks(30)
        response = self.client.get(LIST, {"page": "2"})
        assert response.context_data is not None
        reported = response.context_data["list_queries"]

        # The same page, the plain way: each row's speaker is a query of its own.
        with CaptureQueriesContext(connection) as queries:
            paginator = Paginator(Talk.objects.filter(status=Talk.Status.ACCEPTED), TALKS_PER_PAGE)
            names = [talk.speaker.name for talk in paginator.page(2).object_list]

        assert len(names) == TALKS_PER_PAGE
        assert reported.naive == len(queries) == 2 + TALKS_PER_PAGE
        assert reported.used == (3 if compat.HAS_FETCH_MODES else 2)
        assert reported.used < reported.naive


class PeersFetchingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        speakers = Speaker.objects.bulk_create(
            Speaker(name=f"Speaker {number}", slug=f"speaker-{number}") for number in range(5)
        )
        for number, speaker in enumerate(speakers):
            Talk.objects.create(
                title=f"Talk {number}",
                slug=f"talk-{number}",
                speaker=speaker,
                abstract="An abstract.",
                track=Talk.Track.WEB,
                level=Talk.Level.BEGINNER,
                duration=25,
            )

    def test_related_rows_cost_at_most_one_query_in_all(self):
        with CaptureQueriesContext(connection) as queries:
            names = [t.speaker.name for t in compat.peers_fetching(Talk.objects.all(), "speaker")]

        assert len(names) == 5
        assert len(queries) == (2 if compat.HAS_FETCH_MODES else 1)

    @pytest.mark.skipif(not compat.HAS_FETCH_MODES, reason="Django 6.1+")
    def test_django_61_sets_the_peers_fetch_mode(self):
        from django.db.models import FETCH_PEERS

        queryset = compat.peers_fetching(Talk.objects.all(), "speaker")

        # django-stubs declares the fetch_mode() method, not the private attribute it sets.
        assert queryset._fetch_mode is FETCH_PEERS  # type: ignore[attr-defined]
        assert queryset.query.select_related is False

    @pytest.mark.skipif(compat.HAS_FETCH_MODES, reason="Django < 6.1")
    def test_older_lines_join_the_named_relations(self):
        queryset = compat.peers_fetching(Talk.objects.all(), "speaker")

        assert queryset.query.select_related == {"speaker": {}}
        assert not hasattr(queryset, "fetch_mode")
