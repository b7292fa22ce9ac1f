from __future__ import annotations

import importlib.util
import os
import socket
from urllib.parse import urlsplit

import pytest

# The browser tests need Playwright, which only the `browser` tox env installs;
# elsewhere they are not even collected (they are deselected there anyway).
collect_ignore_glob = [] if importlib.util.find_spec("playwright") else ["browser/*"]

# Servers an env may point the suite at: (environment variable, what it is, default port).
SERVICES = (
    ("DATABASE_URL", "PostgreSQL", 5432),
    ("REDIS_URL", "Redis", 6379),
)


def unreachable_services() -> list[str]:
    """Describe each configured server that refuses a TCP connection."""
    problems = []
    for variable, name, default_port in SERVICES:
        url = os.environ.get(variable, "")
        parts = urlsplit(url)
        if not parts.hostname:  # unset, or a local file (sqlite:///...)
            continue
        address = (parts.hostname, parts.port or default_port)
        try:
            socket.create_connection(address, timeout=2).close()
        except OSError as error:
            problems.append(f"{name} at {address[0]}:{address[1]} ({variable}) is unreachable: {error}")
    return problems


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    problems = unreachable_services()
    if not problems:
        return
    reason = "; ".join(problems) + ". Start the server or unset the variable."
    if os.environ.get("CI"):
        # CI must run against the real server: a skipped env would look green.
        raise pytest.UsageError(reason)
    for item in items:
        item.add_marker(pytest.mark.skip(reason=reason))
