"""Signing in and out of the demos, with no URL for the project to add.

Django's own ``LoginView`` and ``LogoutView`` under the demos' URLs. The demos link
here rather than to ``settings.LOGIN_URL``, which a project may not serve.
"""

from __future__ import annotations

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.http import QueryDict
from django.urls import reverse


class SignInView(auth_views.LoginView):
    """Django's LoginView: ``?next=`` is checked against the site's host before it is followed."""

    template_name = "django_six_demos/sign_in.html"
    # Without ?next=, back to the demos (LOGIN_REDIRECT_URL is the project's).
    next_page = "django_six_demos_index"


class SignOutView(auth_views.LogoutView):
    """Django's LogoutView: POST only (Django 5.0+), so the header's button is a form."""

    next_page = "django_six_demos_index"


def sign_in_url(next_path: str) -> str:
    """The demos' sign-in page, coming back to ``next_path`` afterwards.

    Spelled as Django's ``redirect_to_login()`` spells it: ``/demos/sign-in/?next=/demos/tasks/``.
    """
    query = QueryDict(mutable=True)
    query[REDIRECT_FIELD_NAME] = next_path
    return f"{reverse('django_six_demos_sign_in')}?{query.urlencode(safe='/')}"
