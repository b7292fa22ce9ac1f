"""The demo frame's middleware: fills the response inspector on every demo page.

The inspector shows headers that other middleware add on the way out (the CSP
header above all), so it must run outermost: ``conf.middleware()`` puts it
first. No package does this for production pages (django-debug-toolbar is a
DEBUG-only tool with its own UI), hence our own small middleware.

- A full page carries inspector markers: the middleware renders the inspector
  between them once the response is complete.
- An htmx swap from a demo view is left byte for byte as the view made it (the
  partials demo compares it with ``render_to_string()``). The server-side facts
  the browser cannot see (view, template, queries, time) travel in one
  ``Demo-Inspection`` header; ``frame.js`` reads it with the other headers and
  redraws the inspector after each swap.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.db import connections
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string

from django_six_demos import frame

INSPECTOR_START = "<!--demo-inspector-->"
INSPECTOR_END = "<!--/demo-inspector-->"
INSPECTION_HEADER = "Demo-Inspection"


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        self.count += 1
        return execute(*args)


def _is_demo_view(request: HttpRequest) -> bool:
    view = frame.view_for(request)
    return view is not None and view.__module__.startswith("django_six_demos.")


class DemoFrameMiddleware:
    """Write the response inspector into demo pages; describe htmx swaps in a header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not frame.enabled():
            return self.get_response(request)
        counter = _QueryCounter()
        start = time.perf_counter()
        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(counter))
            response = self.get_response(request)
        duration = time.perf_counter() - start

        if request.headers.get("HX-Request") == "true" and _is_demo_view(request):
            facts = frame.server_facts(request, response, queries=counter.count, duration=duration)
            response[INSPECTION_HEADER] = json.dumps(facts, separators=(",", ":"))
            return response

        if (
            response.streaming
            or "Content-Encoding" in response
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        body = response.content.decode(response.charset)  # type: ignore[attr-defined]
        if INSPECTOR_START not in body or INSPECTOR_END not in body:
            return response

        inspection = frame.inspect_response(
            request, response, body=body, queries=counter.count, duration=duration
        )
        html = render_to_string("django_six_demos/frame/inspector.html", {"inspection": inspection})
        before, rest = body.split(INSPECTOR_START, 1)
        _, after = rest.split(INSPECTOR_END, 1)
        response.content = (before + html + after).encode(response.charset)  # type: ignore[attr-defined]
        if "Content-Length" in response:
            response["Content-Length"] = str(len(response.content))  # type: ignore[attr-defined]
        return response
