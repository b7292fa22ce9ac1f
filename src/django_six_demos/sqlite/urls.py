"""URLs of the sqlite demo."""

from __future__ import annotations

from django.urls import path

from django_six_demos.sqlite import views

app_name = "django_six_demos_sqlite"

urlpatterns = [
    path("", views.index, name="index"),
]
