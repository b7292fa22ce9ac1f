"""Hostile bodies, in every flavour: a 4xx with a message naming what is wrong, never a 500,
never a partial write.

Not JSON, or JSON that is not an object: 400. Values and fields that break a rule: 422, the
field named under "errors".
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from django_six_demos.api import talks
from django_six_demos.api.flavours import FLAVOURS
from django_six_demos.conference.models import Speaker, Talk
from tests.api.helpers import ConferenceTestCase, patch_json, post_json, rows, talk_data

User = get_user_model()
# Over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default): the body is never read.
FIVE_MB = 5 * 1024 * 1024

# Bodies that are not a JSON object -> 400.
NOT_AN_OBJECT = {
    "a list": [talk_data()],
    "a string": "title",
    "a number": 45,
    "null": None,
    "true": True,
}
NOT_JSON = {
    "form data": b"title=Fetch+modes&duration=45",
    "half an object": b'{"title": "Fetch modes"',
    "NaN": b'{"title": "Fetch modes", "duration": NaN}',
    "not UTF-8": b'{"title": "\xff\xfe"}',
    "nested too deep": b"[" * 100_000 + b"]" * 100_000,
    "5 MB": json.dumps(talk_data(abstract="x" * FIVE_MB)).encode(),
}

# A value breaking a rule -> 422 naming its field. Each replaces one field of a valid body.
BAD_VALUES: dict[str, tuple[str, Any]] = {
    "title too long": ("title", "x" * (talks.TITLE_MAX_LENGTH + 1)),
    "title too short once stripped": ("title", "  ab  "),
    "title of spaces": ("title", " " * 10),
    "title with a NUL": ("title", "Fetch\x00modes"),
    "title a number": ("title", 12345),
    "title a list": ("title", ["Fetch modes"]),
    "title an object": ("title", {"text": "Fetch modes"}),
    "title null": ("title", None),
    "abstract too long": ("abstract", "x" * (talks.ABSTRACT_MAX_LENGTH + 1)),
    "abstract too short": ("abstract", "Too short."),
    "abstract with a NUL": ("abstract", "An abstract long enough, with a \x00 in it."),
    "duration true": ("duration", True),
    "duration a string": ("duration", "45"),
    "duration a float": ("duration", 45.5),
    "duration a whole float": ("duration", 45.0),
    "duration a list": ("duration", [45]),
    "duration null": ("duration", None),
    "duration too short": ("duration", talks.DURATION_MIN - 1),
    "duration too long": ("duration", talks.DURATION_MAX + 1),
    "duration negative": ("duration", -45),
    "duration huge": ("duration", 10**30),
    "track unknown": ("track", "keynote"),
    "track its label": ("track", "Web & htmx"),
    "track upper case": ("track", "WEB"),
    "track a number": ("track", 1),
    "level unknown": ("level", "expert"),
    "level empty": ("level", ""),
}
# Fields a client may not send -> 422 naming the field.
EXTRA_FIELDS = {
    "status": "accepted",
    "speaker": 2,
    "id": 1,
    "slug": "taken",
    "created_at": "2020-01-01T00:00:00Z",
    "colour": "blue",
}


class HostileCreateTests(ConferenceTestCase):
    def setUp(self):
        self.client.force_login(self.ada_user)

    def assert_refused(self, body: Any, status: int, field: str | None = None) -> None:
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                before = rows()

                response = post_json(self.client, flavour.list_url(), body)

                assert response.status_code == status, response.content[:300]
                answer = response.json()
                assert answer["detail"]
                if field is not None:
                    assert answer["errors"][field], answer
                assert rows() == before

    def test_a_body_that_is_not_an_object_is_400(self):
        for name, body in NOT_AN_OBJECT.items():
            with self.subTest(name):
                self.assert_refused(json.dumps(body), 400)

    def test_a_body_that_is_not_json_is_400(self):
        for name, body in NOT_JSON.items():
            with self.subTest(name):
                self.assert_refused(body, 400)

    def test_a_value_breaking_a_rule_is_422_naming_its_field(self):
        for name, (field, value) in BAD_VALUES.items():
            with self.subTest(name):
                self.assert_refused(talk_data(**{field: value}), 422, field)

    def test_a_missing_field_is_422_naming_it(self):
        for field in talks.INPUT_FIELDS:
            with self.subTest(field):
                body = {k: v for k, v in talk_data().items() if k != field}
                self.assert_refused(body, 422, field)

    def test_a_field_a_client_may_not_send_is_422_naming_it(self):
        for field, value in EXTRA_FIELDS.items():
            with self.subTest(field):
                self.assert_refused(talk_data(**{field: value}), 422, field)

    def test_an_empty_body_is_refused(self):
        # DRF reads an empty body as {} (every field missing, 422); the others as not JSON.
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                response = post_json(self.client, flavour.list_url(), b"")

                assert response.status_code in (400, 422)
                assert response.json()["detail"]
        assert Talk.objects.count() == 4

    def test_text_is_stored_stripped(self):
        for number, flavour in enumerate(FLAVOURS):
            with self.subTest(flavour.name):
                # U+001C-U+001F too, as Python's str.strip() and so Django's forms strip them.
                body = talk_data(title=f"  Padded {number}\n", abstract=f"\t{'x' * 20} \x1f")

                response = post_json(self.client, flavour.list_url(), body)

                assert response.status_code == 201
                assert response.json()["title"] == f"Padded {number}"
                talk = Talk.objects.get(pk=response.json()["id"])
                assert (talk.title, talk.abstract) == (f"Padded {number}", "x" * 20)


class HostileEditTests(ConferenceTestCase):
    def setUp(self):
        self.client.force_login(self.ada_user)

    def assert_refused(self, body: Any, status: int, field: str | None = None) -> None:
        for flavour in FLAVOURS:
            with self.subTest(flavour.name):
                before = rows()

                response = patch_json(self.client, flavour.detail_url(self.accepted.pk), body)

                assert response.status_code == status, response.content[:300]
                answer = response.json()
                assert answer["detail"]
                if field is not None:
                    assert answer["errors"][field], answer
                assert rows() == before

    def test_a_body_that_is_not_an_object_is_400(self):
        for name, body in NOT_AN_OBJECT.items():
            with self.subTest(name):
                self.assert_refused(json.dumps(body), 400)

    def test_a_body_that_is_not_json_is_400(self):
        for name, body in NOT_JSON.items():
            with self.subTest(name):
                self.assert_refused(body, 400)

    def test_a_value_breaking_a_rule_is_422_naming_its_field(self):
        for name, (field, value) in BAD_VALUES.items():
            with self.subTest(name):
                self.assert_refused({field: value}, 422, field)

    def test_a_field_a_client_may_not_send_is_422_and_changes_nothing_else(self):
        for field, value in EXTRA_FIELDS.items():
            with self.subTest(field):
                self.assert_refused({"title": "A valid new title", field: value}, 422, field)

    def test_an_edit_sends_only_what_changes(self):
        for number, flavour in enumerate(FLAVOURS):
            with self.subTest(flavour.name):
                response = patch_json(
                    self.client, flavour.detail_url(self.accepted.pk), {"duration": 60 + number}
                )

                assert response.status_code == 200
                self.accepted.refresh_from_db()
                assert (self.accepted.duration, self.accepted.title) == (60 + number, "Engines")


# Any JSON value: what a hostile client may put in a field.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=5,
)
VALID_VALUES = {
    "title": st.text(min_size=3, max_size=40),
    "abstract": st.text(min_size=20, max_size=60),
    "track": st.sampled_from(talks.TRACKS),
    "level": st.sampled_from(talks.LEVELS),
    "duration": st.integers(talks.DURATION_MIN, talks.DURATION_MAX),
}


@st.composite
def near_valid_bodies(draw: Any) -> dict[str, Any]:
    """A valid body with up to two fields replaced by any JSON value, removed or added."""
    body = {name: draw(values) for name, values in VALID_VALUES.items()}
    for name in draw(st.sets(st.sampled_from([*VALID_VALUES, "status", "colour"]), max_size=2)):
        if draw(st.booleans()):
            body[name] = draw(JSON_VALUES)
        else:
            body.pop(name, None)
    return body


BODIES = near_valid_bodies() | st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5)


# Each example may be one more write by the same user: the limits have their own tests.
@override_settings(RATELIMIT_ENABLE=False)
class FuzzTests(HypothesisTestCase):
    ada_user: Any
    ada: Speaker
    talk: Talk

    @classmethod
    def setUpTestData(cls):
        cls.ada_user = User.objects.create_user("ada")
        cls.ada = Speaker.objects.create(name="Ada Lovelace", slug="ada", user=cls.ada_user)
        cls.talk = Talk.objects.create(
            title="Engines",
            slug="engines",
            speaker=cls.ada,
            abstract="An abstract long enough for every flavour.",
            track=Talk.Track.WEB,
            level=Talk.Level.BEGINNER,
            duration=25,
        )

    @settings(max_examples=25, deadline=None)
    @given(body=BODIES, edit=st.booleans())
    def test_any_json_object_is_saved_whole_or_refused_whole(self, body, edit):
        self.client.force_login(self.ada_user)
        statuses = {}
        for flavour in FLAVOURS:
            before = rows()
            if edit:
                response = patch_json(self.client, flavour.detail_url(self.talk.pk), body)
            else:
                response = post_json(self.client, flavour.list_url(), body)

            statuses[flavour.name] = response.status_code
            assert response.status_code in (200, 201, 400, 422), (flavour.name, body)
            if response.status_code in (400, 422):
                assert response.json()["detail"]
                assert rows() == before
                continue
            # Saved: exactly the fields sent, and nothing else.
            saved = Talk.objects.get(pk=response.json()["id"])
            for field, value in body.items():
                stored = getattr(saved, field)
                assert stored == (value.strip() if isinstance(value, str) else value)
            assert Talk.objects.count() == len(before) + (not edit)
        # The same rules: every flavour saves it, or every flavour refuses it.
        assert len(set(statuses.values())) == 1, statuses
