"""Shared fixtures of the API room's tests: a small conference, and JSON requests to each flavour."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.test import Client, TestCase

from django_six_demos.api.flavours import FLAVOURS
from django_six_demos.conference.models import Speaker, Talk

User = get_user_model()
NAMES = [flavour.name for flavour in FLAVOURS]
# What every talk in these tests was created and last updated at.
CREATED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
UPDATED = dt.datetime(2026, 2, 3, 4, 5, 6, 123456, tzinfo=dt.timezone.utc)


def make_talk(speaker: Speaker, slug: str, **fields: Any) -> Talk:
    values = {
        "title": slug.replace("-", " ").capitalize(),
        "abstract": "An abstract long enough for every flavour's minimum.",
        "track": Talk.Track.WEB,
        "level": Talk.Level.BEGINNER,
        "status": Talk.Status.ACCEPTED,
        "duration": 25,
        **fields,
    }
    talk = Talk.objects.create(speaker=speaker, slug=slug, **values)
    # auto_now and auto_now_add ignore given values: set them afterwards.
    Talk.objects.filter(pk=talk.pk).update(created_at=CREATED, updated_at=UPDATED)
    talk.refresh_from_db()
    return talk


def talk_data(**fields: Any) -> dict[str, Any]:
    """A valid create body."""
    return {
        "title": "Fetch modes in practice",
        "abstract": "How FETCH_PEERS keeps a list at a fixed number of queries.",
        "track": "data",
        "level": "intermediate",
        "duration": 45,
        **fields,
    }


def post_json(client: Client, url: str, body: Any, **extra: Any) -> Any:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(url, data, content_type="application/json", **extra)


def patch_json(client: Client, url: str, body: Any, **extra: Any) -> Any:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.patch(url, data, content_type="application/json", **extra)


def rows() -> list[tuple[Any, ...]]:
    """Every talk as stored: what a refused write must leave as it was."""
    return list(Talk.objects.order_by("pk").values_list())


class ConferenceTestCase(TestCase):
    """Ada and Grace are speakers with an accepted and a submitted talk each.

    Staff and a visitor (signed in, no speaker profile) have no talks.
    """

    ada_user: AuthUser
    grace_user: AuthUser
    staff: AuthUser
    visitor: AuthUser
    ada: Speaker
    grace: Speaker
    accepted: Talk
    submitted: Talk
    graces: Talk
    graces_submitted: Talk

    @classmethod
    def setUpTestData(cls):
        cls.ada_user = User.objects.create_user("ada")
        cls.grace_user = User.objects.create_user("grace")
        cls.staff = User.objects.create_user("staff", is_staff=True)
        cls.visitor = User.objects.create_user("visitor")
        cls.ada = Speaker.objects.create(
            name="Ada Lovelace", slug="ada", company="Analytical Engines", user=cls.ada_user
        )
        cls.grace = Speaker.objects.create(name="Grace Hopper", slug="grace", user=cls.grace_user)
        cls.accepted = make_talk(cls.ada, "engines")
        cls.submitted = make_talk(
            cls.ada, "notes", status=Talk.Status.SUBMITTED, track=Talk.Track.DATA
        )
        cls.graces = make_talk(
            cls.grace, "compilers", level=Talk.Level.ADVANCED, track=Talk.Track.DATA
        )
        cls.graces_submitted = make_talk(cls.grace, "cobol", status=Talk.Status.SUBMITTED)

    def client_for(self, user: AuthUser | None, **kwargs: Any) -> Client:
        client = Client(**kwargs)
        if user is not None:
            client.force_login(user)
        return client
