"""Real-browser tests: Playwright driving Debian's Chromium against a live server.

Every test gets a page watched for Content Security Policy violations (the
``securitypolicyviolation`` event, the report-only twin's reports and the
console) and for console errors; any of them fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from scripts.screenshots import CHROMIUM, CHROMIUM_ARGS
from tests.browser.collector import REPORTS

# Recorded by the page itself, before any of its own scripts run. Playwright
# injects init scripts through the DevTools protocol, outside the page's CSP.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.disposition} ${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
  );
});
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(django_db_setup: None, live_server: Any) -> Any:
    """pytest-django's live server, started only once the test database exists.

    The server shares the in-memory test database with the tests only if that
    database is set up before the server starts; otherwise every request
    thread opens (and leaks) a connection of its own.
    """
    return live_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).is_file():
        message = f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@dataclass
class Watch:
    """What went wrong in the page, gathered from every source we have."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def expect_status(self, status: int) -> None:
        """Accept Chromium's console line for a response the test provokes on purpose."""
        self.expected_statuses.add(status)

    def _expected(self, message: str) -> bool:
        return any(
            f"the server responded with a status of {status} " in message
            for status in self.expected_statuses
        )

    def problems(self, page: Any, *, wait: bool = True) -> list[str]:
        # Give report-uri POSTs (sent asynchronously) a moment to arrive.
        if wait:
            page.wait_for_timeout(300)
        events = page.evaluate("window.__cspViolations || []")
        reports = [
            f"report {report.get('violated-directive')} on {report.get('document-uri')}"
            for body in REPORTS
            if isinstance(report := body.get("csp-report"), dict)
        ]
        return [
            *(f"violation: {v}" for v in events),
            *reports,
            *(f"console error: {m}" for m in self.console_errors if not self._expected(m)),
            *(f"page error: {e}" for e in self.page_errors),
        ]

    def take(self, page: Any, *, wait: bool = True) -> list[str]:
        """The problems so far, forgotten once taken: a crawl tells them page by page."""
        problems = self.problems(page, wait=wait)
        page.evaluate("window.__cspViolations = []")
        REPORTS.clear()
        self.console_errors.clear()
        self.page_errors.clear()
        return problems


@pytest.fixture
def watch(page: Any) -> Watch:
    REPORTS.clear()
    watch = Watch()
    page.add_init_script(WATCH_VIOLATIONS)
    page.on(
        "console",
        lambda m: (
            watch.console_errors.append(f"{m.text} ({m.location.get('url')})")
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda e: watch.page_errors.append(str(e)))
    return watch


@pytest.fixture
def strict_page(page: Any, watch: Watch, live_server: Any) -> Iterator[Any]:
    """A page on the live server that fails the test on any CSP violation or console error."""
    page.set_default_timeout(10_000)
    yield page
    problems = watch.problems(page)
    # Stop the page's polling (htmx every ...) before the live server stops:
    # a request still running then would close a connection it no longer shares.
    page.goto("about:blank")
    assert problems == [], "\n".join(problems)


@pytest.fixture
def seeded(transactional_db: None) -> None:
    """The seeded conference, in a database the live server shares."""
    call_command("demos_seed", verbosity=0)
