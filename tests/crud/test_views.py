from __future__ import annotations

from unittest import mock

from django.template.loader import render_to_string
from django.urls import reverse

from django_six_demos import compat
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.crud.views import TALKS_PER_PAGE
from tests.crud.helpers import HTMX, ConferenceTestCase, User, make_talk, talk_data
from tests.csp_utils import header_nonces, page_nonces

LIST = reverse("demos-talk-list")
CREATE = reverse("demos-talk-create")
TEMPLATES = "django_six_demos/crud"


class RoomTests(ConferenceTestCase):
    def test_the_room_links_to_both_lists(self):
        response = self.client.get(reverse("demos-crud-index"))

        assert response.status_code == 200
        assert "<h1>Neapolitan CRUD views</h1>" in response.text
        assert f'href="{LIST}"' in response.text
        assert f'href="{reverse("demos-speaker-list")}"' in response.text

    def test_anonymous_visitors_get_a_sign_in_link_back_here(self):
        response = self.client.get(reverse("demos-crud-index"))

        assert 'href="/demos/sign-in/?next=/demos/crud/"' in response.text

    def test_signed_in_users_see_who_they_are(self):
        self.client.force_login(self.ada_user)

        response = self.client.get(reverse("demos-crud-index"))

        assert "Signed in as <strong>ada</strong>, the speaker Ada Lovelace." in response.text

    def test_states_the_limits_in_words(self):
        response = self.client.get(reverse("demos-crud-index"))

        text = " ".join(response.text.split('<aside class="frame"')[0].split())
        assert (
            "Saves and deletes are limited to 10 a minute per person and 100 an hour per "
            "address (then a 429 asks you to wait), and a speaker may have at most 10 talks."
        ) in text


class TalkListTests(ConferenceTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for number in range(12):
            make_talk(cls.grace, f"security-{number:02d}", track=Talk.Track.SECURITY)

    def test_full_page_uses_the_demo_template_not_neapolitans(self):
        response = self.client.get(LIST)

        assert response.status_code == 200
        assert response.templates[0].name == f"{TEMPLATES}/object_list.html"
        assert response.text.startswith("<!doctype html>")

    def test_htmx_request_renders_only_the_rows_partial(self):
        response = self.client.get(LIST, {"track": "security"}, headers=HTMX)

        assert response.status_code == 200
        assert "<html" not in response.text
        expected = render_to_string(
            f"{TEMPLATES}/object_list.html#rows",
            response.context_data,
            request=response.wsgi_request,
        )
        assert response.text == expected
        assert response.text.strip().startswith('<div id="rows" class="results">')

    def test_a_history_restore_gets_the_whole_page_with_the_address_in_the_form(self):
        # htmx's Back/Forward with no snapshot (hx-history="false"): both headers.
        headers = {**HTMX, "HX-History-Restore-Request": "true"}
        response = self.client.get(LIST, {"q": "security", "track": "security"}, headers=headers)

        assert response.text.startswith("<!doctype html>")
        assert 'hx-history="false"' in response.text
        assert 'value="security"' in response.text
        assert '<option value="security" selected>' in response.text
        assert "HX-History-Restore-Request" in response["Vary"]
        assert 'class="results-count" hx-swap-oob' not in response.text

    def test_htmx_rows_carry_the_count_out_of_band_for_the_live_region(self):
        response = self.client.get(LIST, {"track": "security"}, headers=HTMX)

        assert (
            '<p id="results-count" class="results-count" hx-swap-oob="innerHTML">'
            "12 talks, page 1 of 2</p>"
        ) in response.text
        page = self.client.get(LIST, {"track": "security"})
        assert '<p id="results-count" class="results-count" role="status"' in page.text

    def test_full_page_contains_the_same_rows(self):
        response = self.client.get(LIST, {"track": "security"})

        rows = render_to_string(
            f"{TEMPLATES}/object_list.html#rows",
            response.context_data,
            request=response.wsgi_request,
        )
        assert rows in response.text

    def test_responses_vary_on_hx_request(self):
        for url in (LIST, reverse("demos-talk-detail", args=[self.accepted.pk]), CREATE):
            for headers in ({}, HTMX):
                response = self.client.get(url, headers=headers)
                assert "HX-Request" in response["Vary"], (url, headers)

    def test_anonymous_visitors_see_only_accepted_talks(self):
        response = self.client.get(LIST)

        assert response.context_data is not None
        talks = list(response.context_data["talk_list"])
        assert self.submitted not in talks
        assert {talk.status for talk in talks} == {"accepted"}
        assert response.context_data["paginator"].count == 14

    def test_filters_by_track_level_and_status(self):
        self.client.force_login(self.staff)

        by_track = self.client.get(LIST, {"track": "security"}, headers=HTMX)
        by_status = self.client.get(LIST, {"status": "submitted"}, headers=HTMX)
        by_level = self.client.get(LIST, {"level": "advanced"}, headers=HTMX)

        assert by_track.context_data is not None
        assert by_status.context_data is not None
        assert by_level.context_data is not None
        assert by_track.context_data["paginator"].count == 12
        assert list(by_status.context_data["talk_list"]) == [self.submitted]
        assert by_level.context_data["paginator"].count == 0
        assert "No talks match." in by_level.text

    def test_search_matches_title_abstract_and_speaker(self):
        by_speaker = self.client.get(LIST, {"q": "lovelace"}, headers=HTMX)
        by_title = self.client.get(LIST, {"q": "Security 03"}, headers=HTMX)

        assert by_speaker.context_data is not None
        assert by_title.context_data is not None
        assert list(by_speaker.context_data["talk_list"]) == [self.accepted]
        assert [talk.slug for talk in by_title.context_data["talk_list"]] == ["security-03"]

    def test_bad_filters_are_reported_not_applied(self):
        response = self.client.get(LIST, {"track": "nope", "q": "x" * 101, "status": "live"})

        assert response.status_code == 200
        assert "Some filters were not applied" in response.text
        assert "Select a valid choice" in response.text
        assert "Ensure this value has at most 100 characters" in response.text
        assert response.context_data is not None
        assert response.context_data["paginator"].count == 14

    def test_nul_byte_in_search_is_a_form_error(self):
        response = self.client.get(LIST, {"q": "a\x00b"}, headers=HTMX)

        assert response.status_code == 200
        assert "Null characters are not allowed" in response.text

    def test_pages_keep_the_filters_in_their_links(self):
        response = self.client.get(LIST, {"track": "security"}, headers=HTMX)

        assert response.context_data is not None
        assert response.context_data["paginator"].num_pages == 2
        assert len(response.context_data["talk_list"]) == TALKS_PER_PAGE
        assert 'hx-get="?track=security&amp;page=2"' in response.text

        second = self.client.get(LIST, {"track": "security", "page": "2"}, headers=HTMX)
        assert second.context_data is not None
        assert len(second.context_data["talk_list"]) == 12 - TALKS_PER_PAGE
        assert 'hx-get="?track=security&amp;page=1"' in second.text

    def test_last_page_is_allowed(self):
        response = self.client.get(LIST, {"track": "security", "page": "last"})

        assert response.context_data is not None
        assert response.context_data["page_obj"].number == 2

    def test_bad_page_numbers_are_404(self):
        for page in ("abc", "0", "99", "-1", "1e3", "9" * 30):
            for headers in ({}, HTMX):
                assert self.client.get(LIST, {"page": page}, headers=headers).status_code == 404

    def test_the_rows_report_the_queries_used_and_the_naive_count(self):
        response = self.client.get(LIST, {"track": "security"}, headers=HTMX)

        assert response.context_data is not None
        queries = response.context_data["list_queries"]
        # Count, page, and (Django 6.1) the page's speakers in one query.
        assert queries.used == (3 if compat.HAS_FETCH_MODES else 2)
        assert queries.naive == 2 + TALKS_PER_PAGE
        assert f'<strong class="queries-used">{queries.used}</strong>' in response.text
        assert f'<strong class="queries-naive">{queries.naive}</strong>' in response.text

    def test_the_page_explains_the_fetching_of_this_django_line(self):
        response = self.client.get(LIST)

        if compat.HAS_FETCH_MODES:
            assert "<code>fetch_mode(FETCH_PEERS)</code>" in response.text
            assert '<code>select_related("speaker")</code>' not in response.text
        else:
            assert '<code>select_related("speaker")</code>' in response.text
            assert "This Django has none" in response.text

    def test_head_is_answered_like_get(self):
        assert self.client.head(LIST).status_code == 200

    def test_other_methods_are_405(self):
        for method in (self.client.put, self.client.patch, self.client.delete):
            assert method(LIST).status_code == 405
        assert self.client.post(LIST).status_code == 405

    def test_pages_carry_the_nonce_their_header_allows(self):
        self.client.force_login(self.ada_user)
        for url in (
            LIST,
            reverse("demos-talk-detail", args=[self.accepted.pk]),
            CREATE,
            reverse("demos-talk-update", args=[self.accepted.pk]),
            reverse("demos-talk-delete", args=[self.accepted.pk]),
            reverse("demos-speaker-list"),
            reverse("demos-speaker-detail", args=[self.ada.pk]),
        ):
            with self.subTest(url):
                response = self.client.get(url)
                assert response.status_code == 200
                [nonce] = header_nonces(response)
                assert page_nonces(response.text) == {nonce}


class TalkDetailTests(ConferenceTestCase):
    def test_shows_the_talk_and_only_permitted_actions(self):
        url = reverse("demos-talk-detail", args=[self.accepted.pk])

        anonymous = self.client.get(url)
        self.client.force_login(self.ada_user)
        owner = self.client.get(url)

        assert anonymous.templates[0].name == f"{TEMPLATES}/object_detail.html"
        assert "Ada Lovelace" in anonymous.text
        edit = reverse("demos-talk-update", args=[self.accepted.pk])
        delete = reverse("demos-talk-delete", args=[self.accepted.pk])
        assert edit not in anonymous.text
        assert edit in owner.text
        assert f'hx-get="{delete}" hx-target="#confirm-slot"' in owner.text


class TalkFormTests(ConferenceTestCase):
    def test_speaker_creates_their_own_submitted_talk(self):
        self.client.force_login(self.grace_user)

        response = self.client.post(CREATE, talk_data(speaker=self.ada.pk, status="accepted"))

        talk = Talk.objects.get(title="Fetch modes in practice")
        assert response.status_code == 302
        assert response["Location"] == reverse("demos-talk-detail", args=[talk.pk])
        # The extra fields are not in the speaker's form: ignored.
        assert talk.speaker == self.grace
        assert talk.status == Talk.Status.SUBMITTED
        assert talk.slug == "fetch-modes-in-practice"

    def test_staff_choose_the_speaker_and_status(self):
        self.client.force_login(self.staff)

        self.client.post(CREATE, talk_data(speaker=self.ada.pk, status="accepted"))

        talk = Talk.objects.get(title="Fetch modes in practice")
        assert (talk.speaker, talk.status) == (self.ada, Talk.Status.ACCEPTED)

    def test_speakers_do_not_see_the_staff_fields(self):
        self.client.force_login(self.ada_user)
        speaker = self.client.get(CREATE)
        self.client.force_login(self.staff)
        staff = self.client.get(CREATE)

        assert 'name="status"' not in speaker.text
        assert 'name="speaker"' not in speaker.text
        assert 'name="status"' in staff.text
        assert 'name="speaker"' in staff.text

    def test_htmx_save_answers_with_hx_redirect(self):
        self.client.force_login(self.ada_user)

        response = self.client.post(CREATE, talk_data(), headers=HTMX)

        talk = Talk.objects.get(title="Fetch modes in practice")
        assert response.status_code == 200
        assert response["HX-Redirect"] == reverse("demos-talk-detail", args=[talk.pk])

    def test_htmx_errors_come_back_as_the_form_partial_with_422(self):
        self.client.force_login(self.ada_user)

        response = self.client.post(CREATE, talk_data(title="  "), headers=HTMX)

        assert response.status_code == 422
        assert "<html" not in response.text
        assert response.text.strip().startswith('<form id="crud-form" class="crud-form"')
        assert "This field is required." in response.text
        assert 'aria-invalid="true"' in response.text
        assert not Talk.objects.filter(speaker=self.ada).exclude(
            pk__in=[self.accepted.pk, self.submitted.pk]
        )

    def test_plain_post_errors_rerender_the_page_with_422(self):
        self.client.force_login(self.ada_user)

        response = self.client.post(CREATE, talk_data(duration="500"))

        assert response.status_code == 422
        assert response.text.startswith("<!doctype html>")
        assert "Ensure this value is less than or equal to 180." in response.text

    def test_update_keeps_the_slug_and_redirects_to_the_talk(self):
        self.client.force_login(self.ada_user)
        url = reverse("demos-talk-update", args=[self.accepted.pk])

        response = self.client.post(url, talk_data(title="A new title"))

        self.accepted.refresh_from_db()
        assert response["Location"] == reverse("demos-talk-detail", args=[self.accepted.pk])
        assert (self.accepted.title, self.accepted.slug) == ("A new title", "engines")

    def test_duplicate_titles_get_numbered_slugs(self):
        self.client.force_login(self.ada_user)

        for _ in range(3):
            self.client.post(CREATE, talk_data(title="Same title"))

        assert sorted(Talk.objects.filter(title="Same title").values_list("slug", flat=True)) == [
            "same-title",
            "same-title-2",
            "same-title-3",
        ]

    def test_a_slug_taken_at_the_same_moment_is_a_form_error_not_a_500(self):
        self.client.force_login(self.ada_user)

        with mock.patch("django_six_demos.crud.views.unique_slug", return_value="engines"):
            response = self.client.post(CREATE, talk_data(), headers=HTMX)

        assert response.status_code == 422
        assert "Someone saved at the same moment: please save again." in response.text
        assert not Talk.objects.filter(title="Fetch modes in practice").exists()


class DeleteTests(ConferenceTestCase):
    def url(self, talk: Talk) -> str:
        return reverse("demos-talk-delete", args=[talk.pk])

    def test_htmx_get_returns_only_the_confirmation(self):
        self.client.force_login(self.ada_user)

        response = self.client.get(self.url(self.accepted), headers=HTMX)

        assert response.status_code == 200
        assert response.text.strip().startswith('<div class="confirm-delete">')
        assert f'hx-post="{self.url(self.accepted)}"' in response.text
        assert self.accepted.title in response.text
        assert Talk.objects.filter(pk=self.accepted.pk).exists()

    def test_delete_redirects_to_the_list(self):
        self.client.force_login(self.ada_user)

        plain = self.client.post(self.url(self.accepted))
        htmx = self.client.post(self.url(self.submitted), headers=HTMX)

        assert plain["Location"] == LIST
        assert htmx["HX-Redirect"] == LIST
        assert not Talk.objects.filter(pk__in=[self.accepted.pk, self.submitted.pk]).exists()

    def test_delete_returns_to_a_local_next(self):
        self.client.force_login(self.ada_user)
        back = f"{LIST}?track=web&page=2"

        confirm = self.client.get(self.url(self.accepted), {"next": back}, headers=HTMX)
        response = self.client.post(self.url(self.accepted), {"next": back}, headers=HTMX)

        assert (
            '<input type="hidden" name="next" value="/demos/crud/demos-talk/?track=web&amp;page=2">'
            in confirm.text
        )
        assert response["HX-Redirect"] == back

    def test_delete_ignores_a_next_that_leaves_the_site(self):
        self.client.force_login(self.staff)
        for back in (
            "//evil.example/",
            "https://evil.example/",
            "javascript:alert(1)",
            "/\\evil.example",
            "\\\\evil.example",
            "http:///evil.example",
            " //evil.example",
        ):
            with self.subTest(back=back):
                talk = make_talk(self.grace, "doomed")
                confirm = self.client.get(self.url(talk), {"next": back})
                response = self.client.post(self.url(talk), {"next": back})
                assert 'name="next"' not in confirm.text
                assert response["Location"] == LIST


class SpeakerViewTests(ConferenceTestCase):
    def test_detail_lists_only_the_talks_the_visitor_may_read(self):
        url = reverse("demos-speaker-detail", args=[self.ada.pk])

        anonymous = self.client.get(url)
        self.client.force_login(self.ada_user)
        owner = self.client.get(url)

        assert anonymous.context_data is not None
        assert owner.context_data is not None
        assert list(anonymous.context_data["talks"]) == [self.accepted]
        assert set(owner.context_data["talks"]) == {self.accepted, self.submitted}
        assert anonymous.context_data["speaker"].accepted_talks == 1

    def test_list_counts_accepted_talks_and_pages_in_order(self):
        response = self.client.get(reverse("demos-speaker-list"))

        assert response.context_data is not None
        assert [(s.name, s.accepted_talks) for s in response.context_data["speaker_list"]] == [
            ("Ada Lovelace", 1),
            ("Grace Hopper", 1),
        ]

    def test_list_and_detail_show_only_speakers_with_a_talk_the_visitor_may_read(self):
        hedy_user = User.objects.create_user("hedy")
        hedy = Speaker.objects.create(name="Hedy Lamarr", slug="hedy", user=hedy_user)
        make_talk(hedy, "frequency-hopping", status=Talk.Status.SUBMITTED)
        katherine = Speaker.objects.create(name="Katherine Johnson", slug="katherine")
        public = {self.ada, self.grace}
        expected = {
            None: public,
            self.visitor: public,
            self.grace_user: public,
            # Her talk is hers to read: she sees her own profile.
            hedy_user: public | {hedy},
            # Staff manage every speaker, with a talk or not yet.
            self.staff: public | {hedy, katherine},
        }
        for user, speakers in expected.items():
            with self.subTest(user=user):
                self.client.logout()
                if user is not None:
                    self.client.force_login(user)
                listed = self.client.get(reverse("demos-speaker-list"))
                assert listed.context_data is not None
                assert set(listed.context_data["speaker_list"]) == speakers
                for speaker in (hedy, katherine):
                    detail = self.client.get(reverse("demos-speaker-detail", args=[speaker.pk]))
                    assert detail.status_code == (200 if speaker in speakers else 404)

    def test_search_by_name_or_company(self):
        response = self.client.get(reverse("demos-speaker-list"), {"q": "grace"}, headers=HTMX)

        assert response.context_data is not None
        assert list(response.context_data["speaker_list"]) == [self.grace]
        assert response.text.strip().startswith('<div id="rows" class="results">')

    def test_staff_add_a_speaker_with_a_generated_slug(self):
        self.client.force_login(self.staff)

        response = self.client.post(
            reverse("demos-speaker-create"), {"name": "Ada Lovelace", "company": "", "bio": ""}
        )

        speaker = Speaker.objects.get(slug="ada-lovelace")
        assert response["Location"] == reverse("demos-speaker-detail", args=[speaker.pk])

    def test_a_speaker_edits_their_own_profile(self):
        self.client.force_login(self.ada_user)

        self.client.post(
            reverse("demos-speaker-update", args=[self.ada.pk]),
            {"name": "Ada King", "company": "Analytical Engines", "bio": "Poetical science."},
        )

        self.ada.refresh_from_db()
        assert (self.ada.name, self.ada.company, self.ada.slug) == (
            "Ada King",
            "Analytical Engines",
            "ada",
        )

    def test_staff_delete_a_speaker_and_their_talks(self):
        self.client.force_login(self.staff)

        response = self.client.post(
            reverse("demos-speaker-delete", args=[self.ada.pk]), headers=HTMX
        )

        assert response["HX-Redirect"] == reverse("demos-speaker-list")
        assert not Talk.objects.filter(speaker_id=self.ada.pk).exists()
