"""W010's hint is the one SQLite recommendation, and following it word for word silences W010."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from unittest import mock

from django.test import SimpleTestCase

from django_six_demos.sqlite.checks import check_sqlite_settings
from django_six_demos.sqlite.database import TIMEOUT

IMPORT = "from django_six_demos.sqlite.database import sqlite_database"
SETTING = 'DATABASES = {"default": sqlite_database(BASE_DIR)}'
# startproject's DATABASES.
PLAIN = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/site/db.sqlite3"}


def w010(database: Mapping[str, Any]) -> list[str]:
    with mock.patch.dict("django.db.connections.settings", {"default": database}):
        return [message.hint or "" for message in check_sqlite_settings(None)]


class W010HintTests(SimpleTestCase):
    def test_startprojects_sqlite_gets_the_one_recommendation(self):
        [hint] = w010(PLAIN)

        assert IMPORT in hint
        assert SETTING in hint
        assert f"with a {TIMEOUT} s timeout" in hint

    def test_the_hint_followed_word_for_word_silences_the_check(self):
        [hint] = w010(PLAIN)
        code = "\n".join(
            re.search(pattern, hint)[0]  # type: ignore[index]
            for pattern in (re.escape(IMPORT), r"DATABASES = \{[^}]*\}")
        )
        namespace: dict[str, object] = {"BASE_DIR": Path("/srv/site")}

        exec(code, namespace)

        databases = namespace["DATABASES"]
        assert isinstance(databases, dict)
        assert databases["default"]["NAME"] == Path("/srv/site/db.sqlite3")
        assert w010(databases["default"]) == []

    def test_other_databases_are_not_checked(self):
        assert w010({"ENGINE": "django.db.backends.postgresql", "NAME": "demos"}) == []
