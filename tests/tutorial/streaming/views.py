"""Chapter 6's first code: an async view that streams an answer as server-sent events.

A made-up model yields tokens; each is escaped and sent as a ``token`` event, and a
``done`` event tells the browser to close the stream instead of reconnecting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.html import escape

ANSWER = ["Tokens", " arrive", " one", " by", " one:", " <b>escaped</b>", " &", " safe."]
TOKEN_DELAY = 0.01  # seconds between tokens: a real model takes longer


async def model() -> AsyncIterator[str]:
    """A stand-in for a language model: one token at a time, awaiting between them."""
    for token in ANSWER:
        await asyncio.sleep(TOKEN_DELAY)
        yield token


def sse_event(event: str, data: str) -> str:
    """One server-sent event: its name, each line of data, then a blank line."""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {event}\n{lines}\n"


async def events() -> AsyncIterator[str]:
    async for token in model():
        yield sse_event("token", escape(token))
    yield sse_event("done", "")


async def stream(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"  # every event, now: no cache in between
    response["X-Accel-Buffering"] = "no"  # nor nginx's buffer
    return response
