"""URLs of the API demo: the same two endpoints in each flavour, under its name."""

from __future__ import annotations

from django.urls import path

from django_six_demos.api import plain, views

app_name = "django_six_demos_api"

urlpatterns = [
    path("", views.index, name="index"),
    path("measure/", views.measure, name="measure"),
    path("plain/talks/", plain.talk_list, name="plain-talks"),
    path("plain/talks/<int:pk>/", plain.talk_detail, name="plain-talk"),
]
