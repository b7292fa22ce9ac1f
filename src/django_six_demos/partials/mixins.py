"""A class-based view mixin: render one partial of the template for htmx requests.

django-htmx declined to ship this (django-htmx PR #113): it is a few lines, so
here it is, documented and tested. With template partials (Django 6.0, or
django-template-partials on 5.2) a class-based view keeps one template and
answers htmx with just the fragment it swaps.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers


class HtmxPartialMixin:
    """Add ``#<htmx_partial>`` to the template names on htmx requests.

    ::

        class SpeakerListView(HtmxPartialMixin, ListView):
            template_name = "speakers.html"
            htmx_partial = "list"  # htmx gets "speakers.html#list"

    Responses vary on ``HX-Request``: a cache must never serve the fragment
    to a full-page request, or the reverse.
    """

    htmx_partial: str
    request: HttpRequest

    def get_template_names(self) -> list[str]:
        names: list[str] = super().get_template_names()  # type: ignore[misc]
        if getattr(self.request, "htmx", False):
            return [f"{name}#{self.htmx_partial}" for name in names]
        return names

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        patch_vary_headers(response, ("HX-Request",))
        return response
