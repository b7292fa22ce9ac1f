"""The demo frame's middleware, sync and async: fills in the inspector of every demo page.

Outermost, to see every header; an htmx swap stays byte for byte what the view made and
carries the inspection in the ``Demo-Inspection`` header instead. Streams pass unread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string

from django_six_demos.frame import enabled, view_for
from django_six_demos.frame.inspector import inspect_response
from django_six_demos.queries import QueryCount, count_queries, watch_request_threads

_GetResponse = Callable[[HttpRequest], HttpResponseBase]
_AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]

INSPECTOR_START = "<!--demo-inspector-->"
INSPECTOR_END = "<!--/demo-inspector-->"
INSPECTION_HEADER = "Demo-Inspection"


def _html(response: HttpResponseBase) -> str | None:
    """Return the body as text, or None for a stream, an encoded body or what is not HTML."""
    if (
        not isinstance(response, HttpResponse)
        or "Content-Encoding" in response
        or not response.get("Content-Type", "").startswith("text/html")
    ):
        return None
    return response.content.decode(response.charset)


def _is_demo_view(request: HttpRequest) -> bool:
    view = view_for(request)
    return view is not None and view.__module__.startswith("django_six_demos.")


class DemoFrameMiddleware:
    """Write the response inspector into demo pages; describe htmx swaps in a header."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: _GetResponse | _AsyncGetResponse) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            # Django then awaits this middleware instead of running it in a thread.
            markcoroutinefunction(self)
        # An async view's ORM calls run in another thread: count there too.
        watch_request_threads()

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        if not enabled():
            return self.get_response(request)
        start = perf_counter()
        with count_queries() as queries:
            response = cast(HttpResponseBase, self.get_response(request))
        return _framed(request, response, queries, perf_counter() - start)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        get_response = cast(_AsyncGetResponse, self.get_response)
        if not enabled():
            return await get_response(request)
        start = perf_counter()
        with count_queries() as queries:
            response = await get_response(request)
        return _framed(request, response, queries, perf_counter() - start)


def _framed(
    request: HttpRequest, response: HttpResponseBase, queries: QueryCount, duration: float
) -> HttpResponseBase:
    """Fill in the inspector of a complete page; describe an htmx swap in a header."""
    # Back/Forward without an htmx snapshot (HX-History-Restore-Request) loads a whole page.
    swap = (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
        and _is_demo_view(request)
    )
    # A stream is never read (_html() says None): it gets at most the header.
    body = _html(response) or ""
    if not swap and (INSPECTOR_START not in body or INSPECTOR_END not in body):
        return response
    inspection = inspect_response(
        request, response, body=body, queries=queries.count, duration=duration
    )
    if swap:
        response[INSPECTION_HEADER] = inspection.to_json()
        return response
    html = render_to_string("django_six_demos/frame/inspector.html", {"inspection": inspection})
    before, rest = body.split(INSPECTOR_START, 1)
    _, after = rest.split(INSPECTOR_END, 1)
    response.content = (before + html + after).encode(response.charset)  # type: ignore[attr-defined]
    if "Content-Length" in response:
        response["Content-Length"] = str(len(response.content))  # type: ignore[attr-defined]
    return response
