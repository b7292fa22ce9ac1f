from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client
from django.urls import reverse
from neapolitan.views import Role  # type: ignore[import-untyped]

from django_six_demos.conference.access import (
    readable_talks,
    speaker_of,
    writable_talks,
)
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.crud.views import SpeakerView, TalkView
from tests.crud.helpers import HTMX, ConferenceTestCase, talk_data

# Outcomes of one attempt.
OK = "allowed"
LOGIN = "sent to sign in"
FORBIDDEN = "403"
NOT_FOUND = "404"

ACTIONS = ("list", "detail", "create", "update", "delete")

# Talks: anyone lists and reads accepted talks; a speaker creates talks and
# changes only their own; staff do everything. The talk is Ada's accepted one.
TALK_MATRIX = {
    "anonymous": dict(zip(ACTIONS, (OK, OK, LOGIN, LOGIN, LOGIN), strict=True)),
    "speaker": dict(zip(ACTIONS, (OK, OK, OK, OK, OK), strict=True)),
    "other speaker": dict(zip(ACTIONS, (OK, OK, OK, FORBIDDEN, FORBIDDEN), strict=True)),
    "staff": dict(zip(ACTIONS, (OK, OK, OK, OK, OK), strict=True)),
    "signed-in visitor": dict(zip(ACTIONS, (OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN), strict=True)),
}

# Speakers: public profiles; a speaker edits their own; staff add and remove.
# The speaker is Ada.
SPEAKER_MATRIX = {
    "anonymous": dict(zip(ACTIONS, (OK, OK, LOGIN, LOGIN, LOGIN), strict=True)),
    "speaker": dict(zip(ACTIONS, (OK, OK, FORBIDDEN, OK, FORBIDDEN), strict=True)),
    "other speaker": dict(zip(ACTIONS, (OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN), strict=True)),
    "staff": dict(zip(ACTIONS, (OK, OK, OK, OK, OK), strict=True)),
    "signed-in visitor": dict(zip(ACTIONS, (OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN), strict=True)),
}


class _Rollback(Exception):
    pass


@dataclass
class Attempt:
    outcome: str
    changed: bool


class PermissionMatrixTestCase(ConferenceTestCase):
    def client_for(self, role: str) -> Client:
        client = Client()
        user = {
            "anonymous": None,
            "speaker": self.ada_user,
            "other speaker": self.grace_user,
            "staff": self.staff,
            "signed-in visitor": self.visitor,
        }[role]
        if user is not None:
            client.force_login(user)
        return client

    def classify(self, response: Any, *, htmx: bool, method: str) -> str:
        login = "/demos/sign-in/?next="
        if htmx and response.get("HX-Redirect", "").startswith(login):
            assert response.status_code == 200
            return LOGIN
        if not htmx and response.status_code == 302 and response["Location"].startswith(login):
            return LOGIN
        if response.status_code == 403:
            return FORBIDDEN
        if response.status_code == 404:
            return NOT_FOUND
        if method == "GET":
            assert response.status_code == 200, response.status_code
        elif htmx:
            # A save or a delete answers htmx with HX-Redirect, not a 302.
            assert response.status_code == 200, response.status_code
            assert response["HX-Redirect"].startswith("/demos/crud/")
        else:
            assert response.status_code == 302, response.status_code
            assert response["Location"].startswith("/demos/crud/")
        return OK

    def attempt(
        self, role: str, url: str, method: str, data: dict[str, Any], *, htmx: bool
    ) -> Attempt:
        """Make one request and report its outcome, then undo whatever it changed."""
        client = self.client_for(role)
        result = None
        try:
            with transaction.atomic():
                before = self.snapshot()
                headers = HTMX if htmx else {}
                if method == "POST":
                    response = client.post(url, data, headers=headers)
                else:
                    response = client.get(url, headers=headers)
                outcome = self.classify(response, htmx=htmx, method=method)
                result = Attempt(outcome, self.snapshot() != before)
                raise _Rollback
        except _Rollback:
            pass
        assert result is not None
        return result

    def snapshot(self) -> list[tuple[Any, ...]]:
        return [
            *Talk.objects.order_by("pk").values_list("pk", "title", "speaker_id", "status"),
            *Speaker.objects.order_by("pk").values_list("pk", "name", "company"),
        ]

    def check_matrix(self, matrix, urls, post_data):
        for role, expected in matrix.items():
            for action in ACTIONS:
                methods = ("GET",) if action in ("list", "detail") else ("GET", "POST")
                for method in methods:
                    for htmx in (False, True):
                        with self.subTest(role=role, action=action, method=method, htmx=htmx):
                            data = post_data.get(action, {})
                            result = self.attempt(role, urls[action], method, data, htmx=htmx)
                            assert result.outcome == expected[action]
                            # Only an allowed POST changes anything.
                            assert result.changed == (method == "POST" and expected[action] == OK)


class TalkMatrixTests(PermissionMatrixTestCase):
    def test_role_by_action_matrix(self):
        talk = self.accepted
        urls = {
            "list": reverse("demos-talk-list"),
            "detail": reverse("demos-talk-detail", args=[talk.pk]),
            "create": reverse("demos-talk-create"),
            "update": reverse("demos-talk-update", args=[talk.pk]),
            "delete": reverse("demos-talk-delete", args=[talk.pk]),
        }
        # Staff also choose the speaker and the status.
        post_data = {
            "create": talk_data(speaker=self.grace.pk, status="submitted"),
            "update": talk_data(title="Renamed", speaker=self.ada.pk, status="accepted"),
        }
        self.check_matrix(TALK_MATRIX, urls, post_data)

    def test_unreadable_talks_are_404_for_every_action(self):
        talk = self.submitted  # Ada's, not accepted yet
        for role in ("anonymous", "other speaker", "signed-in visitor"):
            for name in ("demos-talk-detail", "demos-talk-update", "demos-talk-delete"):
                expected = (
                    LOGIN if role == "anonymous" and name != "demos-talk-detail" else NOT_FOUND
                )
                for method in ("GET", "POST"):
                    if name == "demos-talk-detail" and method == "POST":
                        continue
                    with self.subTest(role=role, name=name, method=method):
                        url = reverse(name, args=[talk.pk])
                        result = self.attempt(role, url, method, talk_data(), htmx=False)
                        assert result.outcome == expected
                        assert not result.changed

    def test_owner_and_staff_read_and_change_unaccepted_talks(self):
        for role in ("speaker", "staff"):
            with self.subTest(role=role):
                url = reverse("demos-talk-update", args=[self.submitted.pk])
                data = talk_data(speaker=self.ada.pk, status="submitted")
                assert self.attempt(role, url, "POST", data, htmx=False).outcome == OK

    def test_missing_talk_is_404_for_staff(self):
        result = self.attempt(
            "staff", reverse("demos-talk-update", args=[999999]), "GET", {}, htmx=False
        )

        assert result.outcome == NOT_FOUND

    def test_forbidden_answer_says_why(self):
        self.client.force_login(self.grace_user)

        response = self.client.get(reverse("demos-talk-update", args=[self.accepted.pk]))

        assert response.status_code == 403
        assert "You can change only your own talks." in response.text
        assert response.templates[0].name == "django_six_demos/crud/forbidden.html"

    def test_sign_in_keeps_where_the_visitor_was_going(self):
        url = reverse("demos-talk-update", args=[self.accepted.pk])

        plain = self.client.get(url)
        htmx = self.client.get(url, headers=HTMX)

        expected = f"/demos/sign-in/?next={url}"
        assert plain["Location"] == expected
        assert htmx["HX-Redirect"] == expected


class SpeakerMatrixTests(PermissionMatrixTestCase):
    def test_role_by_action_matrix(self):
        speaker = self.ada
        urls = {
            "list": reverse("demos-speaker-list"),
            "detail": reverse("demos-speaker-detail", args=[speaker.pk]),
            "create": reverse("demos-speaker-create"),
            "update": reverse("demos-speaker-update", args=[speaker.pk]),
            "delete": reverse("demos-speaker-delete", args=[speaker.pk]),
        }
        post_data = {
            "create": {"name": "Barbara Liskov", "company": "MIT", "bio": ""},
            "update": {"name": "Ada, Countess of Lovelace", "company": "", "bio": "Poet."},
        }
        self.check_matrix(SPEAKER_MATRIX, urls, post_data)


class ListButtonTests(ConferenceTestCase):
    """The list shows Edit and Delete only where the view would allow them."""

    def test_each_role_sees_buttons_only_for_what_it_may_change(self):
        expected = {
            None: set(),
            self.visitor: set(),
            self.ada_user: {self.accepted.pk, self.submitted.pk},
            self.grace_user: {self.graces.pk},
            self.staff: {self.accepted.pk, self.submitted.pk, self.graces.pk},
        }
        for user, changeable in expected.items():
            with self.subTest(user=user):
                self.client.logout()
                if user is not None:
                    self.client.force_login(user)
                response = self.client.get(reverse("demos-talk-list"))
                assert response.context_data is not None
                shown = {
                    talk.pk
                    for talk in response.context_data["talk_list"]
                    if reverse("demos-talk-update", args=[talk.pk]) in response.text
                }
                assert shown == changeable
                assert response.context_data["changeable"] == changeable

    def test_speaker_list_shows_edit_only_on_the_own_profile(self):
        self.client.force_login(self.ada_user)

        response = self.client.get(reverse("demos-speaker-list"))

        assert reverse("demos-speaker-update", args=[self.ada.pk]) in response.text
        assert reverse("demos-speaker-update", args=[self.grace.pk]) not in response.text


class RuleTests(ConferenceTestCase):
    def test_readable_talks(self):
        everyone = {self.accepted, self.graces}
        assert set(readable_talks(AnonymousUser(), None)) == everyone
        assert set(readable_talks(self.grace_user, self.grace)) == everyone
        assert set(readable_talks(self.ada_user, self.ada)) == everyone | {self.submitted}
        assert set(readable_talks(self.staff, None)) == everyone | {self.submitted}

    def test_writable_talks(self):
        assert list(writable_talks(AnonymousUser(), None)) == []
        assert list(writable_talks(self.visitor, None)) == []
        assert set(writable_talks(self.ada_user, self.ada)) == {self.accepted, self.submitted}
        assert set(writable_talks(self.staff, None)) == {
            self.accepted,
            self.submitted,
            self.graces,
        }

    def test_speaker_of(self):
        assert speaker_of(self.ada_user) == self.ada
        assert speaker_of(self.visitor) is None
        assert speaker_of(AnonymousUser()) is None

    def test_url_names_are_bare_and_prefixed(self):
        assert TalkView.url_base == "demos-talk"
        assert SpeakerView.url_base == "demos-speaker"
        assert reverse("demos-talk-list") == "/demos/crud/demos-talk/"
        assert reverse("demos-speaker-create") == "/demos/crud/demos-speaker/new/"
        assert {role.value for role in Role} == {"list", "detail", "create", "update", "delete"}
