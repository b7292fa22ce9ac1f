"""URLs of the template partials demo."""

from __future__ import annotations

from django.urls import include, path

from django_six_demos.partials import migration, views

app_name = "django_six_demos_partials"

urlpatterns = [
    path("", views.index, name="index"),
    path("migrate/", migration.migrate, name="migrate"),
    path("talks/<int:pk>/title/", views.edit_title, name="edit-title"),
    path("talks/<int:pk>/row/", views.title_row, name="row"),
    path("speakers/", views.SpeakerListView.as_view(), name="speakers"),
    path("gotchas/", include("django_six_demos.partials.gotchas.urls")),
]
