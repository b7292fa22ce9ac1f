"""Who reads and writes which talks, in every flavour: one matrix, and CSRF on every write.

Anonymous visitors read accepted talks; a speaker also their own, and proposes and edits
them; staff read and edit all but, without a speaker profile, propose none.
"""

from __future__ import annotations

from typing import Any

from django.test import Client, override_settings
from django.urls import reverse

from django_six_demos.api.flavours import FLAVOURS, Flavour
from django_six_demos.conference.models import Talk
from tests.api.helpers import ConferenceTestCase, patch_json, post_json, rows, talk_data

# Who is asking: a user attribute of ConferenceTestCase, or None for an anonymous visitor.
ASKERS = ("anonymous", "ada_user", "grace_user", "staff", "visitor")


# The write limits have their own tests (test_talks.py): here one user writes in every flavour.
@override_settings(RATELIMIT_ENABLE=False)
class PermissionMatrixTests(ConferenceTestCase):
    def asker(self, name: str) -> Any:
        return None if name == "anonymous" else getattr(self, name)

    def listed(self, client: Client, flavour: Flavour) -> set[int]:
        response = client.get(flavour.list_url())
        assert response.status_code == 200
        return {talk["id"] for talk in response.json()["results"]}

    def test_each_asker_lists_the_talks_they_may_read(self):
        ids = {
            "anonymous": {self.accepted.pk, self.graces.pk},
            "ada_user": {self.accepted.pk, self.submitted.pk, self.graces.pk},
            "grace_user": {self.accepted.pk, self.graces.pk, self.graces_submitted.pk},
            "staff": {t.pk for t in Talk.objects.all()},
            "visitor": {self.accepted.pk, self.graces.pk},
        }
        for name in ASKERS:
            client = self.client_for(self.asker(name))
            for flavour in FLAVOURS:
                with self.subTest(asker=name, flavour=flavour.name):
                    assert self.listed(client, flavour) == ids[name]

    def test_each_asker_opens_the_talks_they_may_read_and_no_other(self):
        readers_of_the_submitted = {"ada_user", "staff"}
        for name in ASKERS:
            client = self.client_for(self.asker(name))
            for flavour in FLAVOURS:
                with self.subTest(asker=name, flavour=flavour.name):
                    visible = client.get(flavour.detail_url(self.accepted.pk))
                    hidden = client.get(flavour.detail_url(self.submitted.pk))
                    missing = client.get(flavour.detail_url(999_999))

                    assert visible.status_code == 200
                    # 404, never 403: a 403 would say that the talk exists.
                    expected = 200 if name in readers_of_the_submitted else 404
                    assert hidden.status_code == expected
                    assert missing.status_code == 404
                    assert missing.json()["detail"]

    def test_only_speakers_propose_talks(self):
        expected = {
            "anonymous": 403,
            "ada_user": 201,
            "grace_user": 201,
            "staff": 403,  # no speaker profile: whose talk would it be?
            "visitor": 403,
        }
        for name in ASKERS:
            client = self.client_for(self.asker(name))
            for flavour in FLAVOURS:
                with self.subTest(asker=name, flavour=flavour.name):
                    before = Talk.objects.count()
                    title = f"Proposed by {name} through {flavour.name}"

                    response = post_json(client, flavour.list_url(), talk_data(title=title))

                    assert response.status_code == expected[name]
                    assert response.json()["detail" if expected[name] == 403 else "title"]
                    created = Talk.objects.filter(title=title)
                    assert Talk.objects.count() == before + (expected[name] == 201)
                    if expected[name] == 201:
                        talk = created.get()
                        assert talk.speaker.user == self.asker(name)
                        assert talk.status == Talk.Status.SUBMITTED
                        assert response.json()["id"] == talk.pk

    def test_speakers_edit_their_own_talks_and_staff_every_talk(self):
        # (asker, talk) -> status: 403 where the asker may read the talk, 404 where not.
        expected = {
            ("anonymous", "accepted"): 403,
            ("anonymous", "submitted"): 403,  # signing in comes first
            ("ada_user", "accepted"): 200,
            ("ada_user", "submitted"): 200,
            ("grace_user", "accepted"): 403,
            ("grace_user", "submitted"): 404,
            ("staff", "accepted"): 200,
            ("staff", "submitted"): 200,
            ("visitor", "accepted"): 403,
            ("visitor", "submitted"): 404,
        }
        for (name, which), status in expected.items():
            client = self.client_for(self.asker(name))
            talk: Talk = getattr(self, which)
            for flavour in FLAVOURS:
                with self.subTest(asker=name, talk=which, flavour=flavour.name):
                    before = rows()
                    title = f"Edited by {name} through {flavour.name}"

                    response = patch_json(client, flavour.detail_url(talk.pk), {"title": title})

                    assert response.status_code == status
                    talk.refresh_from_db()
                    if status == 200:
                        assert talk.title == title
                        assert response.json()["title"] == title
                        # The speaker and the status are not the editor's.
                        assert talk.speaker == self.ada
                        assert talk.status == getattr(self, which).status
                    else:
                        assert response.json()["detail"]
                        assert rows() == before


class CsrfTests(ConferenceTestCase):
    def signed_in(self) -> tuple[Client, str]:
        """Ada's browser: a session and, from a page, the CSRF cookie and token."""
        client = self.client_for(self.ada_user, enforce_csrf_checks=True)
        page = client.get(reverse("django_six_demos_index"))
        return client, str(page.context["csrf_token"])

    def test_writes_without_the_token_are_refused(self):
        client, _ = self.signed_in()
        before = rows()
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                created = post_json(client, flavour.list_url(), talk_data())
                edited = patch_json(client, flavour.detail_url(self.accepted.pk), {"duration": 60})

                assert (created.status_code, edited.status_code) == (403, 403)
                assert b"CSRF" in created.content
                assert b"CSRF" in edited.content
        assert rows() == before

    def test_a_wrong_token_is_refused(self):
        client, _ = self.signed_in()
        headers = {"X-CSRFToken": "x" * 32}
        before = rows()
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                response = post_json(client, flavour.list_url(), talk_data(), headers=headers)

                assert response.status_code == 403
        assert rows() == before

    def test_writes_with_the_token_pass(self):
        client, token = self.signed_in()
        headers = {"X-CSRFToken": token}
        for number, flavour in enumerate(FLAVOURS):
            with self.subTest(flavour.name):
                title = f"With a token, {number}"
                created = post_json(
                    client, flavour.list_url(), talk_data(title=title), headers=headers
                )
                edited = patch_json(
                    client, flavour.detail_url(self.accepted.pk), {"duration": 60}, headers=headers
                )

                assert (created.status_code, edited.status_code) == (201, 200)
                assert Talk.objects.filter(title=title).exists()
