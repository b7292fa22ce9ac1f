"""The URLconf of the partials chapter's plain-Django views (a test URLconf)."""

from __future__ import annotations

from django.urls import path

from tests.tutorial.partials import views

urlpatterns = [
    path("talks/", views.talk_list, name="talk-list"),
    path("talks/<int:pk>/row/", views.talk_row, name="talk-row"),
]
