"""URLs for django-six-demos: ``path("demos/", include("django_six_demos.urls"))``.

No ``app_name`` here: each demo namespaces its own URLs (its app label),
except the CRUD demo, whose neapolitan views reverse bare URL names.
"""

from __future__ import annotations

from django.urls import include, path

from django_six_demos import views

urlpatterns = [
    path("", views.index, name="django_six_demos_index"),
    path("frame/highlight.css", views.highlight_css, name="django_six_demos_highlight_css"),
    path("partials/", include("django_six_demos.partials.urls")),
    path("csp/", include("django_six_demos.csp.urls")),
    path("tasks/", include("django_six_demos.tasks.urls")),
    path("sqlite/", include("django_six_demos.sqlite.urls")),
    path("crud/", include("django_six_demos.crud.urls")),
]
