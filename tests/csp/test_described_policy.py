"""The CSP room's pages describe the headers their responses carry, not the settings.

Each page's description is read from its HTML and compared with the response's own headers,
under the settings that make the two differ: development over HTTP (no ``report-to``), HTTPS,
a report-only policy, and no CSP middleware at all.
"""

from __future__ import annotations

import html
import re

from django.conf import settings
from django.http.response import HttpResponseBase
from django.test import SimpleTestCase, override_settings
from django.urls import reverse

from django_six_demos import compat, conf
from django_six_demos.csp_header import ENFORCED, REPORT_ONLY, parse
from tests.csp_utils import header_nonces, page_nonces

NONCE = re.compile(r"^'nonce-[^']*'$")
ROW = re.compile(
    r'<tr id="(?P<mode>enforce|report-only)-(?P<name>[a-z-]+)">\s*'
    r'<th scope="row"><code>[^<]*</code></th>\s*<td[^>]*>(?P<sources>.*?)</td>',
    re.S,
)
CODE = re.compile(r"<code>(.*?)</code>", re.S)
MODES = {"enforce": ENFORCED, "report-only": REPORT_ONLY}
WITH_REPORT_ONLY = compat.csp_settings(
    conf.strict_policy(report_uri="/demos/csp/report/", report_to="csp"),
    report_only=conf.strict_policy(report_uri="/demos/csp/report/", report_to="csp"),
)
WITHOUT_CSP_MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != compat.CSP_MIDDLEWARE]


def url(name: str) -> str:
    return reverse(f"django_six_demos_csp:{name}")


def sources(text: str) -> list[str]:
    """The <code> sources in ``text``, with any nonce as 'nonce'."""
    found = [html.unescape(source) for source in CODE.findall(text)]
    return ["'nonce'" if NONCE.match(source) else source for source in found]


def sent(response: HttpResponseBase, header: str) -> dict[str, list[str]]:
    """The policy ``response`` carries in ``header`` ({} if none), with any nonce as 'nonce'."""
    if header not in response:
        return {}
    return {
        name: ["'nonce'" if NONCE.match(s) else s for s in values]
        for name, values in parse(response[header]).items()
    }


def described(page: str) -> dict[str, dict[str, list[str]]]:
    """The explorer's tables: {mode: {directive: sources}}."""
    tables: dict[str, dict[str, list[str]]] = {mode: {} for mode in MODES}
    for row in ROW.finditer(page):
        tables[row["mode"]][row["name"]] = sources(row["sources"])
    return tables


def between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


class ExplorerTests(SimpleTestCase):
    def test_each_table_is_the_header_the_page_was_sent(self):
        cases = {
            "production": {"DEBUG": False},
            "development": {"DEBUG": True},
            "with a report-only policy": {"DEBUG": False, **WITH_REPORT_ONLY},
            "development, report-only": {"DEBUG": True, **WITH_REPORT_ONLY},
        }
        for case, overrides in cases.items():
            for secure in (False, True):
                with self.subTest(case=case, secure=secure), override_settings(**overrides):
                    response = self.client.get(url("index"), secure=secure)

                    tables = described(response.text)
                    assert tables["enforce"], "no enforced policy described"
                    for mode, header in MODES.items():
                        assert tables[mode] == sent(response, header), mode

    @override_settings(DEBUG=True)
    def test_in_development_over_http_report_to_is_not_listed_and_the_page_says_why(self):
        response = self.client.get(url("index"))

        # The development server leaves report-to (and Reporting-Endpoints) out over HTTP.
        assert "report-to" in compat.configured_policies()["enforce"]
        assert "report-to" not in sent(response, ENFORCED)
        assert "Reporting-Endpoints" not in response
        assert '<tr id="enforce-report-to">' not in response.text
        assert '<tr id="enforce-report-uri">' in response.text
        note = " ".join(between(response.text, 'id="enforce-left-out">', "</p>").split())
        assert (
            f"<code>{compat.CSP_SETTING}</code> also names <code>report-to</code>, "
            "which this header does not carry."
        ) in note
        assert 'id="reporting-endpoints"' not in response.text

    @override_settings(DEBUG=True)
    def test_over_https_report_to_is_listed_with_the_endpoints_header_sent(self):
        response = self.client.get(url("index"), secure=True)

        assert sent(response, ENFORCED)["report-to"] == ["csp"]
        assert '<tr id="enforce-report-to">' in response.text
        assert 'id="enforce-left-out"' not in response.text
        endpoints = between(response.text, 'id="reporting-endpoints">', "</p>")
        assert sources(endpoints)[-1] == response["Reporting-Endpoints"]

    @override_settings(MIDDLEWARE=WITHOUT_CSP_MIDDLEWARE)
    def test_settings_without_the_middleware_describe_no_policy(self):
        response = self.client.get(url("index"))

        assert ENFORCED not in response
        assert compat.configured_policies()["enforce"]
        assert described(response.text) == {"enforce": {}, "report-only": {}}
        assert f"No <code>{ENFORCED}</code> header is sent." in response.text

    def test_reading_the_header_leaves_the_pages_nonce_alone(self):
        for debug in (False, True):
            with self.subTest(debug=debug), override_settings(DEBUG=debug):
                response = self.client.get(url("index"))

                [nonce] = header_nonces(response)
                assert page_nonces(response.text) == {nonce}


class OtherPagesTests(SimpleTestCase):
    def test_each_twin_names_the_img_src_of_its_own_header(self):
        for name, header in (("twin-enforced", ENFORCED), ("twin-report-only", REPORT_ONLY)):
            with self.subTest(name):
                response = self.client.get(url(name))

                text = between(response.text, "of the header this page got is", ":")
                assert sources(text) == sent(response, header)["img-src"]

    def test_the_extended_page_names_the_site_header_and_its_own(self):
        site = self.client.get(url("index"))
        response = self.client.get(url("extended"))

        facts = between(response.text, '<dl class="facts csp-facts">', "</dl>")
        site_dd, view_dd = re.findall(r"<dd>(.*?)</dd>", facts, re.S)
        assert sources(site_dd) == sent(site, ENFORCED)["img-src"]
        assert sources(view_dd) == sent(response, ENFORCED)["img-src"]
        assert sources(site_dd) != sources(view_dd)

    def test_the_sandbox_names_where_its_own_headers_send_reports(self):
        for debug in (False, True):
            for extra in ({}, WITH_REPORT_ONLY):
                with self.subTest(debug=debug, report_only=bool(extra)):
                    with override_settings(DEBUG=debug, **extra):
                        response = self.client.get(url("sandbox"))

                    named = sources(
                        between(response.text, "The browser also sends a report of each to", "</p>")
                    )
                    expected = [
                        f"{name} {source}"
                        for header in (ENFORCED, REPORT_ONLY)
                        for name in ("report-uri", "report-to")
                        for source in sent(response, header).get(name, [])
                    ]
                    assert named == expected
                    assert ("report-to csp" in named) is not debug

    def test_the_headers_page_quotes_frame_ancestors_from_the_header(self):
        response = self.client.get(url("headers"))

        expected = " ".join(sent(response, ENFORCED)["frame-ancestors"])
        assert f"<code>frame-ancestors {html.escape(expected)}</code>" in response.text

    @override_settings(MIDDLEWARE=WITHOUT_CSP_MIDDLEWARE)
    def test_without_a_header_the_headers_page_says_no_policy_sets_frame_ancestors(self):
        response = self.client.get(url("headers"))

        assert "the policy this page is sent with does not set it." in response.text
