from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

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
            problems.append(
                f"{name} at {address[0]}:{address[1]} ({variable}) is unreachable: {error}"
            )
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


def _close_old_connections_outside_atomic_blocks(**kwargs: Any) -> None:
    """``close_old_connections``, leaving alone a connection inside an atomic block."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


@pytest.fixture(autouse=True, scope="session")
def _in_process_workers_keep_the_test_transaction() -> Iterator[None]:
    """Let ``db_worker`` run inside a TestCase on every database.

    The worker calls ``close_old_connections()`` around each task, which drops
    a connection left in a transaction, as a TestCase's is. On the in-memory
    SQLite test database closing does nothing, so the tests passed there; on
    PostgreSQL it would close the test's connection and roll its data back.
    As Django's test client does for requests, the tests keep the worker off
    their transaction; a real worker is never inside one, so this changes
    nothing else (TransactionTestCase connections are still closed).
    """
    from django_tasks_db.management.commands import db_worker

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            db_worker, "close_old_connections", _close_old_connections_outside_atomic_blocks
        )
        yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no request counted, on a stopped rate-limit clock.

    django-ratelimit's windows are fixed (each minute, each hour): a test
    counting up to a limit would start again from zero if a window ended
    halfway through.
    """
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    now = time.time()
    monkeypatch.setattr("django_ratelimit.core.time", SimpleNamespace(time=lambda: now))


def _close_this_threads_connections() -> None:
    # Django's SQLite backend never closes an in-memory database's connection (that would
    # drop the database), so the raw connection is closed here, at the very end.
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            connection.connection.close()
            connection.connection = None


@pytest.fixture(autouse=True, scope="session")
def _close_asgirefs_shared_thread_connections() -> Iterator[None]:
    """Close the connections of asgiref's shared thread once every test has run.

    An async generator driven from sync code (the streaming room under WSGI) runs its ORM
    calls in that thread, which lives as long as the process; unclosed, its connection to
    the in-memory test database would be collected at exit with a ResourceWarning.
    """
    yield
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(sync_to_async(_close_this_threads_connections)())
