"""One visibility rule: every room shows the same visitor the same talks and speakers.

Four visitors walk the partials explorer and the CRUD list, rows, details, search and
speakers, the links between them, the tasks room's programme and the CSP sandbox; the
expected sets are written out here, not computed by the code under test.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse

from django_six_demos.conference.access import public_talks
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.csp.views import SANDBOX_AUTHOR, SANDBOX_TITLE
from django_six_demos.tasks.tasks import accepted_talks

User = get_user_model()
HTMX = {"HX-Request": "true"}
EXPLORER = reverse("django_six_demos_partials:index")
CRUD_LIST = reverse("demos-talk-list")
# A word in one unpublished abstract, and nowhere else.
SECRET = "zephyrine"
# A link to a talk's page in the CRUD room (the one room with a page per talk).
TALK_LINK = re.compile(
    'href="{}"'.format(re.escape(reverse("demos-talk-detail", args=[0])).replace("/0/", r"/(\d+)/"))
)

# Visitors, by the name tests use; None is anonymous.
VISITORS = ("anonymous", "ada", "grace", "staff")


def talk(speaker: Speaker, slug: str, status: str, abstract: str = "") -> Talk:
    return Talk.objects.create(
        title=slug.replace("-", " ").capitalize(),
        slug=slug,
        speaker=speaker,
        abstract=abstract or "An abstract about something public.",
        track=Talk.Track.WEB,
        level=Talk.Level.BEGINNER,
        status=status,
        duration=25,
    )


class VisibilityTests(TestCase):
    users: dict[str, Any]
    secret: Talk
    expected: dict[str, set[int]]
    all_talks: set[int]
    expected_speakers: dict[str, set[str]]

    @classmethod
    def setUpTestData(cls):
        cls.users = {
            "ada": User.objects.create_user("ada"),
            "grace": User.objects.create_user("grace"),
            "staff": User.objects.create_user("staff", is_staff=True),
        }
        ada = Speaker.objects.create(name="Ada Lovelace", slug="ada", user=cls.users["ada"])
        grace = Speaker.objects.create(name="Grace Hopper", slug="grace", user=cls.users["grace"])
        # Only unpublished talks: not announced to anyone but staff.
        hedy = Speaker.objects.create(name="Hedy Lamarr", slug="hedy")
        # Enough accepted talks for several pages in both rooms (ten a page).
        accepted = [
            talk(ada if number % 2 else grace, f"accepted-{number:02d}", Talk.Status.ACCEPTED)
            for number in range(23)
        ]
        cls.secret = talk(
            ada, "ada-submitted", Talk.Status.SUBMITTED, f"A draft about {SECRET} engines."
        )
        ada_waitlisted = talk(ada, "ada-waitlisted", Talk.Status.WAITLISTED)
        grace_rejected = talk(grace, "grace-rejected", Talk.Status.REJECTED)
        hedy_submitted = talk(hedy, "hedy-submitted", Talk.Status.SUBMITTED)
        public = {t.pk for t in accepted}
        cls.expected = {
            "anonymous": public,
            "ada": public | {cls.secret.pk, ada_waitlisted.pk},
            "grace": public | {grace_rejected.pk},
            "staff": public
            | {cls.secret.pk, ada_waitlisted.pk, grace_rejected.pk, hedy_submitted.pk},
        }
        cls.all_talks = set(Talk.objects.values_list("pk", flat=True))
        everyone = {"Ada Lovelace", "Grace Hopper"}
        cls.expected_speakers = {
            "anonymous": everyone,
            "ada": everyone,
            "grace": everyone,
            "staff": everyone | {"Hedy Lamarr"},
        }

    def visit_as(self, visitor: str) -> None:
        self.client.logout()
        if visitor != "anonymous":
            self.client.force_login(self.users[visitor])

    def every_page(self, url: str, names: str, params: dict[str, str], **headers: str) -> list[Any]:
        """Walk ``url``'s pages; return every object listed, in order."""
        found: list[Any] = []
        number = 1
        while True:
            response = self.client.get(url, {**params, "page": str(number)}, headers=headers)
            assert response.status_code == 200, (url, number)
            # context_data: on Django 5.2 a partial's render fills no response.context.
            assert response.context_data is not None
            found.extend(response.context_data[names])
            if not response.context_data["page_obj"].has_next():
                return found
            number += 1

    def explorer_talks(self, params: dict[str, str] | None = None, /, **headers: str) -> set[int]:
        talks = self.every_page(EXPLORER, "talks", params or {}, **headers)
        assert len(talks) == len({t.pk for t in talks})  # no talk on two pages
        return {t.pk for t in talks}

    def crud_talks(self, params: dict[str, str] | None = None, /, **headers: str) -> set[int]:
        talks = self.every_page(CRUD_LIST, "talk_list", params or {}, **headers)
        assert len(talks) == len({t.pk for t in talks})
        return {t.pk for t in talks}

    def test_the_explorer_and_the_crud_list_show_the_same_talks(self):
        for visitor in VISITORS:
            with self.subTest(visitor=visitor):
                self.visit_as(visitor)
                expected = self.expected[visitor]
                assert self.explorer_talks() == expected
                assert self.explorer_talks(**HTMX) == expected
                assert self.crud_talks() == expected
                assert self.crud_talks(**HTMX) == expected

    def test_rows_and_details_answer_only_for_readable_talks(self):
        for visitor in VISITORS:
            self.visit_as(visitor)
            for pk in sorted(self.all_talks):
                readable = pk in self.expected[visitor]
                with self.subTest(visitor=visitor, talk=pk):
                    row = self.client.get(
                        reverse("django_six_demos_partials:row", args=[pk]), headers=HTMX
                    )
                    detail = self.client.get(reverse("demos-talk-detail", args=[pk]))
                    # Not readable: 404, never 403, which would say it exists.
                    assert row.status_code == (200 if readable else 404)
                    assert detail.status_code == (200 if readable else 404)

    def test_the_editor_is_404_for_talks_the_visitor_may_not_read(self):
        for visitor in ("ada", "grace", "staff"):
            self.visit_as(visitor)
            for pk in sorted(self.all_talks - self.expected[visitor]):
                url = reverse("django_six_demos_partials:edit-title", args=[pk])
                with self.subTest(visitor=visitor, talk=pk):
                    assert self.client.get(url, headers=HTMX).status_code == 404
                    assert self.client.post(url, {"title": "Mine"}, headers=HTMX).status_code == 404
        assert Talk.objects.filter(title="Mine").count() == 0

    def test_searching_an_unpublished_abstract_finds_it_only_for_its_speaker_and_staff(self):
        found_by = {
            "anonymous": set(),
            "grace": set(),
            "ada": {self.secret.pk},
            "staff": {self.secret.pk},
        }
        for visitor, expected in found_by.items():
            with self.subTest(visitor=visitor):
                self.visit_as(visitor)
                for word in (SECRET, SECRET[2:7].upper()):
                    assert self.explorer_talks({"q": word}, **HTMX) == expected
                    assert self.crud_talks({"q": word}, **HTMX) == expected
                page = self.client.get(EXPLORER, {"q": SECRET}).text
                assert ("Ada submitted" in page) == bool(expected)
                assert f"{len(expected)} talk" in page

    def test_both_rooms_list_the_same_speakers(self):
        for visitor in VISITORS:
            with self.subTest(visitor=visitor):
                self.visit_as(visitor)
                partials = self.every_page(
                    reverse("django_six_demos_partials:speakers"), "object_list", {}
                )
                crud = self.every_page(reverse("demos-speaker-list"), "speaker_list", {})
                assert {s.name for s in partials} == self.expected_speakers[visitor]
                assert {s.name for s in crud} == self.expected_speakers[visitor]

    def linked_talks(self, url: str, params: dict[str, str] | None = None) -> set[int]:
        """Walk ``url``'s pages; return every talk a link on them opens."""
        found: set[int] = set()
        number = 1
        while True:
            response = self.client.get(url, {**(params or {}), "page": str(number)})
            assert response.status_code == 200, (url, number)
            found |= {int(pk) for pk in TALK_LINK.findall(response.text)}
            page = (response.context_data or {}).get("page_obj")
            if page is None or not page.has_next():
                return found
            number += 1

    def test_every_talk_listed_or_linked_in_any_room_opens_in_every_room(self):
        speakers = Speaker.objects.all()
        for visitor in VISITORS:
            with self.subTest(visitor=visitor):
                self.visit_as(visitor)
                expected = self.expected[visitor]
                listed = {
                    "partials explorer": self.explorer_talks(),
                    "crud list": self.crud_talks(),
                    "crud list links": self.linked_talks(CRUD_LIST),
                }
                # Each speaker page links that speaker's talks the visitor may read.
                by_speaker = {
                    speaker.pk: self.linked_talks(
                        reverse("demos-speaker-detail", args=[speaker.pk])
                    )
                    for speaker in speakers
                    if self.client.get(
                        reverse("demos-speaker-detail", args=[speaker.pk])
                    ).status_code
                    == 200
                }
                listed["crud speaker pages"] = set().union(*by_speaker.values())
                for room, talks in listed.items():
                    assert talks == expected, room
                for pk in sorted(expected):
                    detail = self.client.get(reverse("demos-talk-detail", args=[pk]))
                    row = self.client.get(
                        reverse("django_six_demos_partials:row", args=[pk]), headers=HTMX
                    )
                    assert (detail.status_code, row.status_code) == (200, 200), pk

    def test_the_tasks_rooms_programme_is_the_talks_everyone_may_read(self):
        # The emails and the export act for no visitor: their talks open for all of them.
        programme = {talk.pk for talk in accepted_talks()}
        assert programme == {t.pk for t in public_talks()} == self.expected["anonymous"]
        for visitor in VISITORS:
            assert programme <= self.expected[visitor], visitor

    def test_the_csp_sandboxs_specimen_is_not_a_talk_any_room_lists(self):
        sandbox = reverse("django_six_demos_csp:sandbox")
        for visitor in VISITORS:
            with self.subTest(visitor=visitor):
                self.visit_as(visitor)
                page = self.client.get(sandbox).text

                assert "is a specimen, not one of the conference's talks" in page
                assert TALK_LINK.search(page) is None
                for word in (SANDBOX_AUTHOR, SANDBOX_TITLE):
                    assert self.explorer_talks({"q": word}, **HTMX) == set()
                    assert self.crud_talks({"q": word}, **HTMX) == set()
        assert not Talk.objects.filter(title=SANDBOX_TITLE).exists()
