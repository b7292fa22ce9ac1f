"""The Ollama provider against replayed ``/api/chat`` answers: no network, no model.

The files in ``ollama_replays/`` follow the shape of Ollama's streamed chat lines (one JSON object
a line, the last with ``"done": true`` and its timings); respx serves them in place of Ollama.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import httpx
import pytest
import respx
from django.test import SimpleTestCase

from django_six_demos.streaming.providers import ChatMessage, ProviderError
from django_six_demos.streaming.providers.ollama import OllamaProvider

REPLAYS = Path(__file__).parent / "ollama_replays"
URL = "http://ollama.test:11434"
CHAT = f"{URL}/api/chat"
CONVERSATION = [
    ChatMessage("user", "Which talks cover testing?"),
]


def replay(name: str) -> bytes:
    return (REPLAYS / name).read_bytes()


def contents(ndjson: bytes) -> list[str]:
    """The ``message.content`` of each line that has one, in order."""
    lines = [json.loads(line) for line in ndjson.splitlines()]
    return [line["message"]["content"] for line in lines if line.get("message", {}).get("content")]


class ReplayStream(httpx.AsyncByteStream):
    """A response body sent in pieces that cut lines in two, noting whether it was closed.

    ``wait_after`` pieces, it waits on ``resume`` (forever, unless a test sets it), as a
    model that is thinking would; ``fail_after`` pieces, it raises ``failure``.
    """

    def __init__(
        self,
        body: bytes,
        piece: int = 37,
        *,
        wait_after: int | None = None,
        fail_after: int | None = None,
        failure: Exception | None = None,
    ) -> None:
        self.pieces = [body[i : i + piece] for i in range(0, len(body), piece)]
        self.wait_after = wait_after
        self.fail_after = fail_after
        self.failure = failure
        self.resume = asyncio.Event()
        self.sent = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            if self.sent == self.wait_after:
                await self.resume.wait()
            if self.sent == self.fail_after and self.failure is not None:
                raise self.failure
            self.sent += 1
            yield piece

    async def aclose(self) -> None:
        self.closed = True


def ndjson_response(stream: ReplayStream, status: int = 200) -> httpx.Response:
    return httpx.Response(status, headers={"Content-Type": "application/x-ndjson"}, stream=stream)


async def tokens(
    provider: OllamaProvider, messages: Iterable[ChatMessage] = CONVERSATION
) -> list[str]:
    return [token async for token in provider.stream(list(messages))]


def provider(**options: int) -> OllamaProvider:
    return OllamaProvider(URL, "llama3.2", 30, **options)


class OllamaAnswerTests(SimpleTestCase):
    @respx.mock
    async def test_a_normal_answer_yields_each_piece_in_order(self):
        body = replay("answer.ndjson")
        stream = ReplayStream(body)
        route = respx.post(CHAT).mock(return_value=ndjson_response(stream))

        received = await tokens(provider())

        assert received == contents(body)
        assert "".join(received) == (
            "I'm not sure which talks your conference has, but talks on testing usually cover:\n"
            "\n"
            "- **pytest** fixtures and `assertNumQueries`\n"
            "- Django's `TestCase` & `AsyncClient`\n"
            "\n"
            "Check the programme for the exact titles."
        )
        assert stream.closed
        assert route.call_count == 1

    @respx.mock
    async def test_the_whole_conversation_is_posted_with_stream_on(self):
        route = respx.post(CHAT).mock(
            return_value=ndjson_response(ReplayStream(replay("answer.ndjson")))
        )
        conversation = [
            ChatMessage("user", "List the talks"),
            ChatMessage("assistant", "There are 54 accepted talks."),
            ChatMessage("user", "Which cover testing?"),
        ]

        await tokens(provider(max_tokens=300), conversation)

        assert json.loads(route.calls.last.request.content) == {
            "model": "llama3.2",
            "messages": [
                {"role": "user", "content": "List the talks"},
                {"role": "assistant", "content": "There are 54 accepted talks."},
                {"role": "user", "content": "Which cover testing?"},
            ],
            "stream": True,
            "options": {"num_predict": 300},
        }

    @respx.mock
    async def test_max_tokens_stops_reading_and_closes_the_response(self):
        stream = ReplayStream(replay("answer.ndjson"))
        respx.post(CHAT).mock(return_value=ndjson_response(stream))

        received = await tokens(provider(max_tokens=3))

        assert received == ["I", "'m", " not"]
        assert stream.closed
        assert stream.sent < len(stream.pieces)

    @respx.mock
    async def test_a_trailing_slash_on_the_url_is_ignored(self):
        route = respx.post(CHAT).mock(
            return_value=ndjson_response(ReplayStream(replay("answer.ndjson")))
        )
        assert await tokens(OllamaProvider(URL + "/", "llama3.2", 30))
        assert route.called


class OllamaFailureTests(SimpleTestCase):
    @respx.mock
    async def test_an_error_line_mid_stream_raises_its_message_after_the_tokens_before_it(self):
        stream = ReplayStream(replay("midstream_error.ndjson"))
        respx.post(CHAT).mock(return_value=ndjson_response(stream))
        received: list[str] = []

        with pytest.raises(ProviderError) as raised:
            async for token in provider().stream(CONVERSATION):
                received.append(token)

        assert "".join(received) == "Talks about security often cover"
        assert str(raised.value) == (
            "Ollama stopped with an error: "
            "an error was encountered while running the model: unexpected EOF"
        )
        assert stream.closed

    @respx.mock
    async def test_a_model_that_is_not_pulled_says_how_to_pull_it(self):
        respx.post(CHAT).mock(
            return_value=httpx.Response(
                404,
                content=replay("model_not_found.json"),
                headers={"Content-Type": "application/json"},
            )
        )

        with pytest.raises(ProviderError) as raised:
            await tokens(provider())

        message = str(raised.value)
        assert "has no model 'llama3.2'" in message
        assert 'model "llama3.2" not found, try pulling it first' in message
        assert "run `ollama pull llama3.2`" in message

    @respx.mock
    async def test_another_http_error_says_the_status_and_what_ollama_said(self):
        respx.post(CHAT).mock(return_value=httpx.Response(500, json={"error": "out of memory"}))
        with pytest.raises(
            ProviderError, match=r"^Ollama at http://ollama.test:11434 answered 500: out of memory$"
        ):
            await tokens(provider())

        respx.post(CHAT).mock(return_value=httpx.Response(502, text="<html>Bad gateway</html>"))
        with pytest.raises(ProviderError, match=r"answered 502: <html>Bad gateway</html>$"):
            await tokens(provider())

        respx.post(CHAT).mock(return_value=httpx.Response(503))
        with pytest.raises(ProviderError, match=r"answered 503: Service Unavailable$"):
            await tokens(provider())

    @respx.mock
    async def test_a_line_that_is_not_json_is_an_error_that_quotes_it(self):
        body = replay("answer.ndjson").replace(b"\n", b"\nproxy error: upstream reset\n", 1)
        respx.post(CHAT).mock(return_value=ndjson_response(ReplayStream(body)))
        with pytest.raises(ProviderError) as raised:
            await tokens(provider())
        assert str(raised.value) == (
            "Ollama at http://ollama.test:11434 sent a line that is not a JSON object: "
            "'proxy error: upstream reset'"
        )

    @respx.mock
    async def test_an_answer_cut_before_done_is_an_error(self):
        body = b"".join(replay("answer.ndjson").splitlines(keepends=True)[:5])
        respx.post(CHAT).mock(return_value=ndjson_response(ReplayStream(body)))
        received: list[str] = []
        with pytest.raises(ProviderError, match="ended its answer without saying it was done"):
            async for token in provider().stream(CONVERSATION):
                received.append(token)
        assert len(received) == 5

    @respx.mock
    async def test_an_unreachable_server_says_which_url_and_what_to_start(self):
        respx.post(CHAT).mock(side_effect=httpx.ConnectError("All connection attempts failed"))
        with pytest.raises(ProviderError) as raised:
            await tokens(provider())
        assert str(raised.value) == (
            "Cannot reach Ollama at http://ollama.test:11434: All connection attempts failed. "
            "Is `ollama serve` running there?"
        )

    async def test_a_port_where_nothing_listens_is_unreachable(self):
        # A port the system just handed out and nobody listens on any more.
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        nowhere = OllamaProvider(f"http://127.0.0.1:{port}", "llama3.2", 5)
        with pytest.raises(
            ProviderError, match=rf"^Cannot reach Ollama at http://127.0.0.1:{port}: "
        ):
            await tokens(nowhere)

    @respx.mock
    async def test_a_timeout_mid_answer_names_the_setting_to_raise(self):
        stream = ReplayStream(
            replay("answer.ndjson"), fail_after=4, failure=httpx.ReadTimeout("timed out")
        )
        respx.post(CHAT).mock(return_value=ndjson_response(stream))
        with pytest.raises(ProviderError) as raised:
            await tokens(OllamaProvider(URL, "llama3.2", 12.5))
        assert str(raised.value) == (
            "Ollama at http://ollama.test:11434 sent nothing for 12.5 seconds; a model that "
            "is still loading can take that long: try again, or raise TIMEOUT."
        )
        assert stream.closed

    @respx.mock
    async def test_a_broken_connection_mid_answer_is_an_error(self):
        stream = ReplayStream(replay("answer.ndjson"), fail_after=4, failure=httpx.ReadError(""))
        respx.post(CHAT).mock(return_value=ndjson_response(stream))
        with pytest.raises(ProviderError, match=r"broke: ReadError\.$"):
            await tokens(provider())


class OllamaClosingTests(SimpleTestCase):
    @respx.mock
    async def test_closing_the_generator_early_closes_the_response_from_ollama(self):
        stream = ReplayStream(replay("answer.ndjson"))
        respx.post(CHAT).mock(return_value=ndjson_response(stream))
        answer = provider().stream(CONVERSATION)

        first_two = [await anext(answer), await anext(answer)]
        assert not stream.closed
        await answer.aclose()  # type: ignore[attr-defined]

        assert first_two == ["I", "'m"]
        assert stream.closed
        assert stream.sent < len(stream.pieces)

    @respx.mock
    async def test_cancelling_while_ollama_thinks_closes_the_response(self):
        # Two lines arrive, then Ollama goes quiet: the browser leaves meanwhile.
        stream = ReplayStream(replay("answer.ndjson"), piece=1000, wait_after=1)
        respx.post(CHAT).mock(return_value=ndjson_response(stream))
        received: list[str] = []

        async def relay() -> None:
            async for token in provider().stream(CONVERSATION):
                received.append(token)

        task = asyncio.ensure_future(relay())
        while stream.sent < 1 or not received:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        assert received
        assert stream.closed

    @respx.mock
    async def test_a_slow_first_token_is_waited_for(self):
        # Ollama loading the model: nothing for a while, then the whole answer.
        stream = ReplayStream(replay("answer.ndjson"), wait_after=0)
        respx.post(CHAT).mock(return_value=ndjson_response(stream))
        task = asyncio.ensure_future(tokens(provider()))
        await asyncio.sleep(0.1)
        assert not task.done()
        stream.resume.set()
        assert "".join(await task).startswith("I'm not sure")
