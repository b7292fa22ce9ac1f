"""Chapter 7's URLs: the talks and one talk, as JSON."""

from __future__ import annotations

from django.urls import path

from tests.tutorial.api import views

urlpatterns = [
    path("talks/", views.talk_list, name="talk-list"),
    path("talks/<int:pk>/", views.talk_detail, name="talk-detail"),
]
