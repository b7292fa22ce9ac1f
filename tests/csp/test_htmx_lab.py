from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from unittest import mock

from django.template.loader import get_template, render_to_string
from django.template.response import TemplateResponse
from django.test import SimpleTestCase
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from django_six_demos.csp import htmx_lab
from django_six_demos.csp.htmx_lab import LAB_FRAGMENTS, VARIANTS
from django_six_demos.csp_header import parse
from tests.csp_utils import header_nonces, page_nonces

HTMX = {"HX-Request": "true"}
LAB = reverse("django_six_demos_csp:htmx-lab")
HTMX_CONFIG = re.compile(r'<meta name="htmx-config" content=\'([^\']*)\'>')


def variant_url(slug: str) -> str:
    return reverse("django_six_demos_csp:htmx-lab-variant", args=[slug])


def fragment_url(slug: str) -> str:
    return reverse("django_six_demos_csp:htmx-lab-fragment", args=[slug])


def htmx_config(html: str) -> dict[str, object] | None:
    match = HTMX_CONFIG.search(html)
    return json.loads(match.group(1)) if match else None


def assert_strict_csp_with_matching_nonce(response):
    policy = parse(response.headers["Content-Security-Policy"])
    assert "'strict-dynamic'" in policy["script-src"]
    assert policy["style-src"] == ["'self'"]
    [nonce] = header_nonces(response)
    assert page_nonces(response.text) == {nonce}


class StartTags(HTMLParser):
    """Collect every start tag of a page with its attributes."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))

    @classmethod
    def parse(cls, html):
        parser = cls()
        parser.feed(html)
        return parser.found


class LabPageTests(SimpleTestCase):
    def test_served_under_the_strict_policy_with_the_nonce_on_its_scripts(self):
        response = self.client.get(LAB)

        assert response.status_code == 200
        assert_strict_csp_with_matching_nonce(response)
        assert re.search(r'src="[^"]*/csp/htmx-lab\.js" defer nonce="[^"]+"', response.text)

    def test_runs_htmx_with_the_strict_config(self):
        response = self.client.get(LAB)

        config = htmx_config(response.text)
        assert config is not None
        assert config["allowEval"] is False
        assert config["allowScriptTags"] is False
        assert config["includeIndicatorStyles"] is False

    def test_uses_none_of_the_patterns_it_warns_about(self):
        response = self.client.get(LAB)

        tags = StartTags()
        tags.feed(response.text)
        attributes = [(tag, name, value) for tag, attrs in tags.found for name, value in attrs]
        assert not [a for a in attributes if a[1].startswith(("hx-on", "on", "style"))]
        assert not [a for a in attributes if a[1] == "hx-trigger" and "[" in (a[2] or "")]
        assert "style" not in [tag for tag, _ in tags.found]
        # Every <script> on the page is an external file carrying the nonce.
        scripts = [dict(attrs) for tag, attrs in tags.found if tag == "script"]
        assert scripts
        assert all(script.get("src") and script.get("nonce") for script in scripts), scripts

    def test_lists_every_variant_with_its_measured_outcome(self):
        response = self.client.get(LAB)

        for variant in VARIANTS.values():
            assert f'href="{variant_url(variant.slug)}"' in response.text
            assert escape(variant.outcome) in response.text
            assert f'href="#{variant.alternative}"' in response.text
            assert f'id="{variant.alternative}"' in response.text
        assert "tests/browser/test_htmx_lab.py" in response.text

    def test_shows_the_indicator_rules_read_from_the_stylesheet(self):
        rules = htmx_lab.indicator_rules()

        assert rules.startswith(".htmx-indicator {")
        assert ".htmx-request .htmx-indicator" in rules
        assert "opacity: 0;" in rules
        response = self.client.get(LAB)
        assert f'<pre class="lab-css" tabindex="0"><code>{rules}</code></pre>' in response.text

    def test_says_so_when_the_stylesheet_has_no_indicator_rules(self):
        with mock.patch("django_six_demos.csp.htmx_lab.finders.find", return_value=None):
            response = self.client.get(LAB)

        assert "No <code>.htmx-indicator</code> rules found" in response.text

    def test_the_slow_fragment_waits_in_the_browser(self):
        """The swap is delayed by hx-swap and the indicator held by a static script."""
        delay = htmx_lab.FRAGMENT_DELAY_MS
        for page in (LAB, variant_url("indicator-styles")):
            with self.subTest(page):
                response = self.client.get(page)
                [button] = [
                    dict(attrs)
                    for tag, attrs in StartTags.parse(response.text)
                    if tag == "button" and dict(attrs).get("hx-indicator") == "#lab-indicator"
                ]
                assert button["hx-get"] == fragment_url("plain")
                assert button["hx-swap"] == f"innerHTML swap:{delay}ms"
                assert button["data-lab-hold-indicator"] == str(delay)
                assert "/static/django_six_demos/csp/htmx-lab-slow.js" in response.text

    def test_only_get(self):
        assert self.client.post(LAB).status_code == 405


class VariantPageTests(SimpleTestCase):
    def test_every_variant_is_served_under_the_strict_policy(self):
        for slug in VARIANTS:
            with self.subTest(slug):
                response = self.client.get(variant_url(slug))

                assert response.status_code == 200
                assert_strict_csp_with_matching_nonce(response)
                assert re.search(
                    r'src="[^"]*/csp/htmx-lab-recorder\.js" defer nonce="[^"]+"', response.text
                )
                assert escape(VARIANTS[slug].outcome) in response.text

    def test_unknown_variant_is_404(self):
        for slug in ("nope", "hx_on", "HX-ON", "script"):
            with self.subTest(slug):
                assert self.client.get(variant_url(slug)).status_code == 404

    def test_paths_are_not_slugs(self):
        with self.assertRaises(NoReverseMatch):
            variant_url("../htmx_lab")
        response = self.client.get(f"{LAB}broken/..%2Fhtmx_lab/")
        assert response.status_code == 404

    def test_template_comes_from_the_allowlist(self):
        for slug, variant in VARIANTS.items():
            with self.subTest(slug):
                response = self.client.get(variant_url(slug))

                assert isinstance(response, TemplateResponse)
                assert response.template_name == variant.template
                assert variant.template.startswith("django_six_demos/csp/htmx_lab_")

    def test_hx_on_page_carries_the_broken_attribute(self):
        response = self.client.get(variant_url("hx-on"))

        assert "hx-on:htmx:after-request=\"this.dataset.handlerRan = 'yes'\"" in response.text
        config = htmx_config(response.text)
        assert config is not None
        assert config["allowEval"] is False

    def test_trigger_filter_page_carries_the_filter(self):
        response = self.client.get(variant_url("trigger-filter"))

        assert "hx-trigger=\"keyup[key=='Enter']\"" in response.text
        config = htmx_config(response.text)
        assert config is not None
        assert config["allowEval"] is False

    def test_indicator_styles_page_runs_htmx_on_its_defaults(self):
        response = self.client.get(variant_url("indicator-styles"))

        assert htmx_config(response.text) is None
        assert 'hx-indicator="#lab-indicator"' in response.text

    def test_script_in_partial_page_keeps_the_strict_config(self):
        response = self.client.get(variant_url("script-in-partial"))

        config = htmx_config(response.text)
        assert config is not None
        assert config["allowScriptTags"] is False
        assert f'hx-get="{fragment_url("with-script")}"' in response.text

    def test_config_matches_what_the_variant_states(self):
        for slug, variant in VARIANTS.items():
            with self.subTest(slug):
                config = htmx_config(self.client.get(variant_url(slug)).text)
                assert (config is None) == (variant.config == htmx_lab.DEFAULT_CONFIG)


class FragmentTests(SimpleTestCase):
    def setUp(self):
        # Any sleep in the view would hold a server worker: record every one.
        patcher = mock.patch("time.sleep")
        self.sleep = patcher.start()
        self.addCleanup(patcher.stop)

    def test_htmx_request_gets_only_the_fragment(self):
        for slug, address in LAB_FRAGMENTS.items():
            with self.subTest(slug):
                response = self.client.get(fragment_url(slug), headers=HTMX)

                assert response.status_code == 200
                assert "<html" not in response.text
                assert isinstance(response, TemplateResponse)
                assert response.template_name == address
                expected = render_to_string(address, response.context_data)
                assert response.text == expected

    def test_plain_request_goes_to_the_lab_page(self):
        response = self.client.get(fragment_url("plain"))

        assert response.status_code == 302
        assert response["Location"] == LAB

    def test_responses_vary_on_hx_request(self):
        for headers in ({}, HTMX):
            response = self.client.get(fragment_url("plain"), headers=headers)
            assert "HX-Request" in response["Vary"]

    def test_unknown_fragment_is_404(self):
        for slug in ("nope", "swapped", "with_script", "slow"):
            with self.subTest(slug):
                response = self.client.get(fragment_url(slug), headers=HTMX)
                assert response.status_code == 404

    def test_only_get(self):
        response = self.client.post(fragment_url("plain"), headers=HTMX)

        assert response.status_code == 405

    def test_no_fragment_makes_the_server_wait(self):
        for slug in LAB_FRAGMENTS:
            assert self.client.get(fragment_url(slug), headers=HTMX).status_code == 200

        self.sleep.assert_not_called()

    def test_each_fragment_carries_a_new_number(self):
        first = self.client.get(fragment_url("plain"), headers=HTMX).context_data
        second = self.client.get(fragment_url("plain"), headers=HTMX).context_data

        assert first is not None
        assert second is not None
        assert second["number"] > first["number"]

    def test_echo_is_escaped_and_cut(self):
        response = self.client.get(
            fragment_url("plain"), {"q": "<script>x</script>" + "y" * 200}, headers=HTMX
        )

        assert "<script>x" not in response.text
        assert "You sent: <q>&lt;script&gt;x&lt;/script&gt;" in response.text
        assert response.context_data is not None
        assert response.context_data["echo"] == ("<script>x</script>" + "y" * 200)[:100]

    def test_fragment_with_script_carries_its_inline_script(self):
        response = self.client.get(fragment_url("with-script"), headers=HTMX)

        assert '<script>document.body.dataset.partialScriptRan = "yes";</script>' in response.text

    def test_fragments_print_no_nonce_so_their_header_carries_none(self):
        response = self.client.get(fragment_url("plain"), headers=HTMX)

        assert header_nonces(response) == []
        assert page_nonces(response.text) == set()


class AllowlistTests(SimpleTestCase):
    def test_variants(self):
        assert list(VARIANTS) == [
            "hx-on",
            "trigger-filter",
            "indicator-styles",
            "script-in-partial",
        ]
        for slug, variant in VARIANTS.items():
            assert variant.slug == slug
            assert variant.config in htmx_lab.CONFIG_LABELS

    def test_fragments(self):
        assert list(LAB_FRAGMENTS) == ["plain", "with-script"]

    def test_every_template_address_resolves(self):
        addresses = [v.template for v in VARIANTS.values()]
        addresses += list(LAB_FRAGMENTS.values())
        for address in [htmx_lab.PAGE, *addresses]:
            with self.subTest(address):
                get_template(address)

    def test_only_the_indicator_variant_causes_violations(self):
        causing = [slug for slug, variant in VARIANTS.items() if variant.violations]

        assert causing == ["indicator-styles"]
