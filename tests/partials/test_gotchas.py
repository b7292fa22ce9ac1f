"""The template partials gotchas gallery: each case fails and works as the page says."""

from __future__ import annotations

import re

import pytest
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.backends.django import Template as BackendTemplate
from django.template.loader import get_template, render_to_string
from django.test import SimpleTestCase
from django.urls import reverse
from django.utils.html import escape

from django_six_demos import compat, frame
from django_six_demos.partials.gotchas import views
from django_six_demos.partials.gotchas.views import DIR, NESTED_PARTIALS, PARTIAL_ADDRESSES
from tests.csp_utils import header_nonces, page_nonces

URL = reverse("django_six_demos_partials:gotchas")
NESTED_URL = reverse("django_six_demos_partials:gotcha-nested")
HTMX = {"HX-Request": "true"}
BANNER_HTML = '<p class="banner">DjangoCon: talks, sprints, partials.</p>'
HOSTILE_PARTIALS = ("../../etc/passwd", "nonexistent", "base.html#x")
PARENT, CHILD, BANNER, CHILD_INCLUDE = (
    f"{DIR}{name}.html" for name in ("parent", "child", "_banner", "child_include")
)
BEFORE, AFTER, CARD, NESTED = (
    f"{DIR}{name}.html" for name in ("before", "after", "_card", "nested")
)
INLINE, NOT_INLINE, NAMES, PARTIAL_TAG = (
    f"{DIR}{name}.html" for name in ("inline", "not_inline", "names", "partial_tag")
)


def page_template(response: object) -> object:
    # The TemplateResponse's own name; response.templates also lists every
    # template the gallery's live attempts rendered along the way.
    return getattr(response, "template_name", None)


def squeeze(html: str) -> str:
    """Drop the whitespace between tags, which template tags leave behind."""
    return "".join(line.strip() for line in html.splitlines())


class AddressGuardTests(SimpleTestCase):
    """The guard of case 2: moving a partial into an include must fail here, not in a view."""

    def test_every_partial_address_the_views_render_resolves(self):
        for address in PARTIAL_ADDRESSES:
            with self.subTest(address):
                # Raises TemplateDoesNotExist if the file or the partial moved.
                get_template(address)

    def test_the_guard_covers_every_nested_partial_the_view_serves(self):
        assert set(NESTED_PARTIALS.values()) <= set(PARTIAL_ADDRESSES)

    def test_the_page_runs_the_guard_and_reports_all_resolving(self):
        assert views.address_guard() == tuple((address, None) for address in PARTIAL_ADDRESSES)


class ParentPartialTests(SimpleTestCase):
    """Case 1: a partial belongs to the file that defines it, not to children."""

    def test_child_address_of_a_parent_partial_does_not_exist(self):
        with pytest.raises(TemplateDoesNotExist) as raised:
            render_to_string(f"{CHILD}#banner")

        assert str(raised.value) == f"{CHILD}#banner"

    def test_parent_address_renders_the_banner(self):
        assert render_to_string(f"{PARENT}#banner").strip() == BANNER_HTML

    def test_the_child_page_itself_shows_the_banner(self):
        assert BANNER_HTML in render_to_string(CHILD)

    def test_workaround_the_included_file_is_the_address(self):
        assert render_to_string(BANNER).strip().endswith(BANNER_HTML)
        assert BANNER_HTML in render_to_string(CHILD_INCLUDE)
        with pytest.raises(TemplateDoesNotExist):
            render_to_string(f"{CHILD_INCLUDE}#banner")


class IncludeMovesTheAddressTests(SimpleTestCase):
    """Case 2: after moving the card into _card.html, the page's address is gone."""

    def test_page_address_breaks_after_the_refactor(self):
        with pytest.raises(TemplateDoesNotExist) as raised:
            get_template(f"{AFTER}#card")

        assert str(raised.value) == f"{AFTER}#card"

    def test_included_file_address_renders_the_card(self):
        assert squeeze(render_to_string(f"{CARD}#card")) == (
            '<article class="card"><h3>Partials in practice</h3>'
            "<p>One template, the full page and the fragment.</p></article>"
        )

    def test_before_and_after_pages_look_the_same(self):
        assert squeeze(render_to_string(BEFORE)) == squeeze(render_to_string(AFTER))
        assert squeeze(render_to_string(f"{BEFORE}#card")) == squeeze(
            render_to_string(f"{CARD}#card")
        )


class InlineTests(SimpleTestCase):
    """Case 4: only inline partials render where they are defined."""

    def test_without_inline_the_file_renders_nothing_in_place(self):
        assert squeeze(render_to_string(NOT_INLINE)) == "<p>Before.</p><p>After.</p>"

    def test_with_inline_the_file_renders_the_partial_in_place(self):
        assert squeeze(render_to_string(INLINE)) == (
            '<p>Before.</p><p class="note">The note.</p><p>After.</p>'
        )

    def test_without_inline_the_address_still_renders_it(self):
        assert squeeze(render_to_string(f"{NOT_INLINE}#note")) == '<p class="note">The note.</p>'


class MissingNameTests(SimpleTestCase):
    """Case 5: what a misspelt partial name raises, on this Django line."""

    def test_misspelt_address_raises_with_only_the_address_as_message(self):
        with pytest.raises(TemplateDoesNotExist) as raised:
            render_to_string(f"{NAMES}#greting", {"name": "Ada"})

        assert str(raised.value) == f"{NAMES}#greting"
        [inner] = raised.value.chain
        if compat.HAS_BUILTIN_PARTIALS:
            # Core raises with the partial's name alone.
            assert str(inner) == "greting"
        else:
            # django-template-partials' loader raises inside Engine.find_template,
            # which re-raises with the whole address.
            assert str(inner) == f"{NAMES}#greting"
        # A bare name, where the postmortem expects (origin, status) pairs.
        assert inner.tried == [NAMES]

    def test_the_fix_renders(self):
        assert render_to_string(f"{NAMES}#greeting", {"name": "Ada"}).strip() == (
            "<p>Hello, Ada.</p>"
        )

    def test_partial_tag_typo_compiles_and_fails_when_it_renders(self):
        template = get_template(PARTIAL_TAG)  # compiles without complaint

        expected = (
            "Partial 'greting' is not defined in the current template."
            if compat.HAS_BUILTIN_PARTIALS
            else "You are trying to access an undefined partial 'greting'"
        )
        with pytest.raises(TemplateSyntaxError) as raised:
            template.render({"name": "Ada", "typo": True})
        assert str(raised.value) == expected
        assert template.render({"name": "Ada"}).strip() == "<p>Hello, Ada.</p>"


class GotchaCasesTests(SimpleTestCase):
    """The helper the page renders: live attempts, each working or failing as labelled."""

    def test_five_cases_with_working_and_failing_attempts(self):
        cases = views.gotcha_cases()

        assert [case.slug for case in cases] == ["parent", "include", "nested", "inline", "errors"]
        for case in cases:
            with self.subTest(case.slug):
                assert case.working
                assert case.failing
                assert all(attempt.ok for attempt in case.working)
                assert case.sources
                assert all(source.language == "django" for source in case.sources)

    def test_failing_attempts_record_the_exception(self):
        by_address = {
            attempt.address + repr(dict(attempt.context)): attempt
            for case in views.gotcha_cases()
            for attempt in case.failing
        }
        child = by_address[f"{CHILD}#banner{{}}"]
        assert (child.error, child.message, child.raised_by) == (
            "TemplateDoesNotExist",
            f"{CHILD}#banner",
            "get_template()",
        )
        after = by_address[f"{AFTER}#card{{}}"]
        assert after.error == "TemplateDoesNotExist"
        typo = by_address[PARTIAL_TAG + repr({"name": "Ada", "typo": True})]
        assert (typo.error, typo.raised_by) == ("TemplateSyntaxError", "render()")
        not_inline = by_address[NOT_INLINE + "{}"]
        assert not_inline.ok
        assert "The note." not in (not_inline.output or "")

    def test_missing_name_shows_the_debug_postmortem(self):
        [case] = [case for case in views.gotcha_cases() if case.slug == "errors"]
        [missing] = [attempt for attempt in case.failing if attempt.postmortem]

        assert missing.postmortem.startswith("Template loader postmortem")
        # The DEBUG page indexes into the bare name: "(j)" is "django_six_demos/…"[1].
        assert "* :  (j)" in missing.postmortem

    def test_sources_are_the_files_on_disk(self):
        [case] = [case for case in views.gotcha_cases() if case.slug == "include"]

        [card] = [source for source in case.sources if source.title == CARD]
        wrapper = get_template(CARD)
        assert isinstance(wrapper, BackendTemplate)
        origin = wrapper.template.origin
        with open(origin.name, encoding="utf-8") as file:
            assert card.code == file.read()


class GalleryPageTests(SimpleTestCase):
    def test_page_renders_every_case_live(self):
        response = self.client.get(URL)

        assert response.status_code == 200
        assert page_template(response) == views.PAGE
        for case in response.context["cases"]:
            assert f'<section id="gotcha-{case.slug}" class="gotcha">' in response.text
            for attempt in (*case.working, *case.failing):
                if attempt.ok:
                    shown = escape(attempt.shown_output or "(nothing)")
                    assert (
                        f'<pre class="attempt-output" tabindex="0">{shown}</pre>' in response.text
                    )
                else:
                    assert f"{attempt.error}: {escape(attempt.message)}" in response.text

    def test_each_case_explains_itself_and_its_fix(self):
        response = self.client.get(URL)

        assert response.text.count("<strong>Fix:</strong>") == len(response.context["cases"])
        assert "inheritance is out of scope" in response.text

    def test_page_runs_the_address_guard(self):
        page = squeeze(self.client.get(URL).text)

        for address in PARTIAL_ADDRESSES:
            assert f"<code>{address}</code>:resolves</li>" in page

    def test_page_shows_this_lines_messages(self):
        response = self.client.get(URL)

        assert f"TemplateDoesNotExist: {CHILD}#banner" in response.text
        tag_error = (
            "Partial &#x27;greting&#x27; is not defined in the current template."
            if compat.HAS_BUILTIN_PARTIALS
            else "You are trying to access an undefined partial &#x27;greting&#x27;"
        )
        assert f"TemplateSyntaxError: {tag_error}" in response.text

    def test_page_shows_the_template_sources_and_breadcrumbs(self):
        response = self.client.get(URL)

        for name in (PARENT, CHILD, CARD, NESTED, NAMES):
            wrapper = get_template(name)
            assert isinstance(wrapper, BackendTemplate)
            source = frame.template_source(wrapper.template)
            assert source is not None
            assert source.html in response.text
        assert f'href="{reverse("django_six_demos_partials:index")}"' in response.text
        assert f'href="{reverse("django_six_demos_index")}"' in response.text

    def test_page_is_served_under_the_strict_policy(self):
        response = self.client.get(URL)

        [nonce] = header_nonces(response)
        assert page_nonces(response.text) == {nonce}
        assert "style=" not in response.text
        assert " hx-on" not in response.text
        assert " on" + "click" not in response.text

    def test_page_has_the_nested_widget_with_one_button_per_target(self):
        response = self.client.get(URL)

        for target in ("outer", "middle", "inner"):
            assert (
                f'hx-get="{NESTED_URL}" hx-target="#{target}" hx-swap="outerHTML"' in response.text
            )
            assert f'<ul id="{target}" class="nest">' in response.text

    def test_post_is_refused(self):
        assert self.client.post(URL).status_code == 405


class NestedViewTests(SimpleTestCase):
    """Case 3: the htmx target picks the partial, through an allowlist."""

    def test_each_target_gets_exactly_its_partial(self):
        for target, address in NESTED_PARTIALS.items():
            with self.subTest(target):
                response = self.client.get(NESTED_URL, headers={**HTMX, "HX-Target": target})

                assert response.status_code == 200
                assert "<html" not in response.text
                assert response.text == render_to_string(
                    address, response.context_data, request=response.wsgi_request
                )
                assert squeeze(response.text).startswith(f'<ul id="{target}" class="nest">')

    def test_outer_carries_middle_and_inner_but_inner_carries_neither(self):
        outer = self.client.get(NESTED_URL, headers={**HTMX, "HX-Target": "outer"}).text
        inner = self.client.get(NESTED_URL, headers={**HTMX, "HX-Target": "inner"}).text

        assert 'id="middle"' in outer
        assert 'id="inner"' in outer
        assert 'id="outer"' not in inner
        assert 'id="middle"' not in inner

    def test_each_swap_is_a_new_render(self):
        first = self.client.get(NESTED_URL, headers={**HTMX, "HX-Target": "inner"})
        second = self.client.get(NESTED_URL, headers={**HTMX, "HX-Target": "inner"})

        # Read from the fragment: on Django 5.2 a partial's render is not
        # instrumented, so the test client's response.context stays empty.
        [first_number] = re.findall(r"render #(\d+) at", first.text)
        [second_number] = re.findall(r"render #(\d+) at", second.text)
        assert int(second_number) > int(first_number)

    def test_unknown_or_missing_target_is_a_400_with_a_message(self):
        for headers in ({**HTMX, "HX-Target": "nest-stage"}, {**HTMX, "HX-Target": ""}, HTMX):
            with self.subTest(headers):
                response = self.client.get(NESTED_URL, headers=headers)

                assert response.status_code == 400
                assert response["Content-Type"] == "text/plain; charset=utf-8"
                assert response.text == (
                    "Unknown or missing HX-Target: this endpoint swaps #outer, #middle or #inner."
                )

    def test_without_htmx_it_is_the_full_page(self):
        response = self.client.get(NESTED_URL, headers={"HX-Target": "inner"})

        assert response.status_code == 200
        assert response.text.startswith("<!doctype html>")
        assert page_template(response) == views.PAGE
        assert '<section id="gotcha-nested" class="gotcha">' in response.text

    def test_responses_vary_on_hx_request(self):
        for headers in ({}, {**HTMX, "HX-Target": "inner"}, {**HTMX, "HX-Target": "nope"}):
            with self.subTest(headers):
                response = self.client.get(NESTED_URL, headers=headers)
                assert "HX-Request" in response["Vary"]


class RequestDataNeverNamesATemplateTests(SimpleTestCase):
    def test_partial_parameters_get_the_normal_page(self):
        for url in (URL, NESTED_URL):
            for value in HOSTILE_PARTIALS:
                with self.subTest(url=url, partial=value):
                    response = self.client.get(url, {"partial": value})

                    assert response.status_code == 200
                    assert page_template(response) == views.PAGE
                    assert "root:" not in response.text

    def test_partial_parameters_do_not_change_the_htmx_fragment(self):
        for value in HOSTILE_PARTIALS:
            with self.subTest(partial=value):
                response = self.client.get(
                    NESTED_URL, {"partial": value}, headers={**HTMX, "HX-Target": "inner"}
                )

                assert response.status_code == 200
                assert squeeze(response.text).startswith('<ul id="inner" class="nest">')

    def test_hostile_targets_are_400_never_500(self):
        for target in (*HOSTILE_PARTIALS, "inner#x", "../inner"):
            with self.subTest(target=target):
                response = self.client.get(NESTED_URL, headers={**HTMX, "HX-Target": target})

                assert response.status_code == 400
                assert "root:" not in response.text
