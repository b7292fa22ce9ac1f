"""The five demo rooms, and where each feature comes from on this Django line.

Shared by the home page and each room's own page, so demos need not import
each other to link or describe one another.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from django_six_demos import compat


class Source(NamedTuple):
    """One package (or Django itself) providing part of a feature."""

    role: str
    provider: str
    # The release series ("6.1", "0.13"), never the exact release: pages show it.
    version: str | None
    is_core: bool

    @property
    def label(self) -> str:
        version = self.version or "not installed"
        if self.is_core:
            return f"Django {version} (core)"
        return f"{self.provider} {version}"


class Room(NamedTuple):
    slug: str
    title: str
    # What the finished demo shows.
    summary: str
    url_name: str
    # False while the live demo is still being built: the room then explains
    # the feature and where it comes from, and says the demo is on its way.
    live: bool = False


ROOMS = (
    Room(
        "partials",
        "Template partials",
        '{% partialdef %} and "page.html#name": one template serves the full page '
        "and the fragment htmx swaps in.",
        "django_six_demos_partials:index",
        live=True,
    ),
    Room(
        "csp",
        "Content Security Policy",
        "A strict nonce policy on every page, report-only mode, per-view overrides "
        "and a violation-report collector.",
        "django_six_demos_csp:index",
        live=True,
    ),
    Room(
        "tasks",
        "Background tasks",
        "@task and enqueue with a real database worker, status polled with htmx, "
        "failures and lost workers handled.",
        "django_six_demos_tasks:index",
        live=True,
    ),
    Room(
        "sqlite",
        "SQLite in production",
        'dj-lite\'s settings, proof that they remove "database is locked", and online backups.',
        "django_six_demos_sqlite:index",
        live=True,
    ),
    Room(
        "crud",
        "Neapolitan CRUD views",
        "List, detail, create, update and delete from one CRUDView, with "
        "permissions, filtering and htmx partials.",
        "demos-crud-index",
        live=True,
    ),
)
ROOMS_BY_SLUG = {room.slug: room for room in ROOMS}


# The series helpers live in compat, beside the Django version they mirror.
def _package(role: str, distribution: str) -> Source:
    return Source(role, distribution, compat.distribution_series(distribution), False)


def _gated(role: str, feature: str) -> Source:
    source = compat.feature_source(feature)
    return Source(role, source.provider, source.version, source.is_core)


def sources(slug: str) -> list[Source]:
    """Return where the room's feature comes from on the running Django line."""
    if slug == "partials":
        return [_gated("Template partials", "partials")]
    if slug == "csp":
        return [_gated("Middleware, nonce, decorators", "csp")]
    if slug == "tasks":
        return [
            _gated("Tasks API", "tasks"),
            _package("Database backend and worker", "django-tasks-db"),
        ]
    if slug == "sqlite":
        return [
            _package("Production settings", "dj-lite"),
            Source(
                "Database engine", "SQLite", compat.release_series(sqlite3.sqlite_version), False
            ),
        ]
    if slug == "crud":
        return [
            _package("CRUD views", "neapolitan"),
            _package("Filtering", "django-filter"),
        ]
    raise KeyError(slug)
