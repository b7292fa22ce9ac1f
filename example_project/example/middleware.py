"""WhiteNoise under ASGI: static files served without making the whole stack sync.

WhiteNoise 6 is sync-only: Django would run every middleware above it (the demo frame
too) in a thread, and then read its files whole in the event loop, with a warning.
This subclass is sync and async: under ASGI it opens and reads files in threads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest
from django.http.response import HttpResponseBase, StreamingHttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware  # type: ignore[import-untyped]

# Bytes read per trip to a thread (a FileResponse yields blocks of 4 KiB).
BATCH_BYTES = 64 * 1024

_GetResponse = Callable[[HttpRequest], HttpResponseBase]
_AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


def _next_batch(iterator: Iterator[bytes]) -> list[bytes]:
    batch: list[bytes] = []
    size = 0
    for chunk in iterator:
        batch.append(chunk)
        size += len(chunk)
        if size >= BATCH_BYTES:
            break
    return batch


async def _read_in_threads(iterator: Iterator[bytes]) -> AsyncIterator[bytes]:
    while batch := await sync_to_async(_next_batch, thread_sensitive=False)(iterator):
        for chunk in batch:
            yield chunk


class AsyncWhiteNoiseMiddleware(WhiteNoiseMiddleware):  # type: ignore[misc]  # untyped base
    """WhiteNoise, sync and async; the sync path is WhiteNoise's own."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: _GetResponse | _AsyncGetResponse, **kwargs: Any) -> None:
        super().__init__(get_response, **kwargs)
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        return cast(HttpResponseBase, super().__call__(request))

    def _may_be_a_file(self, path: str) -> bool:
        """Whether ``find_file()`` could find ``path``: it only looks under these prefixes."""
        prefixes = [prefix for _, prefix in self.directories]
        if self.use_finders:
            prefixes.append(self.static_prefix)
        return any(path.startswith(prefix) for prefix in prefixes)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        path = request.path_info
        if not self.autorefresh:
            static_file = self.files.get(path)
        elif self._may_be_a_file(path):
            # Development: the finders look on disk.
            static_file = await sync_to_async(self.find_file, thread_sensitive=False)(path)
        else:
            static_file = None
        if static_file is None:
            return await cast(_AsyncGetResponse, self.get_response)(request)
        # Opens the file; the response closes it.
        response = await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
        assert isinstance(response, StreamingHttpResponse) and not response.is_async
        files = cast(Iterator[bytes], response.streaming_content)
        response.streaming_content = _read_in_threads(files)
        return response
