"""The SQLite demo's system check: WAL and IMMEDIATE transactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import connections

from django_six_demos.sqlite.database import TIMEOUT


@register(Tags.compatibility)
def check_sqlite_settings(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """W010: SQLite without WAL and IMMEDIATE transactions locks under load."""
    database = connections.settings["default"]
    if database.get("ENGINE") != "django.db.backends.sqlite3":
        return []
    options = database.get("OPTIONS", {})
    wal = "journal_mode=wal" in str(options.get("init_command", "")).lower().replace(" ", "")
    immediate = str(options.get("transaction_mode", "")).upper() == "IMMEDIATE"
    if not (wal and immediate):
        return [
            Warning(
                "The default SQLite database runs without WAL and IMMEDIATE transactions.",
                hint=(
                    "from django_six_demos.sqlite.database import sqlite_database, then "
                    'DATABASES = {"default": sqlite_database(BASE_DIR)}: dj-lite\'s settings '
                    f"(WAL, IMMEDIATE) with a {TIMEOUT} s timeout, against 'database is locked'."
                ),
                id="django_six_demos.W010",
            )
        ]
    return []
