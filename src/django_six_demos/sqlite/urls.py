"""URLs of the sqlite demo."""

from __future__ import annotations

from django.urls import path

from django_six_demos.sqlite import views

app_name = "django_six_demos_sqlite"

urlpatterns = [
    path("", views.index, name="index"),
    path("lab/", views.lab, name="lab"),
    path("lab/start/", views.lab_start, name="lab-start"),
    path("lab/runs/", views.recent_runs, name="recent-runs"),
    path("lab/<int:pk>/", views.run_status, name="run"),
]
