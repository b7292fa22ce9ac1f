"""Chapter 4's recommendation: dj-lite's settings, with the busy timeout this project measured."""

from __future__ import annotations

from pathlib import Path

from django_six_demos.sqlite.database import sqlite_database

BASE_DIR = Path(__file__).resolve().parent.parent

DATABASES = {
    "default": sqlite_database(BASE_DIR),
}
