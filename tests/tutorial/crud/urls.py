"""Chapter 5's URLs: the five views' patterns, from ``CRUDView.get_urls()``."""

from __future__ import annotations

from tests.tutorial.crud.views import TalkView

urlpatterns = [
    *TalkView.get_urls(),
]
