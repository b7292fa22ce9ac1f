"""The partials chapter's plain-Django code: a page and its row from one template."""

from __future__ import annotations

import pytest
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.test import TestCase, override_settings

from django_six_demos import compat
from django_six_demos.conference.models import Speaker, Talk
from tests.tutorial.partials import settings as chapter

# Django 5.2 runs the same template and views on django-template-partials.
CHAPTER_TEMPLATES = (
    chapter.TEMPLATES if compat.HAS_BUILTIN_PARTIALS else chapter.TEMPLATES_DJANGO_52
)


def make_talk(speaker: Speaker, slug: str, title: str, status: str) -> Talk:
    return Talk.objects.create(
        title=title,
        slug=slug,
        speaker=speaker,
        abstract="An abstract.",
        track=Talk.Track.WEB,
        level=Talk.Level.BEGINNER,
        status=status,
        duration=30,
    )


@override_settings(ROOT_URLCONF="tests.tutorial.partials.urls", TEMPLATES=CHAPTER_TEMPLATES)
class PlainPartialsTests(TestCase):
    first: Talk
    second: Talk
    draft: Talk

    @classmethod
    def setUpTestData(cls):
        speaker = Speaker.objects.create(name="Ada Lovelace", slug="ada")
        cls.first = make_talk(speaker, "partials", "Partials in practice", Talk.Status.ACCEPTED)
        cls.second = make_talk(speaker, "nonces", "Nonces explained", Talk.Status.ACCEPTED)
        cls.draft = make_talk(speaker, "draft", "An unpublished draft", Talk.Status.SUBMITTED)

    def row(self, talk: Talk) -> str:
        return render_to_string("talks.html#talk-row", {"talk": talk})

    def test_the_page_renders_the_row_partial_in_place_for_each_accepted_talk(self):
        response = self.client.get("/talks/")

        assert response.status_code == 200
        html = response.content.decode()
        assert html.startswith("<!DOCTYPE html>")
        assert self.row(self.first) in html
        assert self.row(self.second) in html
        assert "An unpublished draft" not in html

    def test_the_row_view_sends_only_the_partial_exactly_as_the_page_has_it(self):
        response = self.client.get(f"/talks/{self.first.pk}/row/")

        assert response.status_code == 200
        row = response.content.decode()
        assert row.strip().startswith(f'<tr id="talk-{self.first.pk}">')
        assert "<table" not in row
        assert "<html" not in row
        assert "Partials in practice" in row
        assert "Nonces explained" not in row
        assert row in self.client.get("/talks/").content.decode()

    def test_a_talk_that_is_not_accepted_has_no_row(self):
        response = self.client.get(f"/talks/{self.draft.pk}/row/")

        assert response.status_code == 404

    def test_the_row_escapes_the_title(self):
        self.first.title = "<script>alert(1)</script>"
        self.first.save()

        row = self.client.get(f"/talks/{self.first.pk}/row/").content.decode()

        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row
        assert "<script>" not in row

    def test_a_misspelt_partial_name_is_a_missing_template(self):
        with pytest.raises(TemplateDoesNotExist):
            get_template("talks.html#talk-rows")
