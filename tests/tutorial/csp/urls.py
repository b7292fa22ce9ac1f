"""The URLconf of the CSP chapter's plain-Django views (a test URLconf, Django 6.0+)."""

from __future__ import annotations

from django.urls import path

from tests.tutorial.csp import views

urlpatterns = [
    path("schedule/", views.schedule),
    path("schedule/data-images/", views.schedule_with_data_images),
    path("schedule/report-only/", views.schedule_report_only),
]
