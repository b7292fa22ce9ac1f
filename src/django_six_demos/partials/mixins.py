"""A class-based view mixin: answer htmx with one partial of the view's template.

django-htmx declined to ship it (django-htmx PR #113): it is a few lines.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers


class HtmxPartialMixin:
    """Add ``#<htmx_partial>`` to the template names on htmx requests; vary on ``HX-Request``.

    A history restore request (htmx fetching a page for Back/Forward) gets the whole page.

    With ``htmx_partial = "list"``, htmx gets ``speakers.html#list`` for ``speakers.html``.
    """

    htmx_partial: str
    request: HttpRequest

    def get_template_names(self) -> list[str]:
        names: list[str] = super().get_template_names()  # type: ignore[misc]
        htmx = getattr(self.request, "htmx", None)
        # Back/Forward without htmx's snapshot (HX-History-Restore-Request) swaps in a whole page.
        if htmx and not htmx.history_restore_request:
            return [f"{name}#{self.htmx_partial}" for name in names]
        return names

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
        return response
