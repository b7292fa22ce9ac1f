"""The score page: this site's real headers, graded by the offline rules."""

from __future__ import annotations

import re
from unittest import mock

from django.http import HttpResponse
from django.test import RequestFactory, TestCase, override_settings
from django.urls import reverse

from django_six_demos.conference.models import Talk
from django_six_demos.csp import score, scoring
from tests.csp_utils import header_nonces, page_nonces

URL = reverse("django_six_demos_csp:score")
HOME = reverse("django_six_demos_index")

# What the production settings add to the test settings' security headers.
PRODUCTION_LIKE = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 365 * 24 * 60 * 60,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


def main(html: str) -> str:
    return html[html.index('<main class="site-main">') : html.index("</main>")]


def outer_request(**extra):
    return RequestFactory().get(URL, **extra)


class InternalRequestTests(TestCase):
    def test_gets_the_page_through_the_middleware_as_https(self):
        response = score.internal_get(outer_request(), HOME, secure=True)

        assert response.status_code == 200
        assert "Content-Security-Policy" in response.headers
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        # The page used csrf_token: a first visit gets the cookie.
        assert "csrftoken" in response.cookies

    def test_is_a_new_visitor_on_the_same_host(self):
        request = outer_request(HTTP_HOST="localhost", HTTP_COOKIE="csrftoken=" + "a" * 32)
        response = score.internal_get(request, HOME, secure=True)

        # A cookie-less first visit: the CSRF middleware hands out a new token.
        assert response.cookies["csrftoken"].value != "a" * 32
        assert response.status_code == 200

    @override_settings(**PRODUCTION_LIKE)
    def test_secure_answers_as_behind_tls(self):
        secure = score.internal_get(outer_request(), HOME, secure=True)
        plain = score.internal_get(outer_request(), HOME, secure=False)

        assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert (plain.status_code, plain.headers["Location"]) == (301, f"https://testserver{HOME}")

    @override_settings(
        **PRODUCTION_LIKE, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
    )
    def test_behind_a_proxy_sends_the_proxy_header(self):
        secure = score.internal_get(outer_request(), HOME, secure=True)
        plain = score.internal_get(outer_request(), HOME, secure=False)

        assert secure.status_code == 200
        assert "Strict-Transport-Security" in secure.headers
        assert plain.status_code == 301

    def test_http_route_without_redirect(self):
        assert score.http_route(outer_request(), HOME) == [f"http://testserver{HOME}"]

    @override_settings(**PRODUCTION_LIKE)
    def test_http_route_to_https_on_the_same_host(self):
        assert score.http_route(outer_request(), HOME) == [
            f"http://testserver{HOME}",
            f"https://testserver{HOME}",
        ]

    @override_settings(**PRODUCTION_LIKE, SECURE_SSL_HOST="secure.example.com")
    def test_http_route_ends_at_another_host(self):
        route = score.http_route(outer_request(), HOME)

        assert route == [f"http://testserver{HOME}", f"https://secure.example.com{HOME}"]
        the_site = scoring.Site(headers=[], http_route=route)
        assert scoring.observatory_tests(the_site)[4].result == "redirection-off-host-from-http"

    def test_http_route_follows_relative_redirects_and_stops_after_a_few(self):
        redirect = HttpResponse(status=302)
        redirect["Location"] = "/again/"
        with mock.patch.object(score, "internal_get", return_value=redirect) as get:
            route = score.http_route(outer_request(), "/start/")

        assert (
            route
            == ["http://testserver/start/"] + ["http://testserver/again/"] * score.MAX_REDIRECTS
        )
        assert get.call_count == score.MAX_REDIRECTS


class ScorePageTests(TestCase):
    def get(self, secure: bool = False) -> str:
        response = self.client.get(URL, secure=secure)
        assert response.status_code == 200
        self.response = response
        return main(response.text)

    def test_served_under_the_strict_csp(self):
        self.get()
        html = self.response.text

        [nonce] = header_nonces(self.response)
        assert page_nonces(html) == {nonce}
        assert "style=" not in html
        assert not re.search(r"<[^>]*\son[a-z]+=", html)

    def test_get_only(self):
        assert self.client.post(URL).status_code == 405

    def test_test_settings_score_low_and_say_why(self):
        html = self.get()

        # No HSTS, no redirect, cookies without Secure: each -20, so no bonuses.
        assert 'Score <strong class="score-value">40</strong>' in html
        assert '<strong class="badge score-grade">D+</strong>' in html
        assert "below 90, the Observatory gives no bonus" in html
        for result in (
            "hsts-not-implemented",
            "redirection-missing",
            "cookies-without-secure-flag",
        ):
            assert f"<code>{result}</code>" in html
        assert "<code>csp-implemented-with-no-unsafe-default-src-none</code>" in html

    @override_settings(**PRODUCTION_LIKE)
    def test_production_like_settings_score_135(self):
        html = self.get(secure=True)

        assert 'Score <strong class="score-value">135</strong>' in html
        assert '<strong class="badge score-grade">A+</strong>' in html
        assert "Without bonuses it is 100" in html
        assert (
            f"<code>http://testserver{HOME}</code> → <code>https://testserver{HOME}</code>" in html
        )
        assert 'class="verdict-bad"' not in html

    def test_evaluator_finds_nothing_serious(self):
        html = self.get()

        assert '<p class="verdict-ok">' in html
        assert "No HIGH, MEDIUM or MEDIUM_MAYBE finding." in html
        assert "STRICT_CSP 2" in html
        assert html.count('<tr class="severity-strict_csp">') == 2

    def test_shows_the_graded_headers_and_cookies_without_values(self):
        html = self.get()

        assert "<code>Content-Security-Policy</code>" in html
        assert "<code>csrftoken</code>" in html
        assert "SameSite" in html
        assert not re.search(r"csrftoken=[A-Za-z0-9]", html)

    def test_mentions_a_report_only_policy(self):
        from django_six_demos import compat

        policy = compat.configured_policies()["enforce"]
        with override_settings(**compat.csp_settings(policy, report_only=policy)):
            html = self.get()

        assert "Content-Security-Policy-Report-Only</code> header: it" in html

    def test_a_page_that_does_not_answer_2xx_is_not_graded(self):
        with mock.patch.object(score, "internal_get", return_value=HttpResponse(status=503)):
            html = self.get()

        assert "answered 503: the Observatory grades only a 2xx" in html
        assert "score-value" not in html
        assert "carried no enforced <code>Content-Security-Policy</code>" in html

    def test_the_database_connection_survives_the_internal_requests(self):
        self.get()

        # Closing the inner response would have closed this test's connection.
        assert Talk.objects.count() == 0

    def test_links_back(self):
        html = self.get()

        assert f'href="{reverse("django_six_demos_csp:index")}"' in html
        assert f'href="{HOME}"' in html
