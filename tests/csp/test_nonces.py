"""The nonce guarantees, on every Django line: django-csp on 5.2, core on 6.x.

- every response gets its own nonce (1,000 requests, 1,000 nonces), and the
  header's nonce is the one every ``nonce=`` attribute of the page carries;
- a response that never prints the nonce carries the policy without one;
- the header the running stack sends parses to the directives the other
  stack's settings hold, as ``csp_settings_for()`` writes them.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse

from django_six_demos import compat
from django_six_demos.csp import migration
from django_six_demos.csp_header import parse
from tests.csp_utils import header_nonces, page_nonces

PAGE = reverse("django_six_demos_csp:index")
REQUESTS = 1_000
NONCE_SOURCE = re.compile(r"^'nonce-[^']+'$")
ANY_NONCE = "'nonce-*'"

if compat.HAS_BUILTIN_CSP:
    # secrets.token_urlsafe(16): URL-safe base64 of 16 bytes, unpadded.
    NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22}$")
else:
    # django-csp: standard base64 of 16 bytes, padded.
    NONCE_PATTERN = re.compile(r"^[A-Za-z0-9+/]{22}==$")


def normalised(policy: dict[str, list[str]]) -> dict[str, set[str]]:
    """{directive: {sources}}, every nonce source replaced by one placeholder."""
    return {
        name: {ANY_NONCE if NONCE_SOURCE.match(s) else s for s in sources}
        for name, sources in policy.items()
    }


def settings_directives(settings: dict[str, Any], *, core: bool) -> dict[str, set[str]]:
    """The enforced directives of csp_settings_for() output, as a header would carry them."""
    directives = (
        settings["SECURE_CSP"] if core else settings["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    )
    return {
        name: set()
        if sources is True
        else {s if isinstance(s, str) else ANY_NONCE for s in sources}
        for name, sources in directives.items()
    }


class NonceTests(TestCase):
    def test_a_thousand_requests_get_a_thousand_nonces_each_matching_the_page(self):
        seen = set()
        # The frame's source panel is the same on every request and is not
        # what is tested: leave it out to keep 1,000 requests quick.
        with override_settings(DJANGO_SIX_DEMOS_FRAME=False):
            for _ in range(REQUESTS):
                response = self.client.get(PAGE)
                assert response.status_code == 200
                [nonce] = header_nonces(response)
                # htmx's script and frame.js, at least, carry it.
                assert page_nonces(response.text) == {nonce}
                assert response.text.count(f'nonce="{nonce}"') >= 2
                seen.add(nonce)

        assert len(seen) == REQUESTS

    def test_nonce_length_and_alphabet_of_the_running_stack(self):
        [nonce] = header_nonces(self.client.get(PAGE))

        assert NONCE_PATTERN.match(nonce), nonce
        assert len(nonce) == (22 if compat.HAS_BUILTIN_CSP else 24)

    def test_the_frame_shows_the_same_nonce_it_checks(self):
        response = self.client.get(PAGE)
        [nonce] = header_nonces(response)

        assert page_nonces(response.text) == {nonce}
        assert "Matches:" in response.text

    def test_a_405_carries_the_policy_without_a_nonce(self):
        response = self.client.post(PAGE)

        assert response.status_code == 405
        policy = parse(response.headers["Content-Security-Policy"])
        assert policy["script-src"] == ["'strict-dynamic'"]
        assert header_nonces(response) == []

    def test_an_htmx_partial_that_prints_no_nonce_carries_none(self):
        call_command("demos_seed", verbosity=0)
        response = self.client.get(
            reverse("django_six_demos_partials:index"), headers={"HX-Request": "true"}
        )

        assert response.status_code == 200
        assert "<html" not in response.text
        assert page_nonces(response.text) == set()
        assert header_nonces(response) == []
        assert "'strict-dynamic'" in response.headers["Content-Security-Policy"]

    def test_the_full_page_of_the_same_view_carries_one(self):
        response = self.client.get(reverse("django_six_demos_partials:index"))

        [nonce] = header_nonces(response)
        assert page_nonces(response.text) == {nonce}

    def test_nonces_never_repeat_across_pages_and_partials(self):
        pages = [PAGE, reverse("django_six_demos_index"), reverse("django_six_demos_csp:migrate")]
        nonces = [n for path in pages * 5 for n in header_nonces(self.client.get(path))]

        assert len(nonces) == len(pages) * 5
        assert len(set(nonces)) == len(nonces)


class SameDirectivesOnBothStacksTests(TestCase):
    """The header sent here and the other stack's settings describe one policy."""

    def sent(self, path: str = PAGE) -> dict[str, set[str]]:
        return normalised(parse(self.client.get(path).headers["Content-Security-Policy"]))

    def test_the_header_parses_to_the_directives_of_the_other_stacks_settings(self):
        policy = compat.configured_policies()["enforce"]
        other = not compat.HAS_BUILTIN_CSP

        assert self.sent() == settings_directives(
            migration.csp_settings_for(policy, core=other), core=other
        )

    def test_and_to_the_directives_of_this_stacks_settings(self):
        policy = compat.configured_policies()["enforce"]
        here = compat.HAS_BUILTIN_CSP

        assert self.sent() == settings_directives(
            migration.csp_settings_for(policy, core=here), core=here
        )

    def test_both_stacks_settings_hold_the_same_directives(self):
        policy = compat.configured_policies()["enforce"]

        assert settings_directives(
            migration.csp_settings_for(policy, core=True), core=True
        ) == settings_directives(migration.csp_settings_for(policy, core=False), core=False)

    def test_the_policy_has_its_nonce_in_script_src(self):
        assert self.sent()["script-src"] == {ANY_NONCE, "'strict-dynamic'"}

    def test_a_report_only_twin_parses_the_same_on_both_stacks(self):
        policy = compat.configured_policies()["enforce"]
        with override_settings(**compat.csp_settings(policy, report_only=policy)):
            response = self.client.get(PAGE)

        enforced = parse(response.headers["Content-Security-Policy"])
        reported = parse(response.headers["Content-Security-Policy-Report-Only"])
        assert normalised(enforced) == normalised(reported)
        # One nonce per response, whichever header carries it.
        assert header_nonces(response) == header_nonces(
            response, "Content-Security-Policy-Report-Only"
        )
