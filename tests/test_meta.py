"""Every page says what it demonstrates: a <title> and a <meta name="description">.

The pages are those a visitor reaches by following links from the home page (seeded, signed
in as staff, so every demo's pages show), fetched with the Test Client.
"""

from __future__ import annotations

from html.parser import HTMLParser
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from django_six_demos.conference.management.commands.demos_seed import DEMO_USERS
from django_six_demos.demo import installed_demos

MAX_PAGES = 80


class Head(HTMLParser):
    """The page's <title>, its meta description and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.description: str | None = None
        self.links: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "title":
            self._in_title = True
        elif tag == "meta" and attributes.get("name") == "description":
            self.description = attributes.get("content") or ""
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def read(html: str) -> Head:
    head = Head()
    head.feed(html)
    return head


def kind(path: str) -> str:
    """One page per kind: .../talk/7/ and .../talk/9/ are alike."""
    return "/".join("<id>" if part.isdigit() else part for part in path.split("/"))


class MetaTests(TestCase):
    staff: User

    @classmethod
    def setUpTestData(cls) -> None:
        call_command("demos_seed", verbosity=0)
        [staff] = [user for user in DEMO_USERS if user.is_staff]
        cls.staff = get_user_model().objects.get(username=staff.username)

    def crawl(self) -> dict[str, Head]:
        """Return every page reachable from home, by path, as the staff user sees it."""
        self.client.force_login(self.staff)
        home = reverse("django_six_demos_index")
        pages: dict[str, Head] = {}
        to_visit, seen = [home], set[str]()
        while to_visit and len(seen) < MAX_PAGES:
            path = to_visit.pop(0)
            if kind(path) in seen:
                continue
            seen.add(kind(path))
            response = self.client.get(path)
            assert response.status_code == HTTPStatus.OK, path
            if not response["Content-Type"].startswith("text/html"):
                continue  # the API room links to its JSON
            pages[path] = head = read(response.text)
            for href in head.links:
                url = urlsplit(urljoin(f"http://testserver{path}", href))
                if url.netloc == "testserver" and not url.query and url.path.startswith(home):
                    to_visit.append(url.path)
        assert len(seen) < MAX_PAGES, "the crawl stopped early: raise MAX_PAGES"
        return pages

    def test_every_page_has_a_title_and_a_description_of_its_own(self):
        pages = self.crawl()
        home = pages[reverse("django_six_demos_index")]
        rooms = [reverse(demo.url_name) for demo in installed_demos()]

        assert home.title.strip()
        assert home.description
        for room in rooms:
            assert room in pages, sorted(pages)
        for path, head in pages.items():
            with self.subTest(path):
                assert head.title.strip(), path
                assert head.description, path
                if any(path.startswith(room) for room in rooms):
                    assert head.description != home.description, path
                    assert head.title != home.title, path

    def test_a_room_page_is_described_by_its_demo(self):
        for demo in installed_demos():
            with self.subTest(demo.slug):
                head = read(self.client.get(reverse(demo.url_name)).text)

                assert head.title.startswith(demo.title)
                assert head.description == f"{demo.title} demo: {demo.summary}"

    def test_the_shared_pages_say_what_they_are(self):
        home = read(self.client.get(reverse("django_six_demos_index")).text)
        sign_in = read(self.client.get(reverse("django_six_demos_sign_in")).text)

        assert "live demo" in (home.description or "")
        assert "Sign in" in (sign_in.description or "")
        assert sign_in.description != home.description
