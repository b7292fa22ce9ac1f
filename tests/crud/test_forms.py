"""Hostile and property-based input to every form of the CRUD demo.

Valid data (drawn by Hypothesis from the forms themselves) must round-trip;
bad data must give a form error (422), a 400 or a 403: never a 500, and never
a row half written.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase
from hypothesis.extra.django import from_form

from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.crud.forms import SpeakerForm, StaffTalkForm, TalkForm
from tests.crud.helpers import HTMX, ConferenceTestCase, talk_data

User = get_user_model()
CREATE = reverse("demos-talk-create")
# hypothesis types from_form() for Form subclasses; it takes any BaseForm,
# ModelForms included (the arg-type ignores below).
# Bounded: each example is a request through the whole stack.
EXAMPLES = settings(max_examples=20, deadline=None)
# Deferred: the speakers exist only once setUpTestData has run.
SPEAKER_PKS = st.deferred(
    lambda: st.sampled_from(list(Speaker.objects.order_by("pk").values_list("pk", flat=True)))
)


def snapshot() -> list[tuple[Any, ...]]:
    return [
        *Talk.objects.order_by("pk").values_list(
            "pk", "title", "slug", "abstract", "track", "level", "status", "duration", "speaker_id"
        ),
        *Speaker.objects.order_by("pk").values_list("pk", "name", "slug", "company", "bio"),
    ]


def _pk(response: Any) -> int:
    return int(response["Location"].rstrip("/").rsplit("/", 1)[1])


# Each example is one more save by the same user within a minute: past the
# rate limit by design. The limits have their own tests (tests/crud/test_limits.py).
@override_settings(RATELIMIT_ENABLE=False)
class RoundTripTests(HypothesisTestCase):
    ada_user: AuthUser
    staff: AuthUser
    ada: Speaker

    @classmethod
    def setUpTestData(cls):
        cls.ada_user = User.objects.create_user("ada")
        cls.staff = User.objects.create_user("staff", is_staff=True)
        cls.ada = Speaker.objects.create(name="Ada Lovelace", slug="ada", user=cls.ada_user)
        Speaker.objects.create(name="Grace Hopper", slug="grace")

    def post(self, user: Any, url: str, form: Any) -> Any:
        assert form.is_valid(), form.errors
        self.client.force_login(user)
        response = self.client.post(url, form.data)
        assert response.status_code == 302, response.content[:500]
        return response

    @EXAMPLES
    @given(form=from_form(TalkForm))  # type: ignore[arg-type]
    def test_a_speakers_valid_talk_round_trips(self, form):
        response = self.post(self.ada_user, CREATE, form)

        talk = Talk.objects.get(pk=_pk(response))
        for name, value in form.cleaned_data.items():
            assert getattr(talk, name) == value, name
        assert talk.speaker == self.ada
        assert talk.status == Talk.Status.SUBMITTED
        assert talk.slug

    @EXAMPLES
    # Hypothesis 6.170 draws the empty choice of a required ModelChoiceField
    # too; draw from the speakers' primary keys instead.
    @given(form=from_form(StaffTalkForm, speaker=SPEAKER_PKS))  # type: ignore[arg-type]
    def test_a_staff_members_valid_talk_round_trips(self, form):
        response = self.post(self.staff, CREATE, form)

        talk = Talk.objects.get(pk=_pk(response))
        for name, value in form.cleaned_data.items():
            assert getattr(talk, name) == value, name

    @EXAMPLES
    @given(form=from_form(SpeakerForm))  # type: ignore[arg-type]
    def test_a_valid_profile_round_trips(self, form):
        self.post(self.ada_user, reverse("demos-speaker-update", args=[self.ada.pk]), form)

        speaker = Speaker.objects.get(pk=self.ada.pk)
        for name, value in form.cleaned_data.items():
            assert getattr(speaker, name) == value, name
        assert speaker.slug == "ada"


class HostileTalkInputTests(ConferenceTestCase):
    def setUp(self):
        self.client.force_login(self.ada_user)

    def assert_refused(self, data: Any, message: str, *, url: str = CREATE) -> None:
        before = snapshot()
        for headers in ({}, HTMX):
            response = self.client.post(url, data, headers=headers)
            assert response.status_code == 422, (data, response.status_code)
            assert message in response.text, (data, message)
        assert snapshot() == before

    def test_oversized_fields_are_form_errors(self):
        self.assert_refused(
            talk_data(title="x" * 201), "Ensure this value has at most 200 characters"
        )
        self.assert_refused(
            talk_data(abstract="x" * 5001), "Ensure this value has at most 5000 characters"
        )

    def test_nul_bytes_are_form_errors(self):
        for field in ("title", "abstract"):
            with self.subTest(field):
                data = talk_data(**{field: "Before\x00after, long enough to pass the minimum"})
                self.assert_refused(data, "Null characters are not allowed.")

    def test_wrong_types_are_form_errors(self):
        for duration in ("abc", "1e3", "3.5", "", "9" * 5000):
            with self.subTest(duration=duration[:10]):
                message = "This field is required." if not duration else "Enter a whole number."
                self.assert_refused(talk_data(duration=duration), message)

    def test_out_of_range_numbers_are_form_errors(self):
        self.assert_refused(talk_data(duration="4"), "greater than or equal to 5")
        self.assert_refused(talk_data(duration="-5"), "greater than or equal to 5")
        self.assert_refused(talk_data(duration="99999999999999999999"), "less than or equal to 180")

    def test_unknown_choices_are_form_errors(self):
        self.assert_refused(talk_data(track="nope"), "Select a valid choice. nope is not one")
        self.assert_refused(talk_data(level="expert"), "Select a valid choice. expert is not one")

    def test_missing_fields_are_form_errors(self):
        self.assert_refused({}, "This field is required.")
        self.assert_refused(talk_data(title="   "), "This field is required.")

    def test_a_json_body_is_a_form_without_data(self):
        before = snapshot()

        response = self.client.post(CREATE, talk_data(), content_type="application/json")

        assert response.status_code == 422
        assert "This field is required." in response.text
        assert snapshot() == before

    def test_invalid_utf8_is_replaced_not_a_500(self):
        before = snapshot()

        response = self.client.generic(
            "POST",
            CREATE,
            b"title=%FF%FE&abstract=" + b"x" * 30 + b"&track=web&level=beginner&duration=25",
            content_type="application/x-www-form-urlencoded",
        )

        assert response.status_code == 422
        assert "Ensure this value has at least 3 characters" in response.text
        assert snapshot() == before

    def test_a_speaker_cannot_set_the_staff_fields(self):
        self.client.post(CREATE, talk_data(speaker=self.grace.pk, status="accepted"))

        talk = Talk.objects.get(title="Fetch modes in practice")
        assert (talk.speaker, talk.status) == (self.ada, Talk.Status.SUBMITTED)

    def test_bad_updates_change_nothing(self):
        url = reverse("demos-talk-update", args=[self.accepted.pk])
        self.assert_refused(talk_data(title="x" * 201), "at most 200 characters", url=url)
        self.assert_refused(talk_data(duration="abc"), "Enter a whole number.", url=url)


class HostileStaffInputTests(ConferenceTestCase):
    def setUp(self):
        self.client.force_login(self.staff)

    def test_unknown_speakers_and_statuses_are_form_errors(self):
        before = snapshot()
        for data, message in (
            (talk_data(speaker="999999", status="accepted"), "Select a valid choice."),
            (talk_data(speaker="abc", status="accepted"), "Select a valid choice."),
            (talk_data(speaker=self.ada.pk, status="published"), "published is not one"),
            (talk_data(status="accepted"), "This field is required."),
        ):
            with self.subTest(data=data):
                response = self.client.post(CREATE, data)
                assert response.status_code == 422
                assert message in response.text
        assert snapshot() == before


class HostileSpeakerInputTests(ConferenceTestCase):
    def test_profile_errors_change_nothing(self):
        self.client.force_login(self.ada_user)
        url = reverse("demos-speaker-update", args=[self.ada.pk])
        before = snapshot()
        for data, message in (
            ({"name": "x" * 101}, "at most 100 characters"),
            ({"name": "A\x00da"}, "Null characters are not allowed."),
            ({"name": "Ada", "company": "x" * 101}, "at most 100 characters"),
            ({"name": "Ada", "bio": "x" * 2001}, "at most 2000 characters"),
            ({"name": ""}, "This field is required."),
        ):
            with self.subTest(data=str(data)[:40]):
                for headers in ({}, HTMX):
                    response = self.client.post(url, data, headers=headers)
                    assert response.status_code == 422
                    assert message in response.text
        assert snapshot() == before


class RequestLimitTests(ConferenceTestCase):
    def setUp(self):
        self.client.force_login(self.ada_user)

    def test_a_body_over_the_upload_limit_is_a_400(self):
        before = snapshot()
        for headers in ({}, HTMX):
            response = self.client.post(
                CREATE, talk_data(abstract="x" * 2_700_000), headers=headers
            )
            assert response.status_code == 400
        assert snapshot() == before

    def test_too_many_fields_is_a_400(self):
        before = snapshot()
        data = talk_data(**{f"extra{number}": "x" for number in range(1001)})

        response = self.client.post(CREATE, data)

        assert response.status_code == 400
        assert snapshot() == before


class CsrfTests(ConferenceTestCase):
    def client_for(self, user: Any) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        return client

    def test_unsafe_requests_without_a_token_are_403_even_from_htmx(self):
        talk = self.accepted
        before = snapshot()
        for url, data in (
            (CREATE, talk_data()),
            (reverse("demos-talk-update", args=[talk.pk]), talk_data(title="No token")),
            (reverse("demos-talk-delete", args=[talk.pk]), {}),
            (reverse("demos-speaker-update", args=[self.ada.pk]), {"name": "No token"}),
        ):
            for headers in ({}, HTMX):
                with self.subTest(url=url, headers=headers):
                    response = self.client_for(self.ada_user).post(url, data, headers=headers)
                    assert response.status_code == 403
        assert snapshot() == before

    def test_htmx_requests_carry_the_token_in_a_header(self):
        client = self.client_for(self.ada_user)
        page = client.get(CREATE)
        token = page.context["csrf_token"]
        assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page.text

        response = client.post(CREATE, talk_data(), headers={**HTMX, "X-CSRFToken": str(token)})

        assert response.status_code == 200
        assert response["HX-Redirect"].startswith("/demos/crud/demos-talk/")
