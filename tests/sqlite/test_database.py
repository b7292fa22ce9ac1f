from __future__ import annotations

import tempfile
from pathlib import Path
from typing import cast

import pytest
from dj_lite import sqlite_config
from django.db import connection
from django.test import SimpleTestCase, TestCase

from django_six_demos.sqlite import database
from django_six_demos.sqlite.database import (
    SETTINGS,
    configured_values,
    database_file,
    init_pragmas,
    live_settings,
    live_values,
    recommended_values,
    sqlite_database,
)
from tests.databases import sqlite_only
from tests.sqlite.utils import default_database

RECOMMENDED = {
    "journal_mode": "WAL",
    "synchronous": "NORMAL",
    "transaction_mode": "IMMEDIATE",
    "busy_timeout": "20000",
    "temp_store": "MEMORY",
    "mmap_size": "134217728",
    "journal_size_limit": "27103364",
    "cache_size": "2000",
    "CONN_MAX_AGE": "600",
}


class SqliteDatabaseTests(SimpleTestCase):
    def test_keeps_dj_lites_settings_but_timeout_and_conn_max_age(self):
        base = Path("/srv/site")
        ours = sqlite_database(base)
        theirs = sqlite_config(base)

        assert ours["ENGINE"] == theirs["ENGINE"] == "django.db.backends.sqlite3"
        assert ours["NAME"] == base / "db.sqlite3"
        assert ours["OPTIONS"]["init_command"] == theirs["OPTIONS"]["init_command"]
        assert ours["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert (theirs["OPTIONS"]["timeout"], ours["OPTIONS"]["timeout"]) == (5, 20)
        assert "CONN_MAX_AGE" not in theirs
        assert ours["CONN_MAX_AGE"] == 600

    def test_returns_a_plain_dict(self):
        config = sqlite_database(Path("/srv/site"))

        assert type(config) is dict
        assert set(config) == {"ENGINE", "NAME", "OPTIONS", "CONN_MAX_AGE"}

    def test_overrides_go_to_dj_lite(self):
        config = sqlite_database(
            Path("/srv/site"),
            file_name="tasks.sqlite3",
            timeout=30,
            pragmas={"synchronous": "FULL"},
        )

        assert config["NAME"] == Path("/srv/site/tasks.sqlite3")
        assert config["OPTIONS"]["timeout"] == 30
        pragmas = init_pragmas(config["OPTIONS"]["init_command"])
        assert pragmas["synchronous"] == "FULL"
        assert pragmas["journal_mode"] == "WAL"

    def test_conn_max_age_can_be_changed(self):
        assert sqlite_database(Path("/srv"), conn_max_age=0)["CONN_MAX_AGE"] == 0
        assert sqlite_database(Path("/srv"), conn_max_age=None)["CONN_MAX_AGE"] is None

    def test_a_string_directory_is_refused_with_advice(self):
        with pytest.raises(TypeError, match=r"needs a pathlib.Path, not str: .*Path\('/srv'\)"):
            # A caller without a type checker: a str where a Path is declared.
            sqlite_database(cast(Path, "/srv"))


class InitPragmasTests(SimpleTestCase):
    def test_reads_each_pragma_as_django_splits_the_init_command(self):
        command = "PRAGMA journal_mode=WAL;\nPRAGMA  cache_size = -4000 ;\nSELECT 1;"

        assert init_pragmas(command) == {"journal_mode": "WAL", "cache_size": "-4000"}

    def test_an_empty_command_has_no_pragmas(self):
        assert init_pragmas("") == {}


class ConfiguredValuesTests(SimpleTestCase):
    def test_recommended_values_are_dj_lites_plus_our_two_changes(self):
        assert recommended_values() == RECOMMENDED

    def test_a_bare_entry_gets_djangos_defaults(self):
        values = configured_values({"ENGINE": "django.db.backends.sqlite3", "NAME": "x"})

        assert values == {setting.name: setting.django_default for setting in SETTINGS}

    def test_persistent_connections_read_none(self):
        assert configured_values({"CONN_MAX_AGE": None})["CONN_MAX_AGE"] == "None"


class LiveValuesTests(TestCase):
    """Read back from real files: the test database is in memory, where WAL does not exist.

    A TestCase, because SimpleTestCase forbids opening the "default" alias.
    """

    def setUp(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.directory = Path(directory.name)

    def test_a_file_database_with_our_settings_is_live_as_recommended(self):
        with default_database(sqlite_database(self.directory)) as wrapper:
            rows = live_settings(wrapper)

        live = {row.setting.name: row.live for row in rows}
        assert live["journal_mode"] == "WAL"
        assert live["synchronous"] == "NORMAL"
        assert live["transaction_mode"] == "IMMEDIATE"
        assert live == RECOMMENDED
        assert all(row.ok for row in rows)

    def test_under_asgi_the_recommendation_keeps_no_connection(self):
        config = sqlite_database(self.directory, conn_max_age=0)
        with default_database(config) as wrapper:
            asgi = {row.setting.name: row.ok for row in live_settings(wrapper, asgi=True)}
            wsgi = {row.setting.name: row.ok for row in live_settings(wrapper)}

        assert all(asgi.values())
        assert [name for name, ok in wsgi.items() if not ok] == ["CONN_MAX_AGE"]

    def test_djangos_default_column_is_what_a_bare_file_database_runs(self):
        bare = {"ENGINE": "django.db.backends.sqlite3", "NAME": self.directory / "bare.sqlite3"}
        with default_database(bare) as wrapper:
            live = live_values(wrapper)

        assert live == {setting.name: setting.django_default for setting in SETTINGS}

    def test_a_misconfiguration_shows(self):
        config = sqlite_database(self.directory, pragmas={"synchronous": "FULL"}, timeout=5)
        with default_database(config) as wrapper:
            rows = live_settings(wrapper)

        assert sorted(row.setting.name for row in rows if not row.ok) == [
            "busy_timeout",
            "synchronous",
        ]


@sqlite_only("Reads the PRAGMAs of the in-memory SQLite test database")
class TestDatabaseTests(TestCase):
    def test_the_in_memory_test_database_reports_what_it_can(self):
        live = live_values(connection)

        assert live["journal_mode"] == "MEMORY"
        assert live["transaction_mode"] == "IMMEDIATE"
        assert live["mmap_size"] == database.NOT_APPLICABLE


class DisplayTests(SimpleTestCase):
    def test_values_carry_their_unit(self):
        busy_timeout = database.SETTINGS_BY_NAME["busy_timeout"]

        assert busy_timeout.display("20000") == "20000 ms"
        assert busy_timeout.display(database.NOT_APPLICABLE) == "n/a"
        assert database.SETTINGS_BY_NAME["journal_mode"].display("WAL") == "WAL"


class DatabaseFileTests(TestCase):
    def test_in_memory_databases_have_no_file(self):
        assert database_file(connection) is None
        for name in (":memory:", "", "file:memorydb_default?mode=memory&cache=shared"):
            assert database.is_memory_database(name)

    def test_file_names_and_uris_give_the_file(self):
        for name, expected in (
            (Path("/srv/db.sqlite3"), Path("/srv/db.sqlite3")),
            ("file:/srv/db.sqlite3?mode=ro", Path("/srv/db.sqlite3")),
        ):
            config = {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
            with default_database(config) as wrapper:
                assert database_file(wrapper) == expected
