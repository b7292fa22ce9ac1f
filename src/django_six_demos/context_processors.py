"""Template context processors for django-six-demos."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from django_six_demos import compat


def csp_nonce(request: HttpRequest) -> dict[str, Any]:
    """Expose the request's CSP nonce as ``csp_nonce`` (Django 5.2 + django-csp).

    django-csp's own processor names the variable ``CSP_NONCE``; Django 6.0's
    core processor and django-htmx's ``{% htmx_script %}`` use ``csp_nonce``.
    Written here because no package bridges the two names. The nonce stays
    lazy: a response whose template never prints it gets a header without it.
    """
    return {"csp_nonce": compat.get_nonce(request)}
