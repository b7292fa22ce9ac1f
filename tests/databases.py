"""Skip markers for tests that need one database vendor as the default database.

The suite runs on the in-memory SQLite test database, and on PostgreSQL with
``DATABASE_URL`` (tox -e py313-django61-postgres). Most tests do not care;
these markers are for the few that do, with the reason the run report shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

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


def sqlite_envs_only(what: str) -> pytest.MarkDecorator:
    """Skip on other vendors: ``what`` is slow and uses SQLite files of its own.

    Its result does not depend on the suite's database, so the SQLite envs run
    it and the other envs save the time.
    """
    return pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason=f"{what} on SQLite files of its own, whatever the default database: "
        f"the SQLite envs run it; not repeated on {connection.display_name}",
    )


def postgres_only(test: T) -> T:
    """Mark ``test`` ``postgres`` and skip it unless the default database is PostgreSQL."""
    skip = pytest.mark.skipif(
        connection.vendor != "postgresql", reason=f"needs PostgreSQL: {POSTGRES_ENV}"
    )
    marked: T = pytest.mark.postgres(skip(test))
    return marked


# -- Databases of their own on the PostgreSQL server of the suite --------------------
# For tests whose processes need a site database other than the test database
# (each fault test starts from a copy of one migrated site). Only on PostgreSQL.


def _server() -> dict[str, Any]:
    """psycopg's connection arguments for the default database's server."""
    entry = connection.settings_dict
    keys = {"HOST": "host", "PORT": "port", "USER": "user", "PASSWORD": "password"}
    return {key: str(entry[name]) for name, key in keys.items() if entry.get(name)}


def database_url(name: str) -> str:
    """A ``DATABASE_URL`` for the database ``name`` on the default database's server."""
    server = _server()
    user = quote(server.get("user", ""), safe="")
    password = f":{quote(server['password'], safe='')}" if "password" in server else ""
    credentials = f"{user}{password}@" if user else ""
    port = f":{server['port']}" if "port" in server else ""
    return f"postgres://{credentials}{server.get('host', '')}{port}/{quote(name, safe='')}"


def connect(name: str) -> Any:
    """A psycopg connection (autocommit, rows as dicts) to the database ``name``."""
    import psycopg
    from psycopg.rows import dict_row

    return psycopg.connect(dbname=name, autocommit=True, row_factory=dict_row, **_server())


def create_database(name: str, *, template: str | None = None) -> None:
    """Create the database ``name`` (empty, or a copy of ``template``), replacing any."""
    from psycopg import sql

    drop_database(name)
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with connect("postgres") as admin:
        admin.execute(statement)


def drop_database(name: str) -> None:
    """Drop the database ``name`` if it exists, closing what is still connected to it."""
    from psycopg import sql

    with connect("postgres") as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
