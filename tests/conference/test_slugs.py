from __future__ import annotations

from django.test import TestCase

from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.conference.slugs import unique_slug


def make_talk(speaker: Speaker, slug: str) -> Talk:
    return Talk.objects.create(
        title=slug,
        slug=slug,
        speaker=speaker,
        abstract="An abstract.",
        track=Talk.Track.WEB,
        level=Talk.Level.BEGINNER,
        duration=25,
    )


class UniqueSlugTests(TestCase):
    ada: Speaker

    @classmethod
    def setUpTestData(cls):
        cls.ada = Speaker.objects.create(name="Ada Lovelace", slug="ada")

    def test_slugs_are_unique_and_never_empty(self):
        make_talk(self.ada, "fetch-modes")
        make_talk(self.ada, "fetch-modes-2")

        assert unique_slug(Talk, "Fetch modes!", fallback="talk") == "fetch-modes-3"
        assert unique_slug(Talk, "Ça va, Django?", fallback="talk") == "ca-va-django"
        assert unique_slug(Talk, "🦄🦄", fallback="talk") == "talk"
        assert unique_slug(Speaker, "Ada Lovelace", fallback="speaker") == "ada-lovelace"

    def test_long_titles_leave_room_for_a_number(self):
        title = "word " * 100
        make_talk(self.ada, unique_slug(Talk, title, fallback="talk"))

        slug = unique_slug(Talk, title, fallback="talk")

        assert slug.endswith("-2")
        assert len(slug) <= 200
