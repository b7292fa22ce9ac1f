"""Helpers for the sqlite room's tests: a real SQLite file behind Django's ``default``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionHandler


@contextmanager
def default_database(config: dict[str, Any]) -> Iterator[BaseDatabaseWrapper]:
    """Serve this thread's ``default`` connection from ``config`` for a while.

    The test database is in memory (no WAL there); views read
    ``connections["default"]``, so swapping in a wrapper built from a file
    database's settings shows them what a deployed site would. The wrapper
    comes from its own ConnectionHandler, which fills in Django's defaults.
    It is SQLite whatever the suite's database is (PostgreSQL with
    DATABASE_URL). Use it in a TestCase when something queries it
    (SimpleTestCase refuses the "default" alias); demos_backup only reads
    its settings and the file.
    """
    wrapper = ConnectionHandler({DEFAULT_DB_ALIAS: config})[DEFAULT_DB_ALIAS]
    original = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = wrapper
    try:
        yield wrapper
    finally:
        connections[DEFAULT_DB_ALIAS] = original
        wrapper.close()
