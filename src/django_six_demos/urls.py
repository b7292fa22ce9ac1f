"""URLs for django-six-demos: ``path("demos/", include("django_six_demos.urls"))``.

The home page, then each installed demo under its ``url_prefix``. No ``app_name``
here: a demo namespaces its own URLs (or not, as neapolitan needs).
"""

from __future__ import annotations

from django.urls import include, path

from django_six_demos import accounts, views
from django_six_demos.demo import installed_demos

urlpatterns = [
    path("", views.index, name="django_six_demos_index"),
    path("sign-in/", accounts.SignInView.as_view(), name="django_six_demos_sign_in"),
    path("sign-out/", accounts.SignOutView.as_view(), name="django_six_demos_sign_out"),
    path("frame/highlight.css", views.highlight_css, name="django_six_demos_highlight_css"),
    *(
        path(demo.url_prefix, include(demo.urls_module))
        for demo in installed_demos()
        if demo.available
    ),
]
