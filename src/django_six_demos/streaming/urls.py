"""URLs of the streaming demo: the chat, its POST endpoints, the one-time streams, the story."""

from __future__ import annotations

from django.urls import path

from django_six_demos.streaming import views

app_name = "django_six_demos_streaming"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.conversation, name="conversation"),
    path("ask/", views.ask, name="ask"),
    # The token is the answer's secrets.token_urlsafe(): letters, digits, "-" and "_".
    path("stream/<str:token>/", views.stream, name="stream"),
    path("stop/<int:pk>/", views.stop, name="stop"),
    path("async/", views.AsyncStoryView.as_view(), name="story"),
]
