from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client, SimpleTestCase, TestCase, override_settings
from django.urls import reverse

from django_six_demos import compat, conf, csp_policy
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.csp import policies, views
from django_six_demos.csp.views import INJECTED_ATTRIBUTES, SANDBOX, SANDBOX_ABSTRACT
from django_six_demos.csp_header import parse
from tests.csp_utils import header_nonces, page_nonces

HTMX = {"HX-Request": "true"}
ENFORCE = "Content-Security-Policy"
REPORT_ONLY = "Content-Security-Policy-Report-Only"
NONCE = re.compile(r"^'nonce-[^']+'$")

# The site's strict policy enforced, and a report-only twin reporting to a URL.
WITH_REPORT_ONLY = compat.csp_settings(
    conf.strict_policy(), report_only=conf.strict_policy(report_uri="/csp-report/")
)


def url(name: str) -> str:
    return reverse(f"django_six_demos_csp:{name}")


def directives(header: str) -> dict[str, list[str]]:
    """Parse a CSP header, with the nonce (different on every response) as 'nonce'."""
    return {
        name: ["'nonce'" if NONCE.match(source) else source for source in sources]
        for name, sources in parse(header).items()
    }


class ExplorerTests(SimpleTestCase):
    def test_the_room_is_live_and_its_page_is_the_explorer(self):
        response = self.client.get(url("index"))

        assert response.status_code == 200
        assert "is being built" not in response.text
        assert response.templates[0].name == "django_six_demos/csp/index.html"

    def test_every_directive_of_the_policy_in_force_is_listed_with_its_reason(self):
        response = self.client.get(url("index"))

        policy = compat.configured_policies()["enforce"]
        assert policy
        for name in policy:
            assert f'<tr id="enforce-{name}">' in response.text, name
            reason = policies.REASONS[name]
            assert html.escape(reason) in response.text, name
        assert '<td class="policy-reason-missing">' not in response.text

    def test_the_listed_directives_are_those_of_the_header_the_page_got(self):
        response = self.client.get(url("index"))

        assert response.context_data is not None
        [enforce, _] = response.context_data["modes"]
        # django-csp orders directives its own way: compare the sets.
        assert {d.name for d in enforce.directives} == set(directives(response[ENFORCE]))

    @override_settings(
        **compat.csp_settings({"default-src": [csp_policy.NONE], "prefetch-src": [csp_policy.SELF]})
    )
    def test_a_directive_without_a_reason_is_flagged_on_the_page(self):
        response = self.client.get(url("index"))

        assert '<tr id="enforce-prefetch-src">' in response.text
        assert (
            '<td class="policy-reason-missing" data-label="Why it is there">No reason recorded: add one to '
            "django_six_demos.csp.policies.REASONS.</td>"
        ) in response.text

    def test_without_a_report_only_policy_the_page_says_no_header_is_sent(self):
        response = self.client.get(url("index"))

        assert REPORT_ONLY not in response.headers
        assert (
            f"<code>{compat.CSP_REPORT_ONLY_SETTING}</code> is empty, so no <code>{REPORT_ONLY}"
            in response.text
        )

    @override_settings(**WITH_REPORT_ONLY)
    def test_a_report_only_policy_is_listed_with_its_reasons_and_destination(self):
        response = self.client.get(url("index"))

        for name in parse(response[REPORT_ONLY]):
            assert f'<tr id="report-only-{name}">' in response.text, name
        assert '<tr id="report-only-report-uri">' in response.text
        assert "<code>/csp-report/</code>" in response.text

    def test_the_page_links_to_both_twins_and_the_other_pages(self):
        response = self.client.get(url("index"))

        for name in ("twin-enforced", "twin-report-only"):
            assert f'data-csp-twin-url="{url(name)}"' in response.text
            assert f'href="{url(name)}"' in response.text
        for name in ("extended", "disabled", "sandbox", "injected-attributes", "headers"):
            assert f'href="{url(name)}"' in response.text

    def test_the_page_script_is_static_and_carries_the_nonce(self):
        response = self.client.get(url("index"))

        [nonce] = header_nonces(response)
        assert (
            f'<script src="/static/django_six_demos/csp/sandbox.js" nonce="{nonce}"></script>'
            in response.text
        )
        assert page_nonces(response.text) == {nonce}


class TwinTests(SimpleTestCase):
    def test_the_enforced_twin_has_only_the_enforced_header(self):
        response = self.client.get(url("twin-enforced"))

        assert ENFORCE in response.headers
        assert REPORT_ONLY not in response.headers

    def test_the_report_only_twin_has_only_the_report_only_header(self):
        response = self.client.get(url("twin-report-only"))

        assert REPORT_ONLY in response.headers
        assert ENFORCE not in response.headers

    @override_settings(**WITH_REPORT_ONLY)
    def test_each_twin_keeps_its_one_header_when_the_site_has_both(self):
        enforced = self.client.get(url("twin-enforced"))
        report_only = self.client.get(url("twin-report-only"))

        assert (ENFORCE in enforced.headers, REPORT_ONLY in enforced.headers) == (True, False)
        assert (ENFORCE in report_only.headers, REPORT_ONLY in report_only.headers) == (
            False,
            True,
        )
        # Both carry the site's enforced policy, not its report-only one.
        assert "report-uri" not in parse(report_only[REPORT_ONLY])

    def test_both_twins_carry_the_site_policy_directive_for_directive(self):
        site = self.client.get(url("index"))
        enforced = self.client.get(url("twin-enforced"))
        report_only = self.client.get(url("twin-report-only"))

        assert directives(enforced[ENFORCE]) == directives(report_only[REPORT_ONLY])
        assert directives(enforced[ENFORCE]) == directives(site[ENFORCE])

    @override_settings(**compat.csp_settings(conf.strict_policy(extra={"img-src": ["https:"]})))
    def test_the_twins_follow_the_settings_in_force(self):
        report_only = self.client.get(url("twin-report-only"))

        assert parse(report_only[REPORT_ONLY])["img-src"] == ["'self'", "https:"]

    def test_both_twins_render_one_template_with_the_same_deliberate_violation(self):
        for name, mode in (("twin-enforced", "enforce"), ("twin-report-only", "report-only")):
            response = self.client.get(url(name))

            assert response.templates[0].name == "django_six_demos/csp/twin.html"
            assert response.context_data is not None
            assert response.context_data["mode"] == mode
            image = html.escape(policies.PROBE_IMAGE)
            block = response.text.split(f'data-csp-mode="{mode}"', 1)[1]
            assert f'<img src="{image}"' in block.split("</section>", 1)[0]

    def test_the_report_only_header_carries_the_page_nonce(self):
        response = self.client.get(url("twin-report-only"))

        [nonce] = header_nonces(response, REPORT_ONLY)
        assert page_nonces(response.text) == {nonce}

    @pytest.mark.skipif(not compat.HAS_BUILTIN_CSP, reason="Django 6.0+")
    def test_core_report_only_nonce_is_22_url_safe_characters(self):
        response = self.client.get(url("twin-report-only"))

        [nonce] = header_nonces(response, REPORT_ONLY)
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", nonce)

    @pytest.mark.skipif(compat.HAS_BUILTIN_CSP, reason="Django 5.2 with django-csp")
    def test_django_csp_report_only_nonce_is_24_base64_characters(self):
        response = self.client.get(url("twin-report-only"))

        [nonce] = header_nonces(response, REPORT_ONLY)
        assert re.fullmatch(r"[A-Za-z0-9+/]{22}==", nonce)


class PerViewTests(SimpleTestCase):
    def test_the_extended_view_policy_is_the_site_policy_plus_data_images(self):
        site = directives(self.client.get(url("index"))[ENFORCE])
        response = self.client.get(url("extended"))

        extended = directives(response[ENFORCE])
        assert extended["img-src"] == [*site["img-src"], "data:"]
        assert {k: v for k, v in extended.items() if k != "img-src"} == {
            k: v for k, v in site.items() if k != "img-src"
        }

    def test_the_extended_page_shows_the_data_image_and_both_img_src_values(self):
        response = self.client.get(url("extended"))

        assert f'<img src="{html.escape(policies.PROBE_IMAGE)}"' in response.text
        assert response.context_data is not None
        [site] = response.context_data["site_img_src"]
        [extended] = response.context_data["extended_img_src"]
        assert site.sources == ("'self'",)
        assert extended.sources == ("'self'", "data:")

    def test_the_extended_view_keeps_its_nonce(self):
        response = self.client.get(url("extended"))

        [nonce] = header_nonces(response)
        assert page_nonces(response.text) == {nonce}

    @override_settings(**WITH_REPORT_ONLY)
    def test_the_disabled_view_has_no_csp_header_at_all(self):
        response = self.client.get(url("disabled"))

        assert response.status_code == 200
        assert ENFORCE not in response.headers
        assert REPORT_ONLY not in response.headers
        assert "Practically never" in response.text


def hostile_block(text: str, marker: str) -> str:
    """Return the hx-disable region marked ``marker``, from its tag to its first </div>."""
    start = text.index(f'<div class="demo-hostile" {marker} hx-disable>')
    return text[start : text.index("</div>", start)]


class SandboxTests(TestCase):
    def marked_block(self, text: str) -> str:
        return hostile_block(text, "data-csp-sandbox")

    def test_the_page_renders_the_payloads_unescaped_inside_the_marked_block(self):
        response = self.client.get(url("sandbox"))

        assert response.status_code == 200
        block = self.marked_block(response.text)
        assert '<script>window.__sandboxRan = "script";</script>' in block
        assert '<img src="" alt="" onerror="window.__sandboxRan = \'onerror\'">' in block
        # Exactly once unescaped: nowhere outside the marked block.
        assert response.text.count("<script>window.__sandboxRan") == 1
        # And once as Django prints user input everywhere else: escaped.
        assert html.escape(SANDBOX_ABSTRACT) in response.text

    def test_the_htmx_partial_is_the_marked_block_alone(self):
        response = self.client.get(url("sandbox"), headers=HTMX)

        assert response.status_code == 200
        assert "<html" not in response.text
        expected = render_to_string(
            f"{SANDBOX}#payload", response.context_data, request=response.wsgi_request
        )
        assert response.text == expected
        block = self.marked_block(response.text)
        assert '<script>window.__sandboxRan = "script";</script>' in block
        assert "onerror=\"window.__sandboxRan = 'onerror'\"" in block

    def test_responses_vary_on_hx_request(self):
        for headers in ({}, HTMX):
            response = self.client.get(url("sandbox"), headers=headers)
            assert "HX-Request" in response["Vary"]

    def test_the_payloads_cannot_run_under_the_page_policy(self):
        for headers in ({}, HTMX):
            response = self.client.get(url("sandbox"), headers=headers)

            script_src = parse(response[ENFORCE])["script-src"]
            assert "'unsafe-inline'" not in script_src
            assert "'unsafe-hashes'" not in script_src
            assert "'strict-dynamic'" in script_src

    def test_the_payloads_come_from_code_and_the_sandbox_writes_no_row(self):
        for headers in ({}, HTMX):
            with self.assertNumQueries(0):
                response = self.client.get(url("sandbox"), headers=headers)
            assert response.status_code == 200

        assert not Talk.objects.exists()
        assert not Speaker.objects.exists()

    def test_a_talk_with_the_old_sandbox_slug_is_never_shown(self):
        """Anyone could once create the talk the sandbox printed unescaped."""
        speaker = Speaker.objects.create(name="Someone", slug="csp-injection-sandbox")
        Talk.objects.create(
            title="Kept",
            slug="csp-injection-sandbox",
            speaker=speaker,
            abstract='<b>kept</b><div hx-post="/admin/auth/user/add/" hx-trigger="load"></div>',
            track=Talk.Track.SECURITY,
            level=Talk.Level.ADVANCED,
            duration=25,
        )

        for headers in ({}, HTMX):
            response = self.client.get(url("sandbox"), headers=headers)
            assert "kept" not in response.text
            assert "/admin/" not in response.text
        assert Talk.objects.get().abstract.startswith("<b>kept</b>")

    def test_only_this_modules_payloads_can_be_printed_unescaped(self):
        assert views.deliberately_unescaped("sandbox") == SANDBOX_ABSTRACT
        with pytest.raises(ValueError, match="No such payload"):
            views.deliberately_unescaped("<b>anything else</b>")

    def test_request_data_never_chooses_the_template(self):
        for value in ("../../etc/passwd", "base.html#x", "payload", "#payload"):
            for headers in ({}, HTMX):
                response = self.client.get(url("sandbox"), {"partial": value}, headers=headers)
                assert response.status_code == 200, value
                assert ("<html" in response.text) is not bool(headers), value

    @override_settings(
        **compat.csp_settings(conf.strict_policy(report_uri="/csp/report/", report_to="csp"))
    )
    def test_the_page_names_where_reports_go(self):
        response = self.client.get(url("sandbox"))

        assert "<code>report-uri /csp/report/</code>" in response.text
        assert "<code>report-to csp</code>" in response.text

    @override_settings(**compat.csp_settings(conf.strict_policy()))
    def test_without_reporting_the_page_says_no_report_is_sent(self):
        response = self.client.get(url("sandbox"))

        assert "names no <code>report-uri</code> or <code>report-to</code>" in response.text

    def test_the_page_links_to_the_lesson_on_injected_attributes(self):
        response = self.client.get(url("sandbox"))

        assert f'href="{url("injected-attributes")}"' in response.text


class InjectedAttributesTests(SimpleTestCase):
    def marked_block(self, text: str) -> str:
        return hostile_block(text, "data-planted-region")

    def test_the_payload_is_unescaped_only_inside_hx_disable(self):
        response = self.client.get(url("injected-attributes"))

        assert response.status_code == 200
        payload = views.planted_payload()
        assert f'hx-post="{url("planted")}"' in payload
        assert 'hx-trigger="load"' in payload
        assert payload in self.marked_block(response.text)
        # Unescaped exactly once, inside the region; once more escaped, as text.
        assert response.text.count(f'hx-post="{url("planted")}"') == 1
        assert html.escape(payload, quote=True) in response.text

    def test_the_htmx_partial_is_the_region_alone(self):
        response = self.client.get(url("injected-attributes"), headers=HTMX)

        assert response.status_code == 200
        assert "<html" not in response.text
        expected = render_to_string(
            f"{INJECTED_ATTRIBUTES}#planted", response.context_data, request=response.wsgi_request
        )
        assert response.text == expected
        assert views.planted_payload() in self.marked_block(response.text)
        assert response.text.count("hx-post=") == 1

    def test_responses_vary_on_hx_request_and_request_data_never_chooses_the_template(self):
        for value in ("../../etc/passwd", "base.html#x", "planted", "#planted"):
            for headers in ({}, HTMX):
                response = self.client.get(
                    url("injected-attributes"), {"partial": value}, headers=headers
                )
                assert response.status_code == 200, value
                assert ("<html" in response.text) is not bool(headers), value
                assert "HX-Request" in response["Vary"]

    def test_the_page_teaches_each_defence(self):
        text = self.client.get(url("injected-attributes")).text

        for defence in (
            "<code>|safe</code>",
            "<code>mark_safe()</code>",
            "<code>hx-disable</code>",
            "<code>htmx.config.selfRequestsOnly</code>",
            "Authorise every side effect",
        ):
            assert defence in text, defence
        # Shown, not written as a template tag the page would run.
        assert "<code>{% autoescape off %}</code>" in text

    def test_the_planted_endpoint_changes_nothing_and_takes_only_post(self):
        assert self.client.post(url("planted")).status_code == 204
        assert self.client.get(url("planted")).status_code == 405

    def test_the_planted_endpoint_is_csrf_protected(self):
        client = Client(enforce_csrf_checks=True)

        assert client.post(url("planted")).status_code == 403

    def test_the_room_index_links_to_the_lesson(self):
        response = self.client.get(url("index"))

        assert f'href="{url("injected-attributes")}"' in response.text


PERMISSIONS_POLICY_MIDDLEWARE = "django_permissions_policy.PermissionsPolicyMiddleware"


class HeadersTests(SimpleTestCase):
    def test_the_page_explains_each_security_header(self):
        response = self.client.get(url("headers"))

        assert response.status_code == 200
        for name in (
            "Permissions-Policy",
            "Referrer-Policy",
            "Cross-Origin-Opener-Policy",
            "X-Content-Type-Options",
            "X-Frame-Options",
            "Cross-Origin-Resource-Policy",
            "Strict-Transport-Security",
        ):
            assert f'<section class="header-note" id="header-{name.lower()}"' in response.text, name

    @override_settings(
        MIDDLEWARE=[*settings.MIDDLEWARE, PERMISSIONS_POLICY_MIDDLEWARE],
        PERMISSIONS_POLICY={"camera": [], "geolocation": []},
    )
    def test_what_the_page_says_is_asked_for_is_what_the_response_carries(self):
        response = self.client.get(url("headers"))

        assert response.context_data is not None
        notes = {note.name: note.asked for note in response.context_data["notes"]}
        assert notes["Permissions-Policy"] == "camera=(), geolocation=()"
        for name in (
            "Permissions-Policy",
            "Referrer-Policy",
            "Cross-Origin-Opener-Policy",
            "X-Content-Type-Options",
            "X-Frame-Options",
        ):
            assert response.headers[name] == notes[name], name
        # Sent over HTTPS only, and not configured in the tests: neither asked nor sent.
        assert notes["Strict-Transport-Security"] is None
        assert notes["Cross-Origin-Resource-Policy"] is None
        assert "Cross-Origin-Resource-Policy" not in response.headers

    def test_without_the_middleware_nothing_is_claimed(self):
        response = self.client.get(url("headers"))

        assert response.context_data is not None
        notes = {note.name: note.asked for note in response.context_data["notes"]}
        assert PERMISSIONS_POLICY_MIDDLEWARE not in settings.MIDDLEWARE
        assert notes["Permissions-Policy"] is None
        assert "Permissions-Policy" not in response.headers

    def test_the_x_frame_options_note_names_frame_ancestors_from_the_policy(self):
        response = self.client.get(url("headers"))

        assert "frame-ancestors &#x27;none&#x27;" in response.text


class MethodTests(TestCase):
    def test_every_page_refuses_post_with_405(self):
        for name in (
            "index",
            "twin-enforced",
            "twin-report-only",
            "extended",
            "disabled",
            "sandbox",
            "injected-attributes",
            "headers",
        ):
            response = self.client.post(url(name))
            assert response.status_code == 405, name
