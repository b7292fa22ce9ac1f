"""URLs of the partials demo."""

from __future__ import annotations

from django.urls import path

from django_six_demos.partials import views

app_name = "django_six_demos_partials"

urlpatterns = [
    path("", views.index, name="index"),
]
