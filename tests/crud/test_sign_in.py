from __future__ import annotations

import re
from html import unescape

from django.test import TestCase, override_settings
from django.urls import reverse

ROOM = reverse("demos-crud-index")


class SignInLinkTests(TestCase):
    def sign_in_link(self) -> str:
        response = self.client.get(ROOM)
        main = response.text.split('<main class="site-main" id="main" tabindex="-1">')[1]
        match = re.search(r'<a href="([^"]+)">Sign in</a> as a demo user', main)
        assert match, "the room offers no sign-in link"
        return unescape(match[1])

    def test_the_room_links_to_the_demos_own_sign_in_and_back(self):
        link = self.sign_in_link()

        assert link == f"{reverse('django_six_demos_sign_in')}?next={ROOM}"
        assert self.client.get(link).status_code == 200

    @override_settings(LOGIN_URL="/nowhere/")
    def test_the_link_does_not_follow_the_projects_login_url(self):
        # A project may set LOGIN_URL to a page it does not serve (or leave Django's default).
        assert self.sign_in_link().startswith(reverse("django_six_demos_sign_in"))
