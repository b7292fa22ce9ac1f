"""Chapter 5's bare ``CRUDView``, mounted on a URLconf of its own: list, detail, create.

neapolitan's own templates extend the project's ``base.html``; this one is in
``templates/`` beside the test. A bare ``CRUDView`` checks no permissions.
"""

from __future__ import annotations

from pathlib import Path

from django.test import TestCase, override_settings
from django.urls import reverse

from django_six_demos.conference.models import Speaker, Talk
from tests.tutorial.crud.views import TalkView

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).with_name("templates")],
        # neapolitan's templates, from its app directory.
        "APP_DIRS": True,
    }
]


@override_settings(ROOT_URLCONF="tests.tutorial.crud.urls", TEMPLATES=TEMPLATES)
class BareCRUDViewTests(TestCase):
    speaker: Speaker
    talk: Talk

    @classmethod
    def setUpTestData(cls):
        cls.speaker = Speaker.objects.create(name="Ada Lovelace", slug="ada")
        cls.talk = Talk.objects.create(
            title="Notes on the Analytical Engine",
            slug="notes",
            speaker=cls.speaker,
            abstract="Beyond numbers.",
            track=Talk.Track.DATA,
            level=Talk.Level.ADVANCED,
            duration=45,
        )

    def test_get_urls_gives_the_five_roles_their_names(self):
        names = [pattern.name for pattern in TalkView.get_urls()]

        assert sorted(names) == [
            "talk-create",
            "talk-delete",
            "talk-detail",
            "talk-list",
            "talk-update",
        ]

    def test_the_list_shows_each_talk_with_its_fields(self):
        response = self.client.get(reverse("talk-list"))

        assert response.status_code == 200
        # No template of the model's app: neapolitan's own, which extends base.html.
        self.assertTemplateUsed(response, "neapolitan/object_list.html")
        self.assertTemplateUsed(response, "base.html")
        self.assertContains(response, "Notes on the Analytical Engine")
        self.assertContains(response, "Ada Lovelace")
        self.assertContains(response, reverse("talk-detail", args=[self.talk.pk]))

    def test_the_detail_page_shows_the_talk(self):
        response = self.client.get(reverse("talk-detail", args=[self.talk.pk]))

        assert response.status_code == 200
        self.assertContains(response, "Notes on the Analytical Engine")
        self.assertContains(response, "<main>")  # inside the project's base.html

    def test_an_unknown_talk_is_a_404(self):
        response = self.client.get(reverse("talk-detail", args=[self.talk.pk + 1]))

        assert response.status_code == 404

    def form_data(self, **changes):
        return {
            "title": "Compilers for everyone",
            "slug": "compilers",
            "speaker": self.speaker.pk,
            "abstract": "Programs that write programs.",
            "track": Talk.Track.DATA,
            "level": Talk.Level.BEGINNER,
            "duration": 30,
            **changes,
        }

    # A bare CRUDView checks no permission: an anonymous visitor changes every row.

    def test_anyone_may_create_a_talk(self):
        response = self.client.post(reverse("talk-create"), self.form_data())

        talk = Talk.objects.get(title="Compilers for everyone")
        self.assertRedirects(response, reverse("talk-detail", args=[talk.pk]))

    def test_anyone_may_edit_a_talk(self):
        response = self.client.post(
            reverse("talk-update", args=[self.talk.pk]),
            self.form_data(title="Renamed by a stranger", slug="notes"),
        )

        self.assertRedirects(response, reverse("talk-detail", args=[self.talk.pk]))
        self.talk.refresh_from_db()
        assert self.talk.title == "Renamed by a stranger"

    def test_anyone_may_delete_a_talk(self):
        response = self.client.post(reverse("talk-delete", args=[self.talk.pk]))

        self.assertRedirects(response, reverse("talk-list"))
        assert not Talk.objects.filter(pk=self.talk.pk).exists()

    def test_a_form_error_is_shown_and_nothing_is_stored(self):
        response = self.client.post(reverse("talk-create"), self.form_data(duration=1000))

        assert response.status_code == 200
        self.assertContains(response, "less than or equal to 180")
        assert not Talk.objects.filter(slug="compilers").exists()
