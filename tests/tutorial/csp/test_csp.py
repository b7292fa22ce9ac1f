"""The CSP chapter's plain-Django code: SECURE_CSP, the nonce, and the two decorators."""

from __future__ import annotations

import copy
from typing import Any, cast

import pytest
from django.core.checks import run_checks
from django.test import SimpleTestCase, override_settings

from django_six_demos import compat
from tests.csp_utils import header_nonces, page_nonces, parse_csp

ENFORCED = "Content-Security-Policy"
REPORT_ONLY = "Content-Security-Policy-Report-Only"


def chapter_settings() -> dict[str, Any]:
    # Imported here: django.utils.csp does not exist on Django 5.2.
    from tests.tutorial.csp import settings as chapter

    return {
        "ROOT_URLCONF": "tests.tutorial.csp.urls",
        "MIDDLEWARE": chapter.MIDDLEWARE,
        "SECURE_CSP": chapter.SECURE_CSP,
        "SECURE_CSP_REPORT_ONLY": {},  # Django's default: the chapter sets none.
        "TEMPLATES": chapter.TEMPLATES,
    }


@pytest.mark.skipif(
    not compat.HAS_BUILTIN_CSP,
    reason="django.utils.csp arrived in Django 6.0; the chapter's 5.2 section shows django-csp",
)
class PlainCspTests(SimpleTestCase):
    def setUp(self):
        overrides = override_settings(**chapter_settings())
        overrides.enable()
        self.addCleanup(overrides.disable)

    def test_the_site_policy_is_enforced_with_the_nonce_the_page_prints(self):
        response = self.client.get("/schedule/")

        assert response.status_code == 200
        policy = parse_csp(response.headers[ENFORCED])
        assert policy["default-src"] == ["'self'"]
        [nonce] = header_nonces(response)
        assert page_nonces(response.content.decode()) == {nonce}
        assert REPORT_ONLY not in response.headers

    def test_every_response_gets_a_new_nonce(self):
        first, second = self.client.get("/schedule/"), self.client.get("/schedule/")

        assert header_nonces(first) != header_nonces(second)

    def test_the_site_policy_refuses_data_images(self):
        policy = parse_csp(self.client.get("/schedule/").headers[ENFORCED])

        assert "img-src" not in policy  # default-src 'self' applies
        assert "data:" not in policy["default-src"]

    def test_csp_override_replaces_the_policy_for_one_view(self):
        response = self.client.get("/schedule/data-images/")

        policy = parse_csp(response.headers[ENFORCED])
        assert policy["img-src"] == ["'self'", "data:"]
        [nonce] = header_nonces(response)
        assert page_nonces(response.content.decode()) == {nonce}

    def test_csp_report_only_override_reports_the_policy_without_enforcing_it(self):
        response = self.client.get("/schedule/report-only/")

        assert ENFORCED not in response.headers
        policy = parse_csp(response.headers[REPORT_ONLY])
        assert policy["default-src"] == ["'self'"]
        [nonce] = header_nonces(response, REPORT_ONLY)
        assert page_nonces(response.content.decode()) == {nonce}

    def test_djangos_own_checks_accept_the_settings(self):
        # On 6.1, security.W027 would flag a nonce that templates cannot print.
        security = [m.id for m in run_checks() if (m.id or "").startswith("security.")]

        assert security == []

    def test_without_the_context_processor_no_nonce_reaches_the_page_or_the_header(self):
        from tests.tutorial.csp import settings as chapter

        bare = copy.deepcopy(chapter.TEMPLATES)
        options = cast("dict[str, list[str]]", bare[0]["OPTIONS"])
        options["context_processors"].remove("django.template.context_processors.csp")

        with override_settings(TEMPLATES=bare):
            response = self.client.get("/schedule/")
            warnings = [m.id for m in run_checks() if (m.id or "").startswith("security.")]

        assert 'nonce=""' in response.content.decode()
        assert header_nonces(response) == []
        assert warnings == (["security.W027"] if compat.HAS_CSP_NONCE_CHECK else [])
