"""Swagger UI under the strict policy: Django Ninja's own static files, loaded with the nonce.

Ninja's template loads its two scripts without a nonce; ours adds it and links back to the room.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.shortcuts import render
from ninja.openapi.docs import Swagger

from django_six_demos import compat

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from ninja import NinjaAPI


class CspSwagger(Swagger):
    template = "django_six_demos/api/swagger.html"
    default_settings = {
        **Swagger.default_settings,
        # No link inside each operation's button (axe: nested-interactive).
        "deepLinking": False,
        # Its colours are inline styles, some below 4.5:1 on their background.
        "syntaxHighlight": {"activated": False},
    }

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        # Ninja hands the template its settings as a JSON string to print with |safe, and
        # falls back to a CDN page without "ninja" in INSTALLED_APPS (E021 says so instead).
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(request, self.template, {"swagger_settings": settings, "api": api})


# Swagger UI's stylesheet draws its icons (select arrows, copy buttons) as data: SVG images:
# allowed in the report-only policy too, if the site runs one, or it would report each icon.
docs_policy = compat.csp_extend({"img-src": ["data:"]}, also_report_only=True)
