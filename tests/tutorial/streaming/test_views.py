"""Chapter 6's plain async stream: under ASGI each token leaves as its own escaped event while
the model still runs, and a closing event ends it; under WSGI Django warns and runs the model
to the end before the first byte leaves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.http import StreamingHttpResponse
from django.test import SimpleTestCase, override_settings
from django.urls import reverse

from tests.settings import STARTPROJECT_MIDDLEWARE
from tests.tutorial.streaming import views

ESCAPED = [
    "Tokens",
    " arrive",
    " one",
    " by",
    " one:",
    " &lt;b&gt;escaped&lt;/b&gt;",
    " &amp;",
    " safe.",
]


def parse(chunk: str) -> tuple[str, str]:
    """One server-sent event's name and data."""
    event, data = "", []
    for line in chunk.strip("\n").split("\n"):
        field, _, value = line.partition(": ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
    return event, "\n".join(data)


@contextmanager
def counting_model() -> Iterator[list[str]]:
    """The chapter's model, noting each token as it yields it."""
    produced: list[str] = []
    real_model = views.model

    async def model() -> AsyncIterator[str]:
        async for token in real_model():
            produced.append(token)
            yield token

    with mock.patch.object(views, "model", model):
        yield produced


@override_settings(ROOT_URLCONF="tests.tutorial.streaming.urls", MIDDLEWARE=STARTPROJECT_MIDDLEWARE)
class PlainStreamTests(SimpleTestCase):
    async def test_under_asgi_each_token_leaves_escaped_in_order_then_done(self):
        with counting_model() as produced:
            response = await self.async_client.get(reverse("stream"))
            assert isinstance(response, StreamingHttpResponse)
            chunks = []
            async for chunk in response.streaming_content:
                chunks.append(chunk.decode())
                # Streamed: each event leaves as soon as its token exists.
                assert len(produced) == min(len(chunks), len(views.ANSWER))

        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        assert response["Cache-Control"] == "no-cache"
        assert response["X-Accel-Buffering"] == "no"
        assert [parse(chunk) for chunk in chunks] == [
            *[("token", token) for token in ESCAPED],
            ("done", ""),
        ]
        assert all(chunk.endswith("\n\n") for chunk in chunks)

    def test_an_event_of_several_lines_prefixes_each_with_data(self):
        assert views.sse_event("token", "one\ntwo") == "event: token\ndata: one\ndata: two\n\n"

    def test_under_wsgi_django_warns_and_runs_the_model_to_the_end_first(self):
        with counting_model() as produced:
            response = self.client.get(reverse("stream"))

            # What a WSGI server does with the response: iterate it, synchronously.
            with pytest.warns(Warning, match="must consume asynchronous iterators"):
                chunks = iter(response)
            # Not one byte has left, yet the model has already given every token.
            assert produced == views.ANSWER
            body = b"".join(chunks).decode()

        assert [parse(event + "\n\n") for event in body.split("\n\n")[:-1]] == [
            *[("token", token) for token in ESCAPED],
            ("done", ""),
        ]
