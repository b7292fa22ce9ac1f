"""One answer's stream: the model's tokens as escaped server-sent events, then the stored result.

The same async generator serves ASGI (Django iterates it) and WSGI (a sync generator drives it
on an event loop of its own, one thread per open stream). Stop flags live in Django's cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from typing import Final, TypeVar

from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.db import close_old_connections
from django.template.loader import render_to_string
from django.utils import timezone

from django_six_demos.streaming.models import Message
from django_six_demos.streaming.providers import ChatMessage, Provider, ProviderError
from django_six_demos.streaming.sse import done_event, token_event

MESSAGE_PARTIAL: Final = "django_six_demos/streaming/index.html#message"
# How often a stream reads its stop flag: one cache read per interval, not one per token.
STOP_POLL_SECONDS: Final = 0.5
# A stop flag outlives any answer (MAX_TOKENS x TOKEN_DELAY), then expires by itself.
STOP_FLAG_SECONDS: Final = 600

T = TypeVar("T")


def stop_key(message_pk: int) -> str:
    return f"django_six_demos:streaming:stop:{message_pk}"


def request_stop(message_pk: int) -> None:
    """Ask the stream of message ``message_pk`` to end; it reads the flag within STOP_POLL_SECONDS."""
    cache.set(stop_key(message_pk), True, timeout=STOP_FLAG_SECONDS)


def render_message(message: Message) -> str:
    """The message as the page shows it: the ``done`` event replaces the streaming one with it."""
    return render_to_string(MESSAGE_PARTIAL, {"message": message}).strip()


async def _finish(message: Message, content: str, status: str, error: str = "") -> Message:
    message.content, message.status, message.error = content, status, error
    message.finished_at = timezone.now()
    # One UPDATE of the fields the stream owns; a conversation deleted meanwhile updates nothing.
    await Message.objects.filter(pk=message.pk).aupdate(
        content=content, status=status, error=error, finished_at=message.finished_at
    )
    return message


async def answer_events(
    message: Message, history: Sequence[ChatMessage], provider: Provider
) -> AsyncIterator[str]:
    """Yield a ``token`` event per token (escaped), then one ``done`` event: the final message.

    A stop flag or a provider error ends the answer early, and the ``done`` event says so. A
    client that goes away cancels this generator (or closes it): what arrived so far is saved as
    interrupted, the provider is closed, and the cancellation goes on.
    """
    loop = asyncio.get_running_loop()
    parts: list[str] = []
    tokens = provider.stream(history)
    status, error = Message.Status.COMPLETE, ""
    next_poll = loop.time()
    try:
        try:
            async for token in tokens:
                parts.append(token)
                yield token_event(token)
                if loop.time() >= next_poll:
                    next_poll = loop.time() + STOP_POLL_SECONDS
                    if await cache.aget(stop_key(message.pk)):
                        status = Message.Status.INTERRUPTED
                        break
        except ProviderError as failure:
            status, error = Message.Status.FAILED, str(failure)
        finally:
            # Closes the upstream connection (Ollama) now, not when the generator is collected.
            if isinstance(tokens, AsyncGenerator):
                await tokens.aclose()
    except (asyncio.CancelledError, GeneratorExit):
        # The client went away: keep what it saw. Shielded, so that a second cancellation
        # cannot leave the row "streaming"; nothing is yielded after GeneratorExit.
        await asyncio.shield(_finish(message, "".join(parts), Message.Status.INTERRUPTED))
        raise
    if status == Message.Status.INTERRUPTED:
        await cache.adelete(stop_key(message.pk))
    finished = await _finish(message, "".join(parts), status, error)
    yield done_event(render_message(finished))


def drive(events: AsyncIterator[T]) -> Iterator[T]:
    """Iterate ``events`` from sync code (WSGI), on an event loop of this generator's own.

    Closing this generator (the WSGI server does on a disconnect) closes ``events`` too, on
    the same loop; the loop is closed after.
    """
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                item = loop.run_until_complete(events.__anext__())
            except StopAsyncIteration:
                return
            yield item
    finally:
        try:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                loop.run_until_complete(aclose())
            loop.run_until_complete(loop.shutdown_asyncgens())
            # The async ORM calls above ran in asgiref's shared thread, not in this request's:
            # that thread's connection is closed as a request's would be (CONN_MAX_AGE).
            loop.run_until_complete(sync_to_async(close_old_connections)())
        finally:
            loop.close()
