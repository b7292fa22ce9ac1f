"""URLs of the CRUD demo.

No ``app_name``: neapolitan reverses bare ``"<url_base>-<role>"`` names, so
nothing in the include chain may add a namespace.
"""

from __future__ import annotations

from django.urls import path

from django_six_demos.crud import views

urlpatterns = [
    path("", views.index, name="demos-crud-index"),
]
