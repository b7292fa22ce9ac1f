"""URLs of the example project: the demos at ``/``, the admin, sign-in."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # login/, logout/, password_change/ ...; the login template is in example/templates.
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("django_six_demos.urls")),
]
