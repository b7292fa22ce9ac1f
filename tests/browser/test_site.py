"""Every page of the site, found by following links from the home page, runs clean."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command

from django_six_demos import conf
from tests.browser.test_home import stylesheets

# Pages that break the policy on purpose (each has its own browser test that
# asserts exactly the violations it provokes), and pages that change state.
EXPECTED_TO_VIOLATE = (
    "/csp/htmx/broken/",
    "/csp/twins/",
    "/csp/sandbox/",
    "/csp/per-view/",
)
NOT_CRAWLED = ("/admin/", "/accounts/", "/static/")
MAX_PAGES = 80
# The example project mounts the demos at the root: {"partials/": "partials", ...}.
DEMO_PREFIXES = {config.url_prefix: name for name, config in conf.DEMO_CONFIGS.items()}


@pytest.fixture
def seeded(transactional_db):
    call_command("demos_seed", verbosity=0)


def crawlable(path: str) -> bool:
    return not path.startswith(EXPECTED_TO_VIOLATE + NOT_CRAWLED)


def kind(path: str) -> str:
    """One page per kind: /crud/demos-talk/7/ and /crud/demos-talk/9/ are alike."""
    return re.sub(r"/\d+/", "/<id>/", path)


def test_every_page_reached_from_home_has_no_violation(strict_page, live_server, seeded):
    to_visit = ["/"]
    seen: set[str] = set()
    while to_visit and len(seen) < MAX_PAGES:
        path = to_visit.pop(0)
        if kind(path) in seen:
            continue
        seen.add(kind(path))
        response = strict_page.goto(live_server.url + path)
        assert response is not None
        assert response.status == 200, path
        # A demo's page (not a sign-in page it redirected to) has the demo's own styles, loaded.
        demo = DEMO_PREFIXES.get(urlsplit(strict_page.url).path.split("/")[1] + "/")
        if demo:
            assert (f"/static/django_six_demos/{demo}/{demo}.css", True) in stylesheets(
                strict_page
            ), path
        for href in strict_page.locator("a[href]").evaluate_all(
            "links => links.map(link => link.getAttribute('href'))"
        ):
            url = urlsplit(urljoin(live_server.url + path, href))
            if url.netloc != urlsplit(live_server.url).netloc or url.query:
                continue
            if crawlable(url.path) and kind(url.path) not in seen:
                to_visit.append(url.path)
    assert len(seen) < MAX_PAGES, "the crawl stopped early: raise MAX_PAGES"
    # The home page, every demo and their pages.
    assert len(seen) >= 18, sorted(seen)
    for prefix in DEMO_PREFIXES:
        assert f"/{prefix}" in seen
