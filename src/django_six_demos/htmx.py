"""The request type of every view behind django-htmx's middleware.

``request.htmx`` is set by ``HtmxMiddleware``; views annotate their request
with this class so mypy knows it.
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
