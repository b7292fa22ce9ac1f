"""URLs of the example project: the demos at ``/`` (with their own sign-in), the admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("django_six_demos.urls")),
]
