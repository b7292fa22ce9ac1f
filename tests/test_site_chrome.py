"""The site's header and home page: docs links, who is signed in, messages, Django's own features.

Driven through the Test Client, as a visitor would: follow the header's links and forms.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory, TestCase, override_settings
from django.urls import reverse

from django_six_demos.demo import DEFAULT_DOCS_URL, installed_demos
from tests.test_docs import links

HOME = "django_six_demos_index"


def header(page: str) -> str:
    match = re.search(r'<header class="site-header">(.*?)</header>', page, re.DOTALL)
    assert match is not None
    return match[1]


def section(page: str, heading_id: str) -> str:
    match = re.search(
        rf'<section[^>]*aria-labelledby="{heading_id}">(.*?)</section>', page, re.DOTALL
    )
    assert match is not None, heading_id
    return match[1]


class DocsLinkTests(TestCase):
    def test_the_header_links_the_docs_and_the_tutorial(self):
        page = self.client.get(reverse(HOME)).text

        assert links(header(page))[1:3] == [
            DEFAULT_DOCS_URL,
            f"{DEFAULT_DOCS_URL}tutorial/index.html",
        ]

    @override_settings(DJANGO_SIX_DEMOS_DOCS_URL="https://docs.example/six")
    def test_the_docs_url_is_a_setting(self):
        for url in (reverse(HOME), reverse(installed_demos()[0].url_name)):
            with self.subTest(url):
                page = self.client.get(url).text

                assert "https://docs.example/six/tutorial/index.html" in links(header(page))
                assert DEFAULT_DOCS_URL not in page


class AccountTests(TestCase):
    user: User

    @classmethod
    def setUpTestData(cls):
        cls.user = get_user_model().objects.create_user("ada", password="lovelace-1815")

    def test_a_stranger_gets_a_sign_in_link_back_to_the_page(self):
        room = reverse(installed_demos()[0].url_name)

        page = self.client.get(f"{room}?q=a&x=1").text

        sign_in = f"{reverse('django_six_demos_sign_in')}?next={room}%3Fq%3Da%26x%3D1"
        assert sign_in in links(header(page))
        assert "Sign out" not in header(page)
        # Signing in there comes back to the page, query string and all.
        form = self.client.get(sign_in)
        assert f'name="next" value="{room}?q=a&amp;x=1"' in form.text
        response = self.client.post(
            reverse("django_six_demos_sign_in"),
            {"username": "ada", "password": "lovelace-1815", "next": f"{room}?q=a&x=1"},
        )
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == f"{room}?q=a&x=1"

    def test_the_sign_in_page_does_not_link_to_itself(self):
        page = self.client.get(reverse("django_six_demos_sign_in")).text

        assert not [href for href in links(header(page)) if "sign-in" in href]

    def test_the_header_says_who_is_signed_in_and_signs_out_with_a_post(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.user)

        page = client.get(reverse(HOME)).text

        assert "Signed in as <strong>ada</strong>" in header(page)
        form = re.search(
            r'<form class="sign-out" method="post" action="([^"]+)">\s*'
            r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">',
            header(page),
        )
        assert form is not None
        assert form[1] == reverse("django_six_demos_sign_out")
        # Without the form's token the POST is refused; with it, the visitor is signed out.
        assert client.post(form[1]).status_code == HTTPStatus.FORBIDDEN
        response = client.post(form[1], {"csrfmiddlewaretoken": form[2]})
        assert response.status_code == HTTPStatus.FOUND
        after = client.get(response["Location"]).text
        assert "Signed in as" not in after
        assert ">Sign in</a>" in header(after)

    def test_the_username_is_escaped(self):
        self.client.force_login(get_user_model().objects.create_user("<i>eve</i>"))

        page = self.client.get(reverse(HOME)).text

        assert "Signed in as <strong>&lt;i&gt;eve&lt;/i&gt;</strong>" in page


class MessageTests(TestCase):
    def leave_message(self, level: int, text: str) -> None:
        """Store a message as a view's redirect would, in the messages cookie."""
        storage = CookieStorage(RequestFactory().get("/"))
        storage.add(level, text)
        response = HttpResponse()
        storage.update(response)
        self.client.cookies[storage.cookie_name] = response.cookies[storage.cookie_name].value

    def test_the_next_page_shows_the_message_once(self):
        self.leave_message(messages.SUCCESS, "Talk “<Tasks>” created.")

        page = self.client.get(reverse(installed_demos()[0].url_name)).text

        assert (
            '<div class="site-messages" role="status" aria-live="polite">'
            '<p class="message message-success">Talk “&lt;Tasks&gt;” created.</p></div>'
        ) in header(page)
        again = self.client.get(reverse(HOME)).text
        assert '<div class="site-messages" role="status" aria-live="polite"></div>' in again

    def test_an_error_is_marked_as_one(self):
        self.leave_message(messages.ERROR, "That talk is gone.")

        page = self.client.get(reverse(HOME)).text

        assert '<p class="message message-error">That talk is gone.</p>' in header(page)


class HomePageTests(TestCase):
    def test_django_features_and_packages_are_listed_apart(self):
        page = self.client.get(reverse(HOME)).text
        django_features = section(page, "django-features")
        packages = section(page, "packages")

        assert "What Django 6 added" in django_features
        assert "The packages that complete them" in packages
        for demo in installed_demos():
            with self.subTest(demo.slug):
                card = f'<li class="room" id="room-{demo.slug}">'
                if demo.is_django_feature:
                    assert card in django_features
                    assert card not in packages
                    assert demo.release_notes in links(django_features)
                else:
                    assert card in packages
                    assert card not in django_features
        assert "New in Django" not in packages
        assert "features that arrived in Django 6" not in page

    def test_the_django_features_name_their_release_and_notes(self):
        page = self.client.get(reverse(HOME)).text

        features = [demo for demo in installed_demos() if demo.is_django_feature]
        assert [demo.slug for demo in features] == ["partials", "csp", "tasks"]
        for demo in features:
            card = re.search(rf'<li class="room" id="room-{demo.slug}">(.*?)</li>', page, re.DOTALL)
            assert card is not None
            assert f"New in Django {demo.added_in}" in card[1]
            assert demo.release_notes in links(card[1])
            assert demo.chapter_url in links(card[1])

    def test_the_packages_are_the_sqlite_crud_streaming_and_api_rooms(self):
        packages = [demo.slug for demo in installed_demos() if not demo.is_django_feature]

        assert packages == ["sqlite", "crud", "streaming", "api"]
