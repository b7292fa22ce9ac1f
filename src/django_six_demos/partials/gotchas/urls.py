"""URLs of the template partials gotchas gallery.

Included by ``django_six_demos.partials.urls`` under its namespace, so there
is no ``app_name`` here: reverse ``"django_six_demos_partials:gotchas"``.
"""

from __future__ import annotations

from django.urls import path

from django_six_demos.partials.gotchas import views

urlpatterns = [
    path("", views.gotchas, name="gotchas"),
    path("nested/", views.nested, name="gotcha-nested"),
]
