"""Template context processors for django-six-demos."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from django_six_demos import compat


def csp_nonce(request: HttpRequest) -> dict[str, Any]:
    """Expose the request's CSP nonce as ``csp_nonce`` on Django 5.2, still lazy.

    django-csp's processor says ``CSP_NONCE``; core's and ``{% htmx_script %}`` say ``csp_nonce``.
    """
    return {"csp_nonce": compat.get_nonce(request)}
