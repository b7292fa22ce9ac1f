"""Chapter 4's settings: what dj-lite's ``sqlite_config()`` puts in DATABASES, and what runs.

The same for the project's recommendation, ``sqlite_database()``: dj-lite's entry with the
longer busy timeout and persistent connections.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionHandler
from django.test import SimpleTestCase

from django_six_demos.sqlite import database
from tests.tutorial.sqlite import recommended, settings


@contextmanager
def connected(config: dict[str, Any]) -> Iterator[BaseDatabaseWrapper]:
    """A connection made from ``config``, on a new file in a temporary directory."""
    with tempfile.TemporaryDirectory() as directory:
        # A handler of its own: this is never the suite's database.
        handler = ConnectionHandler(
            {DEFAULT_DB_ALIAS: {**config, "NAME": Path(directory) / "t.db"}}
        )
        wrapper = handler[DEFAULT_DB_ALIAS]
        try:
            yield wrapper
        finally:
            wrapper.close()


def transaction_mode(wrapper: BaseDatabaseWrapper) -> str | None:
    """How Django's SQLite backend begins transactions (None: SQLite's DEFERRED)."""
    # Set when it connects (Django 5.1+); django-stubs does not declare it.
    mode: str | None = wrapper.transaction_mode  # type: ignore[attr-defined]
    return mode


def pragma(wrapper: BaseDatabaseWrapper, name: str) -> Any:
    with wrapper.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


class ConnectingTestCase(SimpleTestCase):
    # SimpleTestCase refuses any "default" connection, ours included; the
    # suite's own database is never opened here.
    databases = {DEFAULT_DB_ALIAS}


class SqliteConfigTests(ConnectingTestCase):
    config = settings.DATABASES["default"]

    def test_the_entry_is_djangos_sqlite_backend_on_a_file_beside_the_settings(self):
        assert self.config["ENGINE"] == "django.db.backends.sqlite3"
        assert self.config["NAME"] == settings.BASE_DIR / "db.sqlite3"

    def test_the_options_ask_for_immediate_transactions_and_a_5_second_timeout(self):
        options = self.config["OPTIONS"]

        assert options["transaction_mode"] == "IMMEDIATE"
        assert options["timeout"] == 5
        # Django runs init_command on each new connection.
        assert options["init_command"].splitlines() == [
            "PRAGMA journal_mode=WAL;",
            "PRAGMA synchronous=NORMAL;",
            "PRAGMA temp_store=MEMORY;",
            "PRAGMA mmap_size=134217728;",
            "PRAGMA journal_size_limit=27103364;",
            "PRAGMA cache_size=2000;",
        ]

    def test_a_connection_runs_with_wal_immediate_and_the_busy_timeout(self):
        with connected(self.config) as wrapper:
            assert pragma(wrapper, "journal_mode") == "wal"
            assert pragma(wrapper, "synchronous") == 1  # NORMAL
            assert pragma(wrapper, "busy_timeout") == 5000
            assert transaction_mode(wrapper) == "IMMEDIATE"

    def test_djangos_defaults_run_with_a_rollback_journal_and_deferred_transactions(self):
        bare = {"ENGINE": self.config["ENGINE"]}

        with connected(bare) as wrapper:
            assert pragma(wrapper, "journal_mode") == "delete"
            assert transaction_mode(wrapper) is None  # DEFERRED


class RecommendationTests(ConnectingTestCase):
    config = recommended.DATABASES["default"]

    def test_it_is_dj_lites_entry_with_a_longer_timeout_and_kept_connections(self):
        dj_lite = settings.DATABASES["default"]

        assert self.config["OPTIONS"] == {**dj_lite["OPTIONS"], "timeout": database.TIMEOUT}
        assert self.config["CONN_MAX_AGE"] == database.CONN_MAX_AGE
        assert {**self.config, "OPTIONS": None, "CONN_MAX_AGE": None} == {
            **dj_lite,
            "OPTIONS": None,
            "CONN_MAX_AGE": None,
        }

    def test_a_connection_waits_for_the_lock_as_long_as_the_timeout_says(self):
        with connected(self.config) as wrapper:
            assert pragma(wrapper, "journal_mode") == "wal"
            assert pragma(wrapper, "busy_timeout") == database.TIMEOUT * 1000
            assert transaction_mode(wrapper) == "IMMEDIATE"
