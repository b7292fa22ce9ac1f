from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.test import Client, RequestFactory, TestCase
from django.urls import reverse
from django.views.generic import TemplateView
from django_htmx.middleware import HtmxDetails

from django_six_demos import limits
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.htmx import HtmxHttpRequest
from django_six_demos.partials.mixins import HtmxPartialMixin
from django_six_demos.partials.views import EXPLORER, PAGE_SIZE, TITLE_EDIT_RATE

User = get_user_model()
HTMX = {"HX-Request": "true"}
# What htmx sends for Back/Forward when it kept no snapshot of the page (hx-history="false").
HISTORY_RESTORE = {**HTMX, "HX-History-Restore-Request": "true"}
URL = reverse("django_six_demos_partials:index")


def make_talks(speaker: Speaker, count: int, **fields: Any) -> list[Talk]:
    defaults = {"track": "web", "level": "beginner", "status": "accepted", "duration": 25}
    return [
        Talk.objects.create(
            title=f"{speaker.name} talk {i:02d}",
            slug=f"{speaker.slug}-{i:02d}",
            speaker=speaker,
            abstract="An abstract about partials.",
            **{**defaults, **fields},
        )
        for i in range(count)
    ]


class ExplorerTestCase(TestCase):
    ada_user: AuthUser
    grace_user: AuthUser
    staff: AuthUser
    ada: Speaker
    grace: Speaker
    ada_talks: list[Talk]
    grace_talks: list[Talk]

    @classmethod
    def setUpTestData(cls):
        cls.ada_user = User.objects.create_user("ada")
        cls.grace_user = User.objects.create_user("grace")
        cls.staff = User.objects.create_user("staff", is_staff=True)
        cls.ada = Speaker.objects.create(name="Ada Lovelace", slug="ada", user=cls.ada_user)
        cls.grace = Speaker.objects.create(name="Grace Hopper", slug="grace", user=cls.grace_user)
        cls.ada_talks = make_talks(cls.ada, 12)
        cls.grace_talks = make_talks(cls.grace, 3, track="security", level="advanced", duration=45)


class ExplorerTests(ExplorerTestCase):
    def test_htmx_request_renders_only_the_results_partial(self):
        response = self.client.get(URL, {"track": "web"}, headers=HTMX)

        assert response.status_code == 200
        assert "<html" not in response.text
        expected = render_to_string(
            f"{EXPLORER}#results", response.context_data, request=response.wsgi_request
        )
        assert response.text == expected
        assert response.text.strip().startswith('<div id="results" class="results">')

    def test_full_page_contains_the_same_fragment(self):
        response = self.client.get(URL, {"track": "web"})

        fragment = render_to_string(
            f"{EXPLORER}#results", response.context_data, request=response.wsgi_request
        )
        assert response.text.startswith("<!doctype html>")
        assert fragment in response.text

    def test_responses_vary_on_hx_request(self):
        for headers in ({}, HTMX, HISTORY_RESTORE):
            response = self.client.get(URL, headers=headers)
            assert "HX-Request" in response["Vary"]
            assert "HX-History-Restore-Request" in response["Vary"]

    def test_a_history_restore_gets_the_whole_page_with_the_address_in_the_form(self):
        response = self.client.get(
            URL, {"q": "grace", "track": "security", "sort": "-duration"}, headers=HISTORY_RESTORE
        )

        assert response.text.startswith("<!doctype html>")
        assert 'value="grace"' in response.text
        assert '<option value="security" selected>' in response.text
        assert '<option value="-duration" selected>' in response.text
        assert response.context_data is not None
        assert list(response.context_data["talks"]) == self.grace_talks
        # The page's own count, a live region, not the out-of-band copy.
        assert 'class="results-count" hx-swap-oob' not in response.text
        assert '<p id="results-count" class="results-count" role="status"' in response.text

    def test_the_explorer_keeps_no_htmx_snapshot(self):
        # Back and Forward then always come to the view, which binds the form to the address.
        response = self.client.get(URL)

        assert 'hx-history="false"' in response.text

    def test_htmx_results_carry_the_count_out_of_band_for_the_live_region(self):
        response = self.client.get(URL, {"q": "grace"}, headers=HTMX)

        assert (
            '<p id="results-count" class="results-count" hx-swap-oob="innerHTML">3 talks</p>'
            in response.text
        )
        # The count's element stays in the page: only the full page makes it a live region.
        assert 'role="status"' not in response.text

    def test_search_matches_title_abstract_and_speaker(self):
        by_speaker = self.client.get(URL, {"q": "grace"}, headers=HTMX)
        by_title = self.client.get(URL, {"q": "talk 01"}, headers=HTMX)
        by_abstract = self.client.get(URL, {"q": "about partials"}, headers=HTMX)

        assert by_speaker.context_data is not None
        assert by_title.context_data is not None
        assert by_abstract.context_data is not None
        assert list(by_speaker.context_data["talks"]) == self.grace_talks
        assert [t.title for t in by_title.context_data["talks"]] == [
            "Ada Lovelace talk 01",
            "Grace Hopper talk 01",
        ]
        assert by_abstract.context_data["page_obj"].paginator.count == 15
        assert "3 talks" in by_speaker.text

    def test_filters_by_track_and_level(self):
        response = self.client.get(URL, {"track": "security", "level": "advanced"}, headers=HTMX)

        assert response.context_data is not None
        assert list(response.context_data["talks"]) == self.grace_talks

    def test_sorts_by_allowlisted_keys(self):
        response = self.client.get(URL, {"sort": "-duration"}, headers=HTMX)

        assert response.context_data is not None
        assert [t.duration for t in response.context_data["talks"]][:3] == [45, 45, 45]

    def test_pages_keep_the_filters_in_their_links(self):
        response = self.client.get(URL, {"track": "web"}, headers=HTMX)

        assert response.context_data is not None
        page = response.context_data["page_obj"]
        assert page.paginator.num_pages == 2
        assert len(page.object_list) == PAGE_SIZE
        assert 'hx-get="?track=web&amp;page=2"' in response.text

        second = self.client.get(URL, {"track": "web", "page": "2"}, headers=HTMX)
        assert second.context_data is not None
        assert len(second.context_data["talks"]) == 12 - PAGE_SIZE

    def test_bad_filters_are_reported_not_applied(self):
        response = self.client.get(URL, {"track": "nope", "sort": "password", "q": "x" * 101})

        assert response.status_code == 200
        assert "Some filters were not applied" in response.text
        assert response.context_data is not None
        assert response.context_data["page_obj"].paginator.count == 15
        assert "Select a valid choice" in response.text

    def test_nul_byte_in_search_is_a_form_error(self):
        response = self.client.get(URL, {"q": "a\x00b"}, headers=HTMX)

        assert response.status_code == 200
        assert "Null characters are not allowed" in response.text

    def test_bad_page_numbers_are_404(self):
        for page in ("abc", "0", "99", "-1"):
            assert self.client.get(URL, {"page": page}).status_code == 404, page

    def test_partial_names_never_come_from_the_request(self):
        plain = self.client.get(URL)
        assert plain.context_data is not None
        for value in ("../../etc/passwd", "nonexistent", "base.html#x", "row", "#results"):
            for headers in ({}, HTMX):
                response = self.client.get(URL, {"partial": value}, headers=headers)
                assert response.status_code == 200, value
                assert "root:" not in response.text
                if not headers:
                    assert response.context_data is not None
                    assert response.context_data["talks"][0] == plain.context_data["talks"][0]

    def test_the_page_counts_title_edits(self):
        response = self.client.get(URL)

        assert '<p id="edit-counter" class="edit-counter">' in response.text
        assert "Titles edited this session: <strong>0</strong>" in response.text


class InlineEditTests(ExplorerTestCase):
    def edit_url(self, talk: Talk) -> str:
        return reverse("django_six_demos_partials:edit-title", args=[talk.pk])

    def test_anonymous_users_are_refused_with_a_message(self):
        talk = self.ada_talks[0]
        for method in (self.client.get, self.client.post):
            response = method(self.edit_url(talk), headers=HTMX)
            assert response.status_code == 403
            assert response.text == "Sign in to edit talk titles."

    def test_speakers_edit_only_their_own_talks(self):
        self.client.force_login(self.grace_user)

        response = self.client.post(
            self.edit_url(self.ada_talks[0]), {"title": "Mine now"}, headers=HTMX
        )

        assert response.status_code == 403
        self.ada_talks[0].refresh_from_db()
        assert self.ada_talks[0].title == "Ada Lovelace talk 00"

    def test_edit_button_shows_only_where_allowed(self):
        self.client.force_login(self.grace_user)

        response = self.client.get(URL, {"q": "talk 00"}, headers=HTMX)

        assert response.text.count("Edit title</button>") == 1
        assert f'hx-get="{self.edit_url(self.grace_talks[0])}"' in response.text

    def test_get_returns_the_row_as_a_form(self):
        self.client.force_login(self.ada_user)
        talk = self.ada_talks[0]

        response = self.client.get(self.edit_url(talk), headers=HTMX)

        assert response.status_code == 200
        assert response.text.strip().startswith(f'<tr id="talk-{talk.pk}">')
        assert 'value="Ada Lovelace talk 00"' in response.text
        assert "<html" not in response.text

    def test_valid_title_saves_and_updates_the_counter_out_of_band(self):
        self.client.force_login(self.ada_user)
        talk = self.ada_talks[1]

        first = self.client.post(
            self.edit_url(talk), {"title": "Partials, explained"}, headers=HTMX
        )
        second = self.client.post(self.edit_url(talk), {"title": "Partials, again"}, headers=HTMX)

        assert first.status_code == 200
        assert first.text.strip().startswith(f'<tr id="talk-{talk.pk}">')
        assert "Partials, explained" in first.text
        assert '<p id="edit-counter" class="edit-counter" hx-swap-oob="true">' in first.text
        assert "Titles edited this session: <strong>1</strong>" in first.text
        assert "Titles edited this session: <strong>2</strong>" in second.text
        talk.refresh_from_db()
        assert talk.title == "Partials, again"
        assert "Titles edited this session: <strong>2</strong>" in self.client.get(URL).text

    def test_staff_edit_any_talk(self):
        self.client.force_login(self.staff)

        response = self.client.post(
            self.edit_url(self.grace_talks[0]), {"title": "Edited by staff"}, headers=HTMX
        )

        assert response.status_code == 200

    def test_invalid_titles_rerender_the_form_with_errors_and_save_nothing(self):
        self.client.force_login(self.ada_user)
        talk = self.ada_talks[2]
        for title, message in (
            ("", "This field is required."),
            ("x" * 201, "Ensure this value has at most 200 characters"),
            ("bad\x00title", "Null characters are not allowed."),
        ):
            response = self.client.post(self.edit_url(talk), {"title": title}, headers=HTMX)
            assert response.status_code == 422, title
            assert message in response.text
            assert 'aria-invalid="true"' in response.text
            assert "hx-swap-oob" not in response.text
        talk.refresh_from_db()
        assert talk.title == "Ada Lovelace talk 02"

    def test_missing_csrf_token_is_refused_even_for_htmx(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.ada_user)

        response = client.post(
            self.edit_url(self.ada_talks[0]), {"title": "No token"}, headers=HTMX
        )

        assert response.status_code == 403
        self.ada_talks[0].refresh_from_db()
        assert self.ada_talks[0].title == "Ada Lovelace talk 00"

    def test_unknown_talk_is_404(self):
        self.client.force_login(self.staff)

        assert (
            self.client.get(
                reverse("django_six_demos_partials:edit-title", args=[999999])
            ).status_code
            == 404
        )

    def test_cancel_returns_the_plain_row(self):
        talk = self.ada_talks[0]

        response = self.client.get(
            reverse("django_six_demos_partials:row", args=[talk.pk]), headers=HTMX
        )

        assert response.status_code == 200
        assert response.text.strip().startswith(f'<tr id="talk-{talk.pk}">')
        assert "<form" not in response.text


class VisibilityTests(ExplorerTestCase):
    """The explorer's rule is the CRUD room's (tests/test_visibility.py compares them)."""

    unpublished: Talk

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.unpublished = Talk.objects.create(
            title="Never shown",
            slug="never-shown",
            speaker=cls.ada,
            abstract="Rejected.",
            track="web",
            level="beginner",
            status="rejected",
            duration=25,
        )

    def row_url(self, talk: Talk) -> str:
        return reverse("django_six_demos_partials:row", args=[talk.pk])

    def edit_url(self, talk: Talk) -> str:
        return reverse("django_six_demos_partials:edit-title", args=[talk.pk])

    def test_a_talk_the_visitor_may_not_read_is_404_everywhere(self):
        requests: tuple[tuple[str, str, dict[str, str]], ...] = (
            ("get", self.row_url(self.unpublished), {}),
            ("get", self.edit_url(self.unpublished), {}),
            ("post", self.edit_url(self.unpublished), {"title": "Mine"}),
        )
        for user in (None, self.grace_user):
            self.client.logout()
            if user is not None:
                self.client.force_login(user)
            for method, url, data in requests:
                with self.subTest(user=user, method=method, url=url):
                    response = getattr(self.client, method)(url, data)
                    # Not 403: that would say the talk exists.
                    assert response.status_code == 404
                    assert "Never shown" not in response.text
        self.unpublished.refresh_from_db()
        assert self.unpublished.title == "Never shown"

    def test_its_speaker_and_staff_read_and_edit_it(self):
        for user in (self.ada_user, self.staff):
            self.client.force_login(user)
            with self.subTest(user=user):
                assert self.client.get(self.row_url(self.unpublished)).status_code == 200
                response = self.client.post(
                    self.edit_url(self.unpublished), {"title": f"By {user}"}, headers=HTMX
                )
                assert response.status_code == 200

    def test_the_explorer_lists_it_only_for_its_speaker_and_staff(self):
        def listed(user: Any) -> bool:
            self.client.logout()
            if user is not None:
                self.client.force_login(user)
            response = self.client.get(URL, {"q": "Never"}, headers=HTMX)
            # context_data: on Django 5.2 a partial's render fills no response.context.
            assert response.context_data is not None
            return self.unpublished in response.context_data["talks"]

        assert not listed(None)
        assert not listed(self.grace_user)
        assert listed(self.ada_user)
        assert listed(self.staff)


class EditLimitTests(ExplorerTestCase):
    def edit_url(self, talk: Talk) -> str:
        return reverse("django_six_demos_partials:edit-title", args=[talk.pk])

    def test_past_the_limit_a_save_is_429_shown_as_a_notice(self):
        allowed = int(TITLE_EDIT_RATE.per_user.split("/")[0])
        self.client.force_login(self.ada_user)
        talk = self.ada_talks[0]
        for number in range(allowed):
            response = self.client.post(
                self.edit_url(talk), {"title": f"Take {number}"}, headers=HTMX
            )
            assert response.status_code == 200, number

        response = self.client.post(self.edit_url(talk), {"title": "One more"}, headers=HTMX)

        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 60
        assert response["HX-Retarget"] == limits.NOTICE_TARGET
        assert "Too many title edits" in response.text
        talk.refresh_from_db()
        assert talk.title == f"Take {allowed - 1}"
        counter = f"Titles edited this session: <strong>{allowed}</strong>"
        assert counter in self.client.get(URL).text

    def test_rejected_titles_are_not_counted(self):
        allowed = int(TITLE_EDIT_RATE.per_user.split("/")[0])
        self.client.force_login(self.ada_user)
        talk = self.ada_talks[0]
        for _ in range(allowed + 2):
            assert self.client.post(self.edit_url(talk), {"title": ""}).status_code == 422

        assert self.client.post(self.edit_url(talk), {"title": "Fine"}).status_code == 200


class SpeakerListTests(ExplorerTestCase):
    url = reverse("django_six_demos_partials:speakers")

    def test_a_history_restore_gets_the_whole_page(self):
        response = self.client.get(self.url, {"page": "1"}, headers=HISTORY_RESTORE)

        assert response.text.startswith("<!doctype html>")
        assert "HX-History-Restore-Request" in response["Vary"]

    def test_htmx_gets_the_list_partial_through_the_mixin(self):
        response = self.client.get(self.url, headers=HTMX)

        assert isinstance(response, TemplateResponse)
        # ListView adds its model-based fallback; the mixin addresses the partial in each.
        assert response.template_name == [
            "django_six_demos/partials/speakers.html#list",
            "django_six_demos_conference/speaker_list.html#list",
        ]
        expected = render_to_string(
            "django_six_demos/partials/speakers.html#list",
            response.context_data,
            request=response.wsgi_request,
        )
        assert response.text == expected
        assert "<html" not in response.text
        assert "HX-Request" in response["Vary"]

    def test_full_page_without_htmx(self):
        response = self.client.get(self.url)

        assert isinstance(response, TemplateResponse)
        assert isinstance(response.template_name, list)
        assert response.template_name[0] == "django_six_demos/partials/speakers.html"
        assert "<strong>Ada Lovelace</strong>" in response.text
        assert "HX-Request" in response["Vary"]

    def test_bad_page_is_404(self):
        assert self.client.get(self.url, {"page": "abc"}).status_code == 404

    def test_lists_only_speakers_with_a_talk_the_visitor_may_read(self):
        hedy_user = User.objects.create_user("hedy")
        hedy = Speaker.objects.create(name="Hedy Lamarr", slug="hedy", user=hedy_user)
        make_talks(hedy, 1, status="submitted")
        Speaker.objects.create(name="Katherine Johnson", slug="katherine")

        def names(user: Any) -> list[str]:
            self.client.logout()
            if user is not None:
                self.client.force_login(user)
            response = self.client.get(self.url)
            assert response.context_data is not None
            return [speaker.name for speaker in response.context_data["object_list"]]

        public = ["Ada Lovelace", "Grace Hopper"]
        assert names(None) == public
        assert names(self.grace_user) == public
        # Hedy's talk is hers to read, and her profile is hers to see.
        assert names(hedy_user) == ["Ada Lovelace", "Grace Hopper", "Hedy Lamarr"]
        # Staff manage every speaker, with a talk or not yet.
        assert names(self.staff) == [*public, "Hedy Lamarr", "Katherine Johnson"]


class MixinTests(TestCase):
    def test_adds_the_partial_name_only_for_htmx(self):
        class View(HtmxPartialMixin, TemplateView):
            template_name = "list.html"
            htmx_partial = "rows"

        plain = View(request=RequestFactory().get("/"))
        htmx_request = cast(HtmxHttpRequest, RequestFactory().get("/", headers=HTMX))
        htmx_request.htmx = HtmxDetails(htmx_request)  # as HtmxMiddleware sets it
        htmx = View(request=htmx_request)

        assert plain.get_template_names() == ["list.html"]
        assert htmx.get_template_names() == ["list.html#rows"]

    def test_a_history_restore_gets_the_whole_template(self):
        class View(HtmxPartialMixin, TemplateView):
            template_name = "list.html"
            htmx_partial = "rows"

        request = cast(HtmxHttpRequest, RequestFactory().get("/", headers=HISTORY_RESTORE))
        request.htmx = HtmxDetails(request)

        assert View(request=request).get_template_names() == ["list.html"]
