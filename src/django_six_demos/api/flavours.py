"""The four ways of serving the talks, in the order the comparison page shows them.

Tests, the page and the benchmark iterate :data:`FLAVOURS`; each module has ``encode_talks``.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from django.urls import reverse

NAMESPACE: Final = "django_six_demos_api"


class Flavour(NamedTuple):
    name: str  # "plain", also the URL prefix
    label: str
    module: str  # dotted path: importing it imports its library
    list_url_name: str  # in the NAMESPACE: "plain-talks", "ninja:talks"
    detail_url_name: str

    def list_url(self) -> str:
        return reverse(f"{NAMESPACE}:{self.list_url_name}")

    def detail_url(self, pk: int) -> str:
        return reverse(f"{NAMESPACE}:{self.detail_url_name}", args=[pk])


FLAVOURS: Final = (
    Flavour("plain", "Plain Django", "django_six_demos.api.plain", "plain-talks", "plain-talk"),
    Flavour("drf", "Django REST framework", "django_six_demos.api.drf", "drf-talks", "drf-talk"),
    Flavour("ninja", "Django Ninja", "django_six_demos.api.ninja_api", "ninja:talks", "ninja:talk"),
    Flavour(
        "msgspec",
        "msgspec",
        "django_six_demos.api.msgspec_api",
        "msgspec-talks",
        "msgspec-talk",
    ),
)
