"""One answer's stream: the model's tokens as escaped server-sent events, then the stored result.

The same async generator serves ASGI (Django iterates it) and WSGI (a sync generator drives it
on an event loop of its own, one thread per open stream). Stop requests reach it in-process.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from typing import Final, TypeVar

from asgiref.sync import sync_to_async
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import close_old_connections, connections
from django.template.loader import render_to_string
from django.utils import timezone

from django_six_demos.streaming.models import Message
from django_six_demos.streaming.providers import ChatMessage, Provider, ProviderError
from django_six_demos.streaming.sse import done_event, token_event

MESSAGE_PARTIAL: Final = "django_six_demos/streaming/index.html#message"
# How often a stream reads its stop flag from a cache other processes share (Redis, a
# database): a stop sent to another process arrives within this; in this one, at once.
STOP_POLL_SECONDS: Final = 2.0
# A stop flag outlives any answer (MAX_TOKENS x TOKEN_DELAY), then expires by itself.
STOP_FLAG_SECONDS: Final = 600

T = TypeVar("T")

# The open answers of this process, by message pk: ``request_stop`` sets the event, and the
# stream checks it after every token, for free. A lock, since under WSGI (and for sync views
# under ASGI) streams and stop requests run in different threads.
_open_streams: dict[int, threading.Event] = {}
_open_streams_lock = threading.Lock()


def stop_key(message_pk: int) -> str:
    return f"django_six_demos:streaming:stop:{message_pk}"


def request_stop(message_pk: int) -> None:
    """Ask the stream of message ``message_pk`` to end, whichever process serves it.

    In this process it stops at its next token. The cache flag reaches a stream that has not
    started yet, and, through a cache shared between processes, one in another process.
    """
    cache.set(stop_key(message_pk), True, timeout=STOP_FLAG_SECONDS)
    with _open_streams_lock:
        stopping = _open_streams.get(message_pk)
    if stopping is not None:
        stopping.set()


def cache_is_shared() -> bool:
    """Whether the default cache is one that other processes see too (not per-process memory)."""
    return not isinstance(caches[DEFAULT_CACHE_ALIAS], (LocMemCache, DummyCache))


def render_message(message: Message) -> str:
    """The message as the page shows it: the ``done`` event replaces the streaming one with it."""
    return render_to_string(MESSAGE_PARTIAL, {"message": message}).strip()


def release_connections() -> None:
    """Close the database connections this thread has open, unless a transaction holds one.

    Under ASGI, Django runs each request's sync code (the ORM's too) in a thread of the
    request's own, kept until the streamed response ends; a connection opened there would stay
    open, unused, while the tokens stream. The next query opens a new one. Called through
    ``sync_to_async``, so it runs in that same thread.
    """
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def _stop_flag_read(message_pk: int) -> bool:
    """Whether a stop was asked through the cache; and this thread's connections released."""
    release_connections()
    return bool(cache.get(stop_key(message_pk)))


def _finish(message: Message, content: str, status: str, error: str = "") -> Message:
    message.content, message.status, message.error = content, status, error
    message.finished_at = timezone.now()
    # One UPDATE of the fields the stream owns; a conversation deleted meanwhile updates nothing.
    Message.objects.filter(pk=message.pk).update(
        content=content, status=status, error=error, finished_at=message.finished_at
    )
    if status == Message.Status.INTERRUPTED:
        cache.delete(stop_key(message.pk))
    release_connections()
    return message


async def answer_events(
    message: Message, history: Sequence[ChatMessage], provider: Provider
) -> AsyncIterator[str]:
    """Yield a ``token`` event per token (escaped), then one ``done`` event: the final message.

    A stop request or a provider error ends the answer early, and the ``done`` event says so. A
    client that goes away cancels this generator (or closes it): what arrived so far is saved as
    interrupted, the provider is closed, and the cancellation goes on.
    """
    loop = asyncio.get_running_loop()
    stopping = threading.Event()
    with _open_streams_lock:
        _open_streams[message.pk] = stopping
    parts: list[str] = []
    tokens = provider.stream(history)
    status, error = Message.Status.COMPLETE, ""
    poll = cache_is_shared()
    next_poll = 0.0
    try:
        try:
            try:
                async for token in tokens:
                    parts.append(token)
                    yield token_event(token)
                    if len(parts) == 1 or (poll and loop.time() >= next_poll):
                        # After the first token the model has read what it needs: one hop
                        # to the request's thread reads a stop sent before the stream was
                        # registered above (or by another process) and closes its connections.
                        next_poll = loop.time() + STOP_POLL_SECONDS
                        if await sync_to_async(_stop_flag_read)(message.pk):
                            stopping.set()
                    if stopping.is_set():
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
            await asyncio.shield(
                sync_to_async(_finish)(message, "".join(parts), Message.Status.INTERRUPTED)
            )
            raise
    finally:
        with _open_streams_lock:
            _open_streams.pop(message.pk, None)
    finished = await sync_to_async(_finish)(message, "".join(parts), status, error)
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
