"""URLs of the tasks demo."""

from __future__ import annotations

from django.urls import path

from django_six_demos.tasks import views

app_name = "django_six_demos_tasks"

urlpatterns = [
    path("", views.index, name="index"),
]
