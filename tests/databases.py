"""Skip markers for tests that need one database vendor as the default database.

The suite runs on the in-memory SQLite test database, and on PostgreSQL with
``DATABASE_URL`` (tox -e py313-django61-postgres). Most tests do not care;
these markers are for the few that do, with the reason the run report shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import connection

# A test function or class, as pytest's marks take them.
T = TypeVar("T", bound=Callable[..., object])

POSTGRES_ENV = "DATABASE_URL=postgres://... (tox -e py313-django61-postgres)"


def sqlite_only(what: str) -> pytest.MarkDecorator:
    """Skip unless the default database is SQLite: ``what`` is about SQLite itself."""
    return pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason=f"{what}: needs SQLite as the default database, which is "
        f"{connection.display_name} here (DATABASE_URL)",
    )


def postgres_only(test: T) -> T:
    """Mark ``test`` ``postgres`` and skip it unless the default database is PostgreSQL."""
    skip = pytest.mark.skipif(
        connection.vendor != "postgresql", reason=f"needs PostgreSQL: {POSTGRES_ENV}"
    )
    marked: T = pytest.mark.postgres(skip(test))
    return marked
