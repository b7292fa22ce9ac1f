"""URLs of the csp demo."""

from __future__ import annotations

from django.urls import path

from django_six_demos.csp import collector, htmx_lab, migration, views

app_name = "django_six_demos_csp"

urlpatterns = [
    path("", views.index, name="index"),
    path("twins/enforced/", views.twin_enforced, name="twin-enforced"),
    path("twins/report-only/", views.twin_report_only, name="twin-report-only"),
    path("per-view/extended/", views.extended, name="extended"),
    path("per-view/disabled/", views.disabled, name="disabled"),
    path("sandbox/", views.sandbox, name="sandbox"),
    path("injected-attributes/", views.injected_attributes, name="injected-attributes"),
    path("injected-attributes/planted/", views.planted, name="planted"),
    path("headers/", views.headers, name="headers"),
    path("htmx/", htmx_lab.htmx_lab, name="htmx-lab"),
    path("htmx/broken/<slug:variant>/", htmx_lab.htmx_lab_variant, name="htmx-lab-variant"),
    path("htmx/swap/<slug:fragment>/", htmx_lab.htmx_lab_fragment, name="htmx-lab-fragment"),
    path("report/", collector.report, name="report"),
    path("reports/", collector.reports, name="reports"),
    path("reports/clear/", collector.clear_reports, name="reports-clear"),
    path("migrate/", migration.migrate, name="migrate"),
]
