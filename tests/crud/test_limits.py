"""How often rows may be saved or deleted, and how many talks a speaker may have.

The role checks come first (tests/crud/test_permissions.py); past them, every
save and delete counts against a per-user and a per-address limit, and a
speaker's proposals stop at ``MAX_TALKS_PER_SPEAKER``.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.test import Client
from django.urls import reverse

from django_six_demos import limits
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.crud import permissions
from django_six_demos.crud.permissions import WRITE_RATE
from django_six_demos.crud.views import MAX_TALKS_PER_SPEAKER
from tests.crud.helpers import (
    HTMX,
    ConferenceTestCase,
    make_talk,
    talk_data,
)

CREATE = reverse("demos-talk-create")
PER_USER = int(WRITE_RATE.per_user.split("/")[0])


def snapshot() -> list[tuple[Any, ...]]:
    return [
        *Talk.objects.order_by("pk").values_list("pk", "title", "speaker_id", "status"),
        *Speaker.objects.order_by("pk").values_list("pk", "name", "company"),
    ]


class WriteLimitTests(ConferenceTestCase):
    def update_url(self, talk: Talk) -> str:
        return reverse("demos-talk-update", args=[talk.pk])

    def use_up_the_limit(self, user: Any) -> None:
        self.client.force_login(user)
        # Staff's form also has the speaker and the status.
        extra = {"speaker": self.ada.pk, "status": "accepted"} if user.is_staff else {}
        for number in range(PER_USER):
            response = self.client.post(
                self.update_url(self.accepted), talk_data(title=f"Renamed {number}", **extra)
            )
            assert response.status_code == 302, number

    def test_past_the_per_user_limit_saves_are_429_and_store_nothing(self):
        self.use_up_the_limit(self.ada_user)
        before = snapshot()

        response = self.client.post(self.update_url(self.accepted), talk_data(title="One more"))

        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 60
        assert "Too many changes in a short time" in response.text
        assert snapshot() == before

    def test_creates_and_deletes_count_and_are_refused_too(self):
        self.use_up_the_limit(self.ada_user)
        before = snapshot()

        created = self.client.post(CREATE, talk_data())
        deleted = self.client.post(reverse("demos-talk-delete", args=[self.submitted.pk]))

        assert (created.status_code, deleted.status_code) == (429, 429)
        assert snapshot() == before

    def test_speakers_count_against_the_same_limit(self):
        self.use_up_the_limit(self.ada_user)
        url = reverse("demos-speaker-update", args=[self.ada.pk])

        response = self.client.post(url, {"name": "Ada, Countess of Lovelace"})

        assert response.status_code == 429
        assert Speaker.objects.get(pk=self.ada.pk).name == "Ada Lovelace"

    def test_htmx_gets_the_refusal_as_a_notice_and_keeps_the_form(self):
        self.use_up_the_limit(self.ada_user)

        response = self.client.post(
            self.update_url(self.accepted), talk_data(title="One more"), headers=HTMX
        )

        assert response.status_code == 429
        assert response["HX-Retarget"] == limits.NOTICE_TARGET
        assert response["HX-Reswap"] == "innerHTML"
        assert "<html" not in response.text
        assert "Too many changes in a short time" in response.text

    def test_staff_are_limited_too(self):
        self.use_up_the_limit(self.staff)

        response = self.client.post(
            self.update_url(self.graces),
            talk_data(title="One more", speaker=self.grace.pk, status="accepted"),
        )

        assert response.status_code == 429

    def test_another_user_is_counted_apart(self):
        self.use_up_the_limit(self.ada_user)
        grace = Client()
        grace.force_login(self.grace_user)

        response = grace.post(self.update_url(self.graces), talk_data(title="Grace's own"))

        assert response.status_code == 302

    def test_one_address_is_limited_across_users(self):
        # The real per-address limit is far above the per-user one; a small
        # one shows that it counts every user's saves together.
        rate = limits.Rate(per_user=WRITE_RATE.per_user, per_ip="3/h")
        clients = {}
        for user in (self.ada_user, self.grace_user):
            clients[user] = Client()
            clients[user].force_login(user)
        with mock.patch.object(permissions, "WRITE_RATE", rate):
            answers = [
                clients[self.ada_user].post(self.update_url(self.accepted), talk_data()),
                clients[self.grace_user].post(self.update_url(self.graces), talk_data()),
                clients[self.ada_user].post(self.update_url(self.accepted), talk_data()),
            ]
            refused = clients[self.grace_user].post(self.update_url(self.graces), talk_data())
            elsewhere = Client(REMOTE_ADDR="198.51.100.7")
            elsewhere.force_login(self.grace_user)
            from_elsewhere = elsewhere.post(self.update_url(self.graces), talk_data())

        assert [answer.status_code for answer in answers] == [302, 302, 302]
        assert refused.status_code == 429
        assert from_elsewhere.status_code == 302

    def test_forms_with_errors_and_refusals_are_not_counted(self):
        self.client.force_login(self.grace_user)
        for _ in range(PER_USER + 2):
            # A form error (422), then a talk that is not Grace's (403).
            bad = self.client.post(self.update_url(self.graces), talk_data(duration="abc"))
            foreign = self.client.post(self.update_url(self.accepted), talk_data())
            assert (bad.status_code, foreign.status_code) == (422, 403)

        response = self.client.post(self.update_url(self.graces), talk_data(title="At last"))

        assert response.status_code == 302

    def test_anonymous_posts_are_sent_to_sign_in_before_any_count(self):
        for _ in range(PER_USER + 2):
            response = self.client.post(self.update_url(self.accepted), talk_data())
            assert response["Location"].startswith("/demos/sign-in/")
        self.client.force_login(self.ada_user)

        assert self.client.post(self.update_url(self.accepted), talk_data()).status_code == 302


class TalkCapTests(ConferenceTestCase):
    """Ada has two talks; the cap counts every status."""

    def fill_to(self, count: int) -> None:
        have = Talk.objects.filter(speaker=self.ada).count()
        for number in range(count - have):
            make_talk(self.ada, f"filler-{number}", status=Talk.Status.REJECTED)

    def test_a_speaker_at_the_cap_gets_a_form_error_and_nothing_is_stored(self):
        self.fill_to(MAX_TALKS_PER_SPEAKER)
        self.client.force_login(self.ada_user)
        before = snapshot()
        for headers in ({}, HTMX):
            response = self.client.post(CREATE, talk_data(), headers=headers)

            assert response.status_code == 422
            assert (
                f"A speaker may have at most {MAX_TALKS_PER_SPEAKER} talks: "
                "delete one to propose another." in response.text
            )
            assert 'value="Fetch modes in practice"' in response.text  # the form keeps its input
        assert snapshot() == before

    def test_one_below_the_cap_a_speaker_may_still_propose(self):
        self.fill_to(MAX_TALKS_PER_SPEAKER - 1)
        self.client.force_login(self.ada_user)

        response = self.client.post(CREATE, talk_data())

        assert response.status_code == 302
        assert Talk.objects.filter(speaker=self.ada).count() == MAX_TALKS_PER_SPEAKER

    def test_deleting_a_talk_makes_room(self):
        self.fill_to(MAX_TALKS_PER_SPEAKER)
        self.client.force_login(self.ada_user)
        assert self.client.post(CREATE, talk_data()).status_code == 422

        self.client.post(reverse("demos-talk-delete", args=[self.submitted.pk]))

        assert self.client.post(CREATE, talk_data()).status_code == 302

    def test_staff_are_not_capped(self):
        self.fill_to(MAX_TALKS_PER_SPEAKER)
        self.client.force_login(self.staff)

        response = self.client.post(CREATE, talk_data(speaker=self.ada.pk, status="accepted"))

        assert response.status_code == 302
        assert Talk.objects.filter(speaker=self.ada).count() == MAX_TALKS_PER_SPEAKER + 1

    def test_other_speakers_are_counted_apart(self):
        self.fill_to(MAX_TALKS_PER_SPEAKER)
        self.client.force_login(self.grace_user)

        assert self.client.post(CREATE, talk_data()).status_code == 302
