"""Every page of the site, found by following links from the home page, runs clean and
reads well: at a phone's and a desktop's width, in light and dark, under the strict CSP."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from django_six_demos import conf
from tests.browser.audit import audit
from tests.browser.test_home import stylesheets

# Pages that break the policy on purpose (each has its own browser test that
# asserts exactly the violations it provokes): audited for everything else.
EXPECTED_TO_VIOLATE = (
    "/csp/htmx/broken/",
    "/csp/twins/",
    "/csp/sandbox/",
    "/csp/per-view/",
)
NOT_CRAWLED = ("/admin/", "/static/")
# Pages of a demo that do not extend the site's base template, so carry other stylesheets
# than the demo's own: Swagger UI's page (swagger-ui.css and the room's swagger.css).
STANDALONE = ("/api/ninja/docs",)
MAX_PAGES = 80
# A phone held upright and a desktop window, as (width, height).
WIDTHS = {"phone": (390, 844), "desktop": (1400, 900)}
# The palette changes with the colour scheme, not the width: the dark scheme's
# colours are checked at the phone's width, where every element is shown.
DARK_AT = "phone"
# The example project mounts the demos at the root: {"partials/": "partials", ...}.
DEMO_PREFIXES = {config.url_prefix: name for name, config in conf.DEMO_CONFIGS.items()}


def crawlable(path: str) -> bool:
    return not path.startswith(NOT_CRAWLED)


def is_html(response: Any) -> bool:
    return str(response.headers.get("content-type", "")).startswith("text/html")


def kind(path: str) -> str:
    """One page per kind: /crud/demos-talk/7/ and /crud/demos-talk/9/ are alike."""
    return re.sub(r"/\d+/", "/<id>/", path)


def viewport(width: str) -> dict[str, int]:
    return dict(zip(("width", "height"), WIDTHS[width], strict=True))


def check(page: Any, watch: Any, path: str, status: int | None, *, dark: bool) -> list[str]:
    """What is wrong with the page the crawl has just loaded."""
    problems = [] if status == 200 else [f"answered {status}, not 200"]
    # A demo's page (not a sign-in page it redirected to) has the demo's own styles, loaded.
    demo = DEMO_PREFIXES.get(urlsplit(page.url).path.split("/")[1] + "/")
    own_styles = f"/static/django_six_demos/{demo}/{demo}.css"
    if demo and not path.startswith(STANDALONE) and (own_styles, True) not in stylesheets(page):
        problems.append(f"the {demo} demo's stylesheet is missing or empty")
    problems += audit(page, dark=dark)
    # The audit took long enough for report-uri POSTs to arrive: no extra wait.
    reported = watch.take(page, wait=path.startswith(EXPECTED_TO_VIOLATE))
    if not path.startswith(EXPECTED_TO_VIOLATE):
        problems += reported
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_reached_from_home_reads_well_and_runs_clean(
    strict_page, watch, live_server, seeded, width
):
    strict_page.set_viewport_size(viewport(width))
    to_visit = ["/"]
    seen: set[str] = set()
    audited: set[str] = set()
    failures: dict[str, list[str]] = {}
    while to_visit and len(seen) < MAX_PAGES:
        path = to_visit.pop(0)
        if kind(path) in seen:
            continue
        seen.add(kind(path))
        response = strict_page.goto(live_server.url + path)
        # The API room's endpoints answer JSON: no page to audit, no links to follow.
        if response is not None and not is_html(response):
            continue
        # A page that redirects (to sign in) is checked where it lands, once.
        landed = kind(urlsplit(strict_page.url).path)
        if landed not in audited:
            audited.add(landed)
            status = response and response.status
            if problems := check(strict_page, watch, path, status, dark=width == DARK_AT):
                failures[path if landed == kind(path) else f"{path} -> {landed}"] = problems
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
    report = "\n".join(
        f"{path} ({width}, {WIDTHS[width][0]} px):\n" + "\n".join(f"  - {p}" for p in problems)
        for path, problems in failures.items()
    )
    assert not failures, f"{len(failures)} of {len(audited)} pages fail:\n{report}"


# Each planted page (tests/browser/urls.py) has one mistake, and the audit
# reports exactly that: its lines start with these.
PLANTED = [
    ("clean", "phone", []),
    ("clean", "desktop", []),
    ("wide-table", "phone", ["scrolls sideways: "]),
    ("unlabelled-input", "desktop", ["axe: label: critical: input"]),
    (
        "low-contrast",
        "desktop",
        [
            "axe: color-contrast: serious: .faint",
            "axe (dark scheme): color-contrast: serious: .faint",
        ],
    ),
    ("dark-low-contrast", "desktop", ["axe (dark scheme): color-contrast: serious: .dark-faint"]),
    ("over-the-panel", "desktop", ["over the panel: div.layout > main > div.over-the-panel"]),
]


@pytest.mark.parametrize(("slug", "width", "expected"), PLANTED)
def test_the_audit_finds_each_kind_of_mistake(strict_page, live_server, slug, width, expected):
    strict_page.set_viewport_size(viewport(width))
    strict_page.goto(f"{live_server.url}/__test__/audit/{slug}/")

    problems = audit(strict_page)

    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), problems
