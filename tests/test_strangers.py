"""Strangers reach every URL: an anonymous POST anywhere changes nothing and sends nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from django_six_demos.conference.models import Speaker, Talk

# What the walk puts in a task result's place (a talk's pk is filled in per test).
SLUG = "not-a-task-result"


def patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from patterns(entry, route)
        else:
            yield route, entry


def demo_routes() -> list[str]:
    resolver = get_resolver()
    return sorted(
        route
        for route, pattern in patterns(resolver)
        if pattern.callback.__module__.startswith("django_six_demos")
    )


def counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def fill(route: str, pk: int) -> str:
    return "/" + route.replace("<int:pk>", str(pk)).replace("<slug:result_id>", SLUG).replace(
        "<slug:variant>", "default"
    ).replace("<slug:fragment>", "plain")


@pytest.fixture
def talk(db: None) -> Talk:
    speaker = Speaker.objects.create(name="Ada Lovelace", slug="ada")
    return Talk.objects.create(
        title="Engines",
        slug="engines",
        speaker=speaker,
        abstract="An abstract.",
        track=Talk.Track.WEB,
        level=Talk.Level.BEGINNER,
        status=Talk.Status.ACCEPTED,
        duration=25,
    )


def test_the_walk_finds_every_side_effect_endpoint():
    routes = demo_routes()
    for expected in (
        "demos/tasks/emails/",
        "demos/tasks/exports/",
        "demos/tasks/<slug:result_id>/re-enqueue/",
        "demos/sqlite/lab/start/",
        "demos/partials/talks/<int:pk>/title/",
        "demos/csp/reports/clear/",
        "demos/crud/demos-talk/new/",
        "demos/streaming/ask/",
        "demos/streaming/stop/<int:pk>/",
        "demos/api/plain/talks/",
        "demos/api/drf/talks/<int:pk>/",
        "demos/api/msgspec/talks/",
    ):
        assert expected in routes


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_anonymous_post_to_any_url_changes_nothing(talk, htmx):
    client = Client(headers={"HX-Request": "true"} if htmx else {})
    before = counts()
    answers = {}
    for route in demo_routes():
        response = client.post(fill(route, talk.pk), {"title": "Pwned", "message": "x"})
        answers[route] = response.status_code
        assert response.status_code < 500, route
    assert counts() == before
    assert mail.outbox == []
    # Every endpoint that would write sends the visitor to sign in (302, or
    # for htmx a 200 carrying HX-Redirect) or refuses outright.
    for route in (
        "demos/tasks/emails/",
        "demos/tasks/exports/",
        "demos/tasks/failures/",
        "demos/tasks/attempts/",
        "demos/tasks/<slug:result_id>/re-enqueue/",
        "demos/sqlite/lab/start/",
        "demos/csp/reports/clear/",
        "demos/crud/demos-talk/new/",
        "demos/crud/demos-talk/<int:pk>/edit/",
        "demos/crud/demos-talk/<int:pk>/delete/",
        "demos/crud/demos-speaker/new/",
        "demos/crud/demos-speaker/<int:pk>/edit/",
        "demos/crud/demos-speaker/<int:pk>/delete/",
        "demos/streaming/ask/",
        "demos/streaming/stop/<int:pk>/",
        "demos/api/plain/talks/",
        "demos/api/drf/talks/",
        "demos/api/msgspec/talks/",
    ):
        assert answers[route] in ({200, 403} if htmx else {302, 403}), route
    assert answers["demos/partials/talks/<int:pk>/title/"] == 403
