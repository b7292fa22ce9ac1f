"""Shared fixtures of the CRUD demo's tests: a small conference with two speakers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.test import TestCase

from django_six_demos.conference.models import Speaker, Talk

User = get_user_model()
HTMX = {"HX-Request": "true"}


def make_talk(speaker: Speaker, slug: str, **fields: Any) -> Talk:
    values = {
        "title": slug.replace("-", " ").capitalize(),
        "abstract": "An abstract long enough for the form's minimum.",
        "track": Talk.Track.WEB,
        "level": Talk.Level.BEGINNER,
        "status": Talk.Status.ACCEPTED,
        "duration": 25,
        **fields,
    }
    return Talk.objects.create(speaker=speaker, slug=slug, **values)


def talk_data(**fields: Any) -> dict[str, Any]:
    """Valid POST data for a speaker's talk form."""
    return {
        "title": "Fetch modes in practice",
        "abstract": "How FETCH_PEERS keeps a list at a fixed number of queries.",
        "track": Talk.Track.DATA,
        "level": Talk.Level.INTERMEDIATE,
        "duration": "45",
        **fields,
    }


class ConferenceTestCase(TestCase):
    """Ada and Grace are speakers; Ada has an accepted and a submitted talk."""

    ada_user: AuthUser
    grace_user: AuthUser
    staff: AuthUser
    visitor: AuthUser
    ada: Speaker
    grace: Speaker
    accepted: Talk
    submitted: Talk
    graces: Talk

    @classmethod
    def setUpTestData(cls):
        cls.ada_user = User.objects.create_user("ada")
        cls.grace_user = User.objects.create_user("grace")
        cls.staff = User.objects.create_user("staff", is_staff=True)
        # Signed in, but no speaker: may read, not propose.
        cls.visitor = User.objects.create_user("visitor")
        cls.ada = Speaker.objects.create(name="Ada Lovelace", slug="ada", user=cls.ada_user)
        cls.grace = Speaker.objects.create(name="Grace Hopper", slug="grace", user=cls.grace_user)
        cls.accepted = make_talk(cls.ada, "engines")
        cls.submitted = make_talk(cls.ada, "notes", status=Talk.Status.SUBMITTED)
        cls.graces = make_talk(cls.grace, "compilers")
