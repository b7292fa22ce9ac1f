"""The demos' own sign-in and sign-out pages, in a project that adds no auth URL of its own."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.test import TestCase
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from django_six_demos import accounts

SIGN_IN = "/demos/sign-in/"
SIGN_OUT = "/demos/sign-out/"
HOME = "/demos/"


class SignInTests(TestCase):
    ada: User

    @classmethod
    def setUpTestData(cls):
        cls.ada = get_user_model().objects.create_user("ada", password="ada-passphrase")

    def sign_in(self, password="ada-passphrase", **extra):
        return self.client.post(SIGN_IN, {"username": "ada", "password": password, **extra})

    def test_the_page_has_labelled_fields_and_a_csrf_token(self):
        response = self.client.get(SIGN_IN)

        assert response.status_code == 200
        page = response.text
        assert "<h1>Sign in</h1>" in page
        assert '<label for="id_username">Username:</label>' in page
        assert '<label for="id_password">Password:</label>' in page
        assert 'name="csrfmiddlewaretoken"' in page
        assert "Content-Security-Policy" in response.headers

    def test_good_credentials_sign_in_and_go_to_the_demos_home(self):
        response = self.sign_in()

        assert response.status_code == 302
        assert response["Location"] == HOME
        assert int(self.client.session["_auth_user_id"]) == self.ada.pk

    def test_bad_credentials_show_an_error_and_sign_no_one_in(self):
        response = self.sign_in(password="wrong")

        assert response.status_code == 200
        assert '<div class="form-errors" role="alert">' in response.text
        assert "Please enter a correct username and password." in response.text
        assert "_auth_user_id" not in self.client.session

    def test_next_is_honoured(self):
        response = self.sign_in(next="/demos/tasks/?page=2")

        assert response["Location"] == "/demos/tasks/?page=2"

    def test_next_is_carried_from_the_link_into_the_form(self):
        response = self.client.get(accounts.sign_in_url("/demos/tasks/"))

        assert '<input type="hidden" name="next" value="/demos/tasks/">' in response.text

    def test_a_next_on_another_site_is_refused(self):
        for unsafe in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
            response = self.sign_in(next=unsafe)
            assert response.status_code == 302, unsafe
            assert response["Location"] == HOME, unsafe
            self.client.logout()

        page = self.client.get(SIGN_IN, {"next": "https://evil.example/"}).text
        assert '<input type="hidden" name="next" value="">' in page

    def test_signed_in_without_access_the_page_says_so(self):
        self.client.force_login(self.ada)

        response = self.client.get(accounts.sign_in_url("/demos/csp/reports/"))

        assert "You are signed in as <strong>ada</strong>" in response.text


class SignOutTests(TestCase):
    def setUp(self):
        self.client.force_login(get_user_model().objects.create_user("ada"))

    def test_a_post_signs_out_and_goes_to_the_demos_home(self):
        response = self.client.post(SIGN_OUT)

        assert response.status_code == 302
        assert response["Location"] == HOME
        assert "_auth_user_id" not in self.client.session

    def test_a_get_is_refused_and_signs_no_one_out(self):
        response = self.client.get(SIGN_OUT)

        assert response.status_code == 405
        assert "_auth_user_id" in self.client.session

    def test_next_is_honoured_on_this_site_only(self):
        assert self.client.post(SIGN_OUT, {"next": "/demos/crud/"})["Location"] == "/demos/crud/"
        self.client.force_login(get_user_model().objects.get(username="ada"))
        assert self.client.post(SIGN_OUT, {"next": "https://evil.example/"})["Location"] == HOME


class NoProjectUrlsTests(TestCase):
    """tests/urls.py includes the demos under /demos/ and no django.contrib.auth.urls."""

    def test_the_project_serves_no_auth_urls(self):
        with pytest.raises(NoReverseMatch):
            reverse("login")
        with pytest.raises(Resolver404):
            resolve("/accounts/login/")

    def test_the_sign_in_urls_follow_the_mount_point(self):
        assert reverse("django_six_demos_sign_in") == SIGN_IN
        assert reverse("django_six_demos_sign_out") == SIGN_OUT
        assert accounts.sign_in_url("/demos/tasks/") == "/demos/sign-in/?next=/demos/tasks/"

    def test_a_guarded_demo_sends_strangers_to_the_demos_sign_in_and_back(self):
        get_user_model().objects.create_user("grace", password="grace-passphrase")

        response = self.client.get("/demos/csp/reports/")
        assert response.status_code == 302
        assert response["Location"] == "/demos/sign-in/?next=/demos/csp/reports/"
        assert self.client.get(response["Location"]).status_code == 200

        signed_in = self.client.post(
            response["Location"],
            {"username": "grace", "password": "grace-passphrase", "next": "/demos/csp/reports/"},
        )
        assert signed_in["Location"] == "/demos/csp/reports/"
        # Signed in, the page itself answers (staff only), not a 404 for a missing URL.
        assert self.client.get(signed_in["Location"]).status_code == 403
