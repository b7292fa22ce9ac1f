"""The stream view: tokens as escaped events then ``done``, once, for the owner, under ASGI and WSGI.

ASGI tests read the response's async iterator with the AsyncClient; WSGI tests read the sync
iterator with the Test Client. A closed connection or the stop button keeps what arrived.
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import warnings
from collections.abc import AsyncGenerator, Iterator
from typing import cast
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import StreamingHttpResponse
from django.test import Client, TestCase, override_settings
from django.urls import reverse

from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.streaming.answers import request_stop, stop_key
from django_six_demos.streaming.models import Message
from tests.streaming.helpers import (
    PROVIDER,
    ScriptedModel,
    TwoUsersTestCase,
    parse_events,
    pending_answer,
)

ANSWERS = "django_six_demos.streaming.answers"
TOKENS = ["Two", " talks", " cover", " <script>alert(1)</script>", " testing", " & more."]


def stream_url(answer: Message) -> str:
    assert answer.stream_token
    return reverse("django_six_demos_streaming:stream", args=[answer.stream_token])


def async_content(response: object) -> AsyncGenerator[bytes]:
    """The body of a response the AsyncClient got from the stream view: an async generator."""
    assert isinstance(response, StreamingHttpResponse), response
    assert response.is_async
    return cast("AsyncGenerator[bytes]", response.streaming_content)


def sync_content(response: object) -> Iterator[bytes]:
    """The body of a response the Test Client (WSGI) got: a sync iterator."""
    assert isinstance(response, StreamingHttpResponse), response
    assert not response.is_async
    return iter(cast("Iterator[bytes]", response.streaming_content))


async def read_all(response: object) -> str:
    return b"".join([part async for part in async_content(response)]).decode()


class AsgiStreamTests(TwoUsersTestCase):
    def setUp(self) -> None:
        self.async_client.force_login(self.user)
        self.answer = pending_answer(self.user)

    async def test_the_tokens_arrive_in_order_escaped_then_done_closes(self):
        model = ScriptedModel(TOKENS)
        with mock.patch(PROVIDER, return_value=model):
            response = await self.async_client.get(stream_url(self.answer))
            body = await read_all(response)

        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        assert response["Cache-Control"] == "no-cache"
        assert response["X-Accel-Buffering"] == "no"
        events = parse_events(body)
        assert [e.name for e in events] == ["token"] * len(TOKENS) + ["done"]
        assert [e.data for e in events[:-1]] == [
            "Two",
            " talks",
            " cover",
            " &lt;script&gt;alert(1)&lt;/script&gt;",
            " testing",
            " &amp; more.",
        ]
        assert "<script>" not in body
        # The done event is the stored answer, rendered and sanitized, marked complete.
        done = events[-1].data
        assert f'id="message-{self.answer.pk}"' in done
        assert "Complete" in done
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in done
        answer = await Message.objects.aget(pk=self.answer.pk)
        assert answer.status == Message.Status.COMPLETE
        assert answer.content == "".join(TOKENS)
        assert answer.finished_at is not None
        assert model.closed == 1

    async def test_the_model_hears_the_conversation(self):
        model = ScriptedModel(["Yes."])
        with mock.patch(PROVIDER, return_value=model):
            await read_all(await self.async_client.get(stream_url(self.answer)))

        assert [(m.role, m.content) for m in model.heard] == [
            ("user", "Which talks cover testing?")
        ]

    async def test_a_replayed_stream_url_is_gone_and_the_model_does_not_run_again(self):
        model = ScriptedModel(TOKENS)
        with mock.patch(PROVIDER, return_value=model):
            await read_all(await self.async_client.get(stream_url(self.answer)))
            again = await self.async_client.get(stream_url(self.answer))

        assert again.status_code == 410
        assert b"already read" in again.content
        assert model.runs == 1
        answer = await Message.objects.aget(pk=self.answer.pk)
        assert answer.content == "".join(TOKENS)

    async def test_another_users_stream_is_not_found_and_stays_pending(self):
        await self.async_client.aforce_login(self.other)
        model = ScriptedModel(TOKENS)
        with mock.patch(PROVIDER, return_value=model):
            response = await self.async_client.get(stream_url(self.answer))

        assert response.status_code == 404
        assert model.runs == 0
        answer = await Message.objects.aget(pk=self.answer.pk)
        assert answer.status == Message.Status.PENDING

    async def test_an_anonymous_visitor_gets_no_stream(self):
        await self.async_client.alogout()
        response = await self.async_client.get(stream_url(self.answer))

        assert response.status_code == 404

    async def test_an_unknown_token_is_not_found(self):
        response = await self.async_client.get(
            reverse("django_six_demos_streaming:stream", args=["not-a-token"])
        )

        assert response.status_code == 404

    async def test_a_disconnect_mid_stream_keeps_what_arrived_as_interrupted(self):
        # Slow enough that the stream is waiting for its third token when the client leaves.
        model = ScriptedModel(TOKENS, delay=0.05)
        with mock.patch(PROVIDER, return_value=model):
            response = await self.async_client.get(stream_url(self.answer))
            content = async_content(response)
            first = [await anext(content), await anext(content)]
            # The ASGI handler cancels the response's task when the client disconnects.
            waiting = asyncio.ensure_future(anext(content))
            await asyncio.sleep(0.01)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting

        assert [e.data for e in parse_events(b"".join(first).decode())] == ["Two", " talks"]
        answer = await Message.objects.aget(pk=self.answer.pk)
        assert answer.status == Message.Status.INTERRUPTED
        assert answer.content == "Two talks"
        assert answer.finished_at is not None
        assert model.closed == 1  # the model's generator was closed: no task left running
        assert len(asyncio.all_tasks()) == 1  # only this test's

    async def test_a_stream_closed_while_sending_keeps_what_arrived(self):
        # A disconnect while Django sends an event leaves the generator at its yield: the
        # server drops the response, and the event loop closes the generator (GeneratorExit).
        model = ScriptedModel(TOKENS, delay=0.01)
        with mock.patch(PROVIDER, return_value=model):
            response = await self.async_client.get(stream_url(self.answer))
            content = async_content(response)
            await anext(content)
            await content.aclose()
            del content, response
            gc.collect()
            for _ in range(10):
                await asyncio.sleep(0)

        answer = await Message.objects.aget(pk=self.answer.pk)
        assert answer.status == Message.Status.INTERRUPTED
        assert answer.content == "Two"
        assert model.closed == 1

    async def test_stop_ends_the_stream_at_the_next_token_with_an_interrupted_answer(self):
        model = ScriptedModel(TOKENS, delay=0.01)
        with mock.patch(PROVIDER, return_value=model):
            response = await self.async_client.get(stream_url(self.answer))
            content = async_content(response)
            first = [await anext(content), await anext(content)]
            # The stop button, served by the same process as the stream.
            stop = reverse("django_six_demos_streaming:stop", args=[self.answer.pk])
            assert (await self.async_client.post(stop)).status_code == 302
            rest = [part async for part in content]

        events = parse_events(b"".join([*first, *rest]).decode())
        assert [e.name for e in events] == ["token", "token", "done"]
        assert "Interrupted" in events[-1].data
        answer = await Message.objects.aget(pk=self.answer.pk)
        assert answer.status == Message.Status.INTERRUPTED
        assert answer.content == "Two talks"
        assert model.closed == 1
        assert await cache.aget(stop_key(self.answer.pk)) is None

    async def test_a_stop_asked_before_the_stream_opened_ends_it_at_the_first_token(self):
        await sync_to_async(request_stop)(self.answer.pk)
        model = ScriptedModel(TOKENS)
        with mock.patch(PROVIDER, return_value=model):
            events = parse_events(
                await read_all(await self.async_client.get(stream_url(self.answer)))
            )

        assert [e.name for e in events] == ["token", "done"]
        assert "Interrupted" in events[-1].data
        answer = await Message.objects.aget(pk=self.answer.pk)
        assert answer.status == Message.Status.INTERRUPTED
        assert answer.content == "Two"

    async def test_a_stop_sent_to_another_process_arrives_through_a_shared_cache(self):
        # Another worker's stop view sets only the cache flag; with a cache every process
        # sees (here a file-based one), the stream reads it every STOP_POLL_SECONDS.
        with tempfile.TemporaryDirectory() as directory:
            shared = {
                "default": {
                    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                    "LOCATION": directory,
                }
            }
            model = ScriptedModel(TOKENS, delay=0.02)
            with (
                override_settings(CACHES=shared),
                mock.patch(PROVIDER, return_value=model),
                mock.patch(f"{ANSWERS}.STOP_POLL_SECONDS", 0.0),
            ):
                response = await self.async_client.get(stream_url(self.answer))
                content = async_content(response)
                first = [await anext(content), await anext(content)]
                await cache.aset(stop_key(self.answer.pk), True)
                rest = [part async for part in content]

        events = parse_events(b"".join([*first, *rest]).decode())
        # Read after the second token was sent, before the third was asked for.
        assert [e.name for e in events] == ["token", "token", "done"]
        answer = await Message.objects.aget(pk=self.answer.pk)
        assert answer.status == Message.Status.INTERRUPTED
        assert answer.content == "Two talks"

    async def test_with_a_cache_of_this_process_only_the_stream_reads_no_flag_per_token(self):
        model = ScriptedModel(TOKENS)
        with (
            mock.patch(PROVIDER, return_value=model),
            mock.patch(f"{ANSWERS}.cache.get", wraps=cache.get) as reads,
        ):
            events = parse_events(
                await read_all(await self.async_client.get(stream_url(self.answer)))
            )

        assert [e.name for e in events] == ["token"] * len(TOKENS) + ["done"]
        assert reads.call_count == 1  # once, when the first token is out

    async def test_a_model_error_is_stored_and_shown_in_the_done_event(self):
        model = ScriptedModel(TOKENS, fail_after=2)
        with mock.patch(PROVIDER, return_value=model):
            events = parse_events(
                await read_all(await self.async_client.get(stream_url(self.answer)))
            )

        assert [e.name for e in events] == ["token", "token", "done"]
        assert "Failed" in events[-1].data
        assert "The model stopped answering." in events[-1].data
        answer = await Message.objects.aget(pk=self.answer.pk)
        assert answer.status == Message.Status.FAILED
        assert answer.error == "The model stopped answering."
        assert answer.content == "Two talks"


@override_settings(DJANGO_SIX_DEMOS_STREAMING={"TOKEN_DELAY": 0, "FIRST_TOKEN_DELAY": 0})
class BuiltinModelStreamTests(TestCase):
    async def test_a_talk_title_with_markup_streams_escaped(self):
        user = await User.objects.acreate(username="ada")
        await self.async_client.aforce_login(user)
        speaker = await Speaker.objects.acreate(name="Ada Lovelace", slug="ada")
        await Talk.objects.acreate(
            title="Testing <script>alert(1)</script> in Django",
            slug="testing",
            speaker=speaker,
            abstract="About testing.",
            track=Talk.Track.WEB,
            level=Talk.Level.BEGINNER,
            status=Talk.Status.ACCEPTED,
            duration=25,
        )
        answer = await sync_to_async(pending_answer)(user, "Which talks cover testing?")

        body = await read_all(await self.async_client.get(stream_url(answer)))

        events = parse_events(body)
        assert events[-1].name == "done"
        assert "<script>" not in body
        streamed = "".join(e.data for e in events if e.name == "token")
        # Escaped for Markdown by the model, then for HTML by the stream.
        assert "\\&lt;script\\&gt;alert(1)" in streamed
        answer = await Message.objects.aget(pk=answer.pk)
        assert "\\<script\\>alert(1)" in answer.content  # stored as the model wrote it
        assert answer.status == Message.Status.COMPLETE


@pytest.mark.django_db(transaction=True)
class TestWsgiStream:
    """Under WSGI the response iterates a sync generator that drives the async one.

    A TransactionTestCase: the driven generator's async ORM calls run in asgiref's own thread,
    whose connection sees only committed rows.
    """

    def test_the_answer_streams_through_a_sync_iterator_without_warnings(self):
        user = User.objects.create_user("ada", password="unused")
        answer = pending_answer(user)
        client = Client()
        client.force_login(user)
        model = ScriptedModel(TOKENS)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with mock.patch(PROVIDER, return_value=model):
                response = client.get(stream_url(answer))
                assert response.streaming
                iterator = sync_content(response)
                first = next(iterator)  # one event at a time: it streams
                body = b"".join([first, *iterator]).decode()

        events = parse_events(body)
        assert events[0] == ("token", "Two")
        assert [e.name for e in events] == ["token"] * len(TOKENS) + ["done"]
        assert " &lt;script&gt;alert(1)&lt;/script&gt;" in [e.data for e in events]
        answer.refresh_from_db()
        assert answer.status == Message.Status.COMPLETE
        assert answer.content == "".join(TOKENS)

    def test_closing_the_response_mid_stream_keeps_what_arrived(self):
        user = User.objects.create_user("ada", password="unused")
        answer = pending_answer(user)
        client = Client()
        client.force_login(user)
        model = ScriptedModel(TOKENS, delay=0.01)
        with mock.patch(PROVIDER, return_value=model):
            response = client.get(stream_url(answer))
            iterator = sync_content(response)
            next(iterator)
            next(iterator)
            # What a WSGI server does when the client has gone.
            response.close()

        answer.refresh_from_db()
        assert answer.status == Message.Status.INTERRUPTED
        assert answer.content == "Two talks"
        assert model.closed == 1
