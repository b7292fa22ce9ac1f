"""The example project's production headers, graded offline by ``observatory`` on every Django line.

A subprocess fetches pages under ``example.settings.production`` over simulated HTTPS (the test
client's ``secure=True``, or ``X-Forwarded-Proto`` behind a proxy): Observatory score 135 or more
(A+, no negative modifier), no HIGH, MEDIUM or MEDIUM_MAYBE Evaluator finding.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.csp import observatory
from tests.test_example_project import manage, production_env

HOST = "demos.example.com"
# The front door first: the Observatory scans it.
PAGES = ("/", "/partials/", "/csp/", "/csp/headers/", "/csp/migrate/")

FETCH = textwrap.dedent(
    """
    import json, os
    from django.test import Client

    HOST = {host!r}
    behind_proxy = os.environ.get("DJANGO_BEHIND_PROXY") == "1"

    def get(client, url):
        https = url.startswith("https://")
        path = url.split(HOST, 1)[1] or "/"
        if behind_proxy:
            # The proxy talks HTTP to Django and says what the visitor used.
            proto = "https" if https else "http"
            return client.get(path, headers={{"X-Forwarded-Proto": proto}})
        return client.get(path, secure=https)

    for path in {pages!r}:
        # A first-time visitor per page, as the Observatory is.
        client = Client(HTTP_HOST=HOST)
        url = f"http://{{HOST}}{{path}}"
        route, cookies = [url], []
        for _ in range(5):
            response = get(client, url)
            cookies += [m.OutputString() for m in response.cookies.values()]
            if response.status_code not in (301, 302, 307, 308):
                break
            url = response["Location"]
            route.append(url)
        final = get(client, f"https://{{HOST}}{{path}}")
        cookies += [m.OutputString() for m in final.cookies.values()]
        print(json.dumps({{
            "path": path,
            "status": final.status_code,
            "headers": list(final.items()),
            "cookies": cookies,
            "route": route,
        }}))
    """
).format(host=HOST, pages=PAGES)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database and collected static files, as a deployment has."""
    path = tmp_path_factory.mktemp("production")
    env = production_env(path, DJANGO_ALLOWED_HOSTS=HOST, EXAMPLE_STATIC_ROOT=str(path / "static"))
    manage(["migrate", "--no-input", "-v", "0"], env, cwd=path)
    manage(["collectstatic", "--no-input", "-v", "0"], env, cwd=path)
    return path


def fetch(data_dir: Path, **env_overrides: str) -> list[dict[str, Any]]:
    env = production_env(
        data_dir,
        DJANGO_ALLOWED_HOSTS=HOST,
        EXAMPLE_STATIC_ROOT=str(data_dir / "static"),
        **env_overrides,
    )
    result = manage(["shell", "-v", "0", "-c", FETCH], env, cwd=data_dir)
    pages = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [page["path"] for page in pages] == list(PAGES), result.stdout + result.stderr
    return pages


def site(page: dict[str, Any]) -> observatory.Site:
    return observatory.Site(
        headers=[tuple(header) for header in page["headers"]],
        set_cookies=page["cookies"],
        http_route=page["route"],
    )


@pytest.fixture(scope="module", params=["tls-in-django", "behind-proxy"])
def pages(request: pytest.FixtureRequest, data_dir: Path) -> list[dict[str, Any]]:
    if request.param == "behind-proxy":
        return fetch(data_dir, DJANGO_BEHIND_PROXY="1")
    return fetch(data_dir)


@pytest.mark.slow
def test_every_page_answers_200_over_https(pages):
    assert [(page["path"], page["status"]) for page in pages] == [(path, 200) for path in PAGES]


@pytest.mark.slow
def test_http_redirects_to_https_on_the_same_host(pages):
    for page in pages:
        assert page["route"] == [f"http://{HOST}{page['path']}", f"https://{HOST}{page['path']}"]


@pytest.mark.slow
def test_observatory_scores_at_least_135_with_no_negative_modifier(pages):
    for page in pages:
        grade = observatory.observatory_grade(site(page))
        modifiers = {test.test: test.modifier for test in grade.tests}

        assert grade.score >= 135, (page["path"], modifiers)
        assert grade.grade == "A+"
        assert min(modifiers.values()) == 0, (page["path"], modifiers)
        assert all(test.passed for test in grade.tests), page["path"]


@pytest.mark.slow
def test_observatory_results_of_the_front_door(pages):
    [front] = [page for page in pages if page["path"] == "/"]
    grade = observatory.observatory_grade(site(front))

    assert {test.test: test.result for test in grade.tests} == {
        "content-security-policy": "csp-implemented-with-no-unsafe-default-src-none",
        "cookies": "cookies-secure-with-httponly-sessions-and-samesite",
        "cross-origin-opener-policy": "coop-implemented-with-same-origin",
        "cross-origin-resource-policy": "corp-not-implemented",
        "redirection": "redirection-to-https",
        "referrer-policy": "referrer-policy-private",
        "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
        "x-content-type-options": "x-content-type-options-nosniff",
        "x-frame-options": "x-frame-options-implemented-via-csp",
    }
    # 100 + 10 (CSP) + 5 (cookies) + 10 (COOP) + 5 (referrer) + 5 (frame-ancestors).
    assert grade.score == 135


@pytest.mark.slow
def test_csp_evaluator_finds_nothing_serious(pages):
    serious = (
        observatory.Severity.HIGH,
        observatory.Severity.MEDIUM,
        observatory.Severity.MEDIUM_MAYBE,
    )
    for page in pages:
        [policy] = site(page).header_values("Content-Security-Policy")
        findings = observatory.evaluate_policy(policy)

        assert [f for f in findings if f.severity in serious] == [], page["path"]
        # Only the CSP2 fallback hints a CSP3 policy leaves out on purpose.
        assert {f.check for f in findings if f.severity == observatory.Severity.STRICT_CSP} == {
            "unsafe-inline-fallback",
            "allowlist-fallback",
        }


@pytest.mark.slow
def test_the_policy_is_the_strict_one_with_its_nonce(pages):
    for page in pages:
        [policy] = site(page).header_values("Content-Security-Policy")
        parsed = observatory.parse_policy(policy)

        assert parsed["default-src"] == ["'none'"]
        assert parsed["object-src"] == parsed["base-uri"] == parsed["frame-ancestors"] == ["'none'"]
        [nonce, strict_dynamic] = parsed["script-src"]
        assert observatory.is_nonce(nonce) and strict_dynamic == "'strict-dynamic'"
