"""URLs of the API demo: the same two endpoints in each flavour, under its name."""

from __future__ import annotations

from django.urls import path

from django_six_demos.api import drf, msgspec_api, ninja_api, plain, views

app_name = "django_six_demos_api"

urlpatterns = [
    path("", views.index, name="index"),
    path("measure/", views.measure, name="measure"),
    path("plain/talks/", plain.talk_list, name="plain-talks"),
    path("plain/talks/<int:pk>/", plain.talk_detail, name="plain-talk"),
    path("drf/talks/", drf.talk_list, name="drf-talks"),
    path("drf/talks/<int:pk>/", drf.talk_detail, name="drf-talk"),
    path("ninja/", ninja_api.api.urls),
    path("msgspec/talks/", msgspec_api.talk_list, name="msgspec-talks"),
    path("msgspec/talks/<int:pk>/", msgspec_api.talk_detail, name="msgspec-talk"),
]
