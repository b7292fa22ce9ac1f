"""The rules every flavour shares (django_six_demos.api.talks): list parameters, methods,
the write limits, the cap, and saving all or nothing.
"""

from __future__ import annotations

from unittest import mock

from django.core.cache import caches

from django_six_demos import limits
from django_six_demos.api import talks
from django_six_demos.api.flavours import FLAVOURS
from django_six_demos.conference.models import Talk
from tests.api.helpers import ConferenceTestCase, make_talk, patch_json, post_json, rows, talk_data

PER_USER = int(talks.WRITE_RATE.per_user.split("/")[0])


class ListParameterTests(ConferenceTestCase):
    def test_a_bad_value_is_422_naming_the_parameter(self):
        cases = {
            "?track=keynote": "track",
            "?level=expert": "level",
            "?track=": "track",  # empty is a bad value, not an absent one
            "?level=&track=web": "level",
            "?page=0": "page",
            "?page=-1": "page",
            "?page=two": "page",
            "?page=": "page",
            "?page_size=0": "page_size",
            "?page_size=101": "page_size",
            "?page_size=ten": "page_size",
        }
        for query, parameter in cases.items():
            for flavour in FLAVOURS:
                with self.subTest(query=query, flavour=flavour.name):
                    response = self.client.get(flavour.list_url() + query)

                    assert response.status_code == 422
                    answer = response.json()
                    assert answer["detail"]
                    assert answer["errors"][parameter]

    def test_a_page_past_the_last_is_404(self):
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                last = self.client.get(flavour.list_url() + "?page_size=1&page=2")
                past = self.client.get(flavour.list_url() + "?page_size=1&page=3")

                assert last.status_code == 200
                assert last.json()["pages"] == 2
                assert past.status_code == 404
                assert past.json()["detail"]

    def test_the_default_page_is_the_first_of_twenty(self):
        for number in range(25):
            make_talk(self.grace, f"talk-{number:02}")
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                page = self.client.get(flavour.list_url()).json()

                assert (page["count"], page["page"], page["pages"]) == (27, 1, 2)
                assert len(page["results"]) == talks.PAGE_SIZE


class MethodTests(ConferenceTestCase):
    def test_other_methods_are_405_and_change_nothing(self):
        self.client.force_login(self.staff)
        before = rows()
        for flavour in FLAVOURS:
            list_url, detail_url = flavour.list_url(), flavour.detail_url(self.accepted.pk)
            with self.subTest(flavour.name):
                assert self.client.put(detail_url, talk_data()).status_code == 405
                assert self.client.delete(detail_url).status_code == 405
                assert post_json(self.client, detail_url, talk_data()).status_code == 405
                assert patch_json(self.client, list_url, {"title": "All"}).status_code == 405
                assert self.client.delete(list_url).status_code == 405
        assert rows() == before


class WriteLimitTests(ConferenceTestCase):
    def use_up_the_limit(self) -> None:
        for cache in caches.all():
            cache.clear()
        for number in range(PER_USER):
            response = patch_json(
                self.client, self.flavour.detail_url(self.accepted.pk), {"duration": 30 + number}
            )
            assert response.status_code == 200, number

    def test_past_the_per_user_limit_writes_are_429_and_store_nothing(self):
        self.client.force_login(self.ada_user)
        for flavour in FLAVOURS:
            self.flavour = flavour
            with self.subTest(flavour.name):
                self.use_up_the_limit()
                before = rows()

                edited = patch_json(
                    self.client, flavour.detail_url(self.accepted.pk), {"duration": 90}
                )
                created = post_json(self.client, flavour.list_url(), talk_data())

                for response in (edited, created):
                    assert response.status_code == 429
                    assert 0 < int(response["Retry-After"]) <= 60
                    assert "Too many" in response.json()["detail"]
                assert rows() == before

    def test_reads_are_not_limited(self):
        self.client.force_login(self.ada_user)
        self.flavour = FLAVOURS[0]
        self.use_up_the_limit()
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                assert self.client.get(flavour.list_url()).status_code == 200

    def test_one_address_is_limited_across_users_and_flavours(self):
        rate = limits.Rate(per_user="100/m", per_ip="3/h")
        with mock.patch.object(talks, "WRITE_RATE", rate):
            answers = []
            for user, flavour in zip(
                (self.ada_user, self.grace_user, self.staff, self.ada_user),
                FLAVOURS * 2,
                strict=False,
            ):
                self.client.force_login(user)
                talk = self.graces if user == self.grace_user else self.accepted
                response = patch_json(
                    self.client, flavour.detail_url(talk.pk), {"title": "Renamed"}
                )
                answers.append(response.status_code)

        assert answers == [200, 200, 200, 429]

    def test_refused_and_invalid_writes_are_not_counted(self):
        self.client.force_login(self.ada_user)
        for flavour in FLAVOURS:
            for _ in range(PER_USER):
                patch_json(self.client, flavour.detail_url(self.graces.pk), {"title": "Mine"})
                patch_json(self.client, flavour.detail_url(self.accepted.pk), {"duration": 1})
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                response = patch_json(
                    self.client, flavour.detail_url(self.accepted.pk), {"duration": 60}
                )

                assert response.status_code == 200


class CapTests(ConferenceTestCase):
    def test_a_speaker_with_the_most_talks_cannot_propose_another(self):
        for number in range(talks.MAX_TALKS_PER_SPEAKER - 2):  # Ada has two
            make_talk(self.ada, f"more-{number}", status=Talk.Status.REJECTED)
        self.client.force_login(self.ada_user)
        before = rows()
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                response = post_json(self.client, flavour.list_url(), talk_data())

                assert response.status_code == 403
                assert f"at most {talks.MAX_TALKS_PER_SPEAKER} talks" in response.json()["detail"]
        assert rows() == before

    def test_the_cap_is_per_speaker(self):
        for number in range(talks.MAX_TALKS_PER_SPEAKER - 2):
            make_talk(self.ada, f"more-{number}")
        self.client.force_login(self.grace_user)

        response = post_json(self.client, FLAVOURS[0].list_url(), talk_data())

        assert response.status_code == 201


class SaveTests(ConferenceTestCase):
    def test_a_new_talk_gets_a_unique_slug_and_the_submitted_status(self):
        self.client.force_login(self.ada_user)
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                response = post_json(self.client, flavour.list_url(), talk_data(title="Engines"))

                assert response.status_code == 201
                answer = response.json()
                talk = Talk.objects.get(pk=answer["id"])
                assert answer["slug"] == talk.slug
                assert talk.slug.startswith("engines-")
                assert (answer["status"], answer["speaker"]["id"]) == ("submitted", self.ada.pk)

    def test_a_slug_race_is_409_and_saves_nothing(self):
        self.client.force_login(self.ada_user)
        before = rows()
        with mock.patch.object(talks, "unique_slug", return_value=self.accepted.slug):
            for flavour in FLAVOURS:
                with self.subTest(flavour.name):
                    response = post_json(self.client, flavour.list_url(), talk_data())

                    assert response.status_code == 409
                    assert response.json()["detail"] == talks.CONFLICT
        assert rows() == before

    def test_an_edit_keeps_the_slug(self):
        self.client.force_login(self.ada_user)
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                response = patch_json(
                    self.client, flavour.detail_url(self.accepted.pk), {"title": "New name"}
                )

                assert response.json()["slug"] == "engines"
