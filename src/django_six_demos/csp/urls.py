"""URLs of the csp demo."""

from __future__ import annotations

from django.urls import path

from django_six_demos.csp import views

app_name = "django_six_demos_csp"

urlpatterns = [
    path("", views.index, name="index"),
]
