from __future__ import annotations

import re

from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from django_six_demos.conference.models import Speaker, Talk
from tests.crud.helpers import HTMX, ConferenceTestCase, talk_data

CREATE = reverse("demos-talk-create")
WITHOUT_MESSAGES = [
    m for m in settings.MIDDLEWARE if m != "django.contrib.messages.middleware.MessageMiddleware"
]
# The header's messages region (base.html), where the page after an action says what it did.
STATUS = re.compile(r'<div class="site-messages" role="status"[^>]*>(.*?)</div>', re.S)


def said(html: str) -> list[str]:
    """The messages the page's status region shows, as text."""
    match = STATUS.search(html)
    assert match, "the page has no status region"
    return [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p[^>]*>.*?</p>", match[1], re.S)]


class TalkMessageTests(ConferenceTestCase):
    def test_creating_a_talk_says_so_on_the_talks_page(self):
        self.client.force_login(self.ada_user)

        response = self.client.post(CREATE, talk_data(), follow=True)

        talk = Talk.objects.get(title="Fetch modes in practice")
        assert response.redirect_chain == [(reverse("demos-talk-detail", args=[talk.pk]), 302)]
        assert said(response.text) == ["Talk “Fetch modes in practice” created."]

    def test_the_message_is_shown_once(self):
        self.client.force_login(self.ada_user)
        self.client.post(CREATE, talk_data(), follow=True)

        again = self.client.get(reverse("demos-talk-list"))

        assert said(again.text) == []

    def test_an_htmx_save_leaves_the_message_for_the_page_it_redirects_to(self):
        # HX-Redirect makes the browser load that page in full: its header shows the message.
        self.client.force_login(self.ada_user)

        response = self.client.post(CREATE, talk_data(), headers=HTMX)
        page = self.client.get(response["HX-Redirect"])

        assert response.status_code == 200
        assert said(page.text) == ["Talk “Fetch modes in practice” created."]

    def test_a_partial_swapped_in_meanwhile_does_not_use_the_message_up(self):
        self.client.force_login(self.ada_user)
        response = self.client.post(CREATE, talk_data(), headers=HTMX)

        rows = self.client.get(reverse("demos-talk-list"), headers=HTMX)
        page = self.client.get(response["HX-Redirect"])

        assert "site-messages" not in rows.text
        assert said(page.text) == ["Talk “Fetch modes in practice” created."]

    def test_updating_a_talk_names_its_new_title(self):
        self.client.force_login(self.ada_user)
        url = reverse("demos-talk-update", args=[self.accepted.pk])

        response = self.client.post(url, talk_data(title="Engines, revised"), follow=True)

        assert said(response.text) == ["Talk “Engines, revised” updated."]

    def test_deleting_a_talk_says_so_on_the_list(self):
        self.client.force_login(self.ada_user)
        url = reverse("demos-talk-delete", args=[self.submitted.pk])

        response = self.client.post(url, headers=HTMX)
        assert response["HX-Redirect"] == reverse("demos-talk-list")
        page = self.client.get(response["HX-Redirect"])

        assert not Talk.objects.filter(pk=self.submitted.pk).exists()
        assert said(page.text) == ["Talk “Notes” deleted."]

    def test_a_title_with_markup_is_shown_as_text(self):
        self.client.force_login(self.ada_user)

        response = self.client.post(CREATE, talk_data(title="<b>Bold</b> claims"), follow=True)

        assert "Talk “&lt;b&gt;Bold&lt;/b&gt; claims” created." in response.text
        assert "<b>Bold</b>" not in response.text

    def test_a_form_with_errors_says_nothing_and_saves_nothing(self):
        self.client.force_login(self.ada_user)

        response = self.client.post(CREATE, talk_data(title="x"))
        after = self.client.get(reverse("demos-talk-list"))

        assert response.status_code == 422
        assert said(response.text) == []
        assert said(after.text) == []

    def test_a_refused_write_says_nothing(self):
        self.client.force_login(self.grace_user)
        url = reverse("demos-talk-update", args=[self.accepted.pk])

        response = self.client.post(url, talk_data(title="Taken over"))
        after = self.client.get(reverse("demos-talk-list"))

        assert response.status_code == 403
        assert said(after.text) == []

    @override_settings(MIDDLEWARE=WITHOUT_MESSAGES)
    def test_a_project_without_the_message_middleware_still_saves(self):
        self.client.force_login(self.ada_user)

        response = self.client.post(CREATE, talk_data())

        assert response.status_code == 302
        assert Talk.objects.filter(title="Fetch modes in practice").exists()


class SpeakerMessageTests(ConferenceTestCase):
    def test_staff_adding_a_speaker_is_told(self):
        self.client.force_login(self.staff)

        response = self.client.post(
            reverse("demos-speaker-create"), {"name": "Hedy Lamarr", "company": ""}, follow=True
        )

        assert Speaker.objects.filter(name="Hedy Lamarr").exists()
        assert said(response.text) == ["Speaker “Hedy Lamarr” created."]

    def test_a_speaker_editing_their_profile_is_told(self):
        self.client.force_login(self.ada_user)
        url = reverse("demos-speaker-update", args=[self.ada.pk])

        response = self.client.post(url, {"name": "Ada King", "company": "Analytical"}, follow=True)

        assert said(response.text) == ["Speaker “Ada King” updated."]

    def test_staff_deleting_a_speaker_is_told(self):
        self.client.force_login(self.staff)
        url = reverse("demos-speaker-delete", args=[self.grace.pk])

        response = self.client.post(url, follow=True)

        assert said(response.text) == ["Speaker “Grace Hopper” deleted."]
