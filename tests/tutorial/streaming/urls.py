"""Chapter 6's URL: the stream."""

from __future__ import annotations

from django.urls import path

from tests.tutorial.streaming import views

urlpatterns = [
    path("stream/", views.stream, name="stream"),
]
