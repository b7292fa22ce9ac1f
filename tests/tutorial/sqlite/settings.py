"""Chapter 4's first code: SQLite settings for a web server and a task worker, from dj-lite."""

from __future__ import annotations

from pathlib import Path

from dj_lite import sqlite_config

BASE_DIR = Path(__file__).resolve().parent.parent

DATABASES = {
    "default": sqlite_config(BASE_DIR),
}
