"""Moving the example project from SQLite to PostgreSQL, as docs/howto/move-to-postgresql.rst says.

A seeded SQLite site (plus a group, a gap in the user ids, an admin log entry,
CSP reports, a contention run and a task left in the queue) is moved into a
throwaway PostgreSQL database by running the page's commands verbatim in a
shell, from a directory holding ``manage.py``, with ``NEW_DATABASE_URL`` set.
Then: the two fingerprints are equal, every sequence is past its table's
highest id (loaddata resets them), a new row gets an id, the queued task runs
on PostgreSQL, and the fingerprint catches what a JSON dump with
``--natural-primary`` would lose. ``test_the_page_shows_exactly_the_tested_commands``
keeps the page's console blocks and the commands run here the same.

PostgreSQL: the server of ``DATABASE_URL`` when it points at one (``tox -e
py313-django61-postgres``), else 127.0.0.1:5432 as user ``postgres``. Without
psycopg (only the ``postgres`` dependency group installs it) the tests skip;
without a reachable server they skip, or fail when ``CI`` is set.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.test_docs import directives

ROOT = Path(__file__).resolve().parent.parent
MANAGE_PY = ROOT / "example_project" / "manage.py"
PAGE = ROOT / "docs" / "howto" / "move-to-postgresql.rst"

# [commands]
# The page's console blocks show these commands, in this order, and no others
# but NOT_RUN (test_the_page_shows_exactly_the_tested_commands). They run in
# a shell, in a directory holding manage.py.
DUMP = (
    "python manage.py dumpdata --natural-foreign \\\n"
    "    -e contenttypes -e auth.Permission -e sessions --format xml -o site.xml"
)
MIGRATE = "DATABASE_URL=$NEW_DATABASE_URL python manage.py migrate"
LOAD = "DATABASE_URL=$NEW_DATABASE_URL python manage.py loaddata site.xml"
FINGERPRINT_OLD = (
    "python manage.py demos_db_fingerprint \\\n"
    "    -e contenttypes -e auth.Permission -e sessions > old.txt"
)
FINGERPRINT_NEW = (
    "DATABASE_URL=$NEW_DATABASE_URL python manage.py demos_db_fingerprint \\\n"
    "    -e contenttypes -e auth.Permission -e sessions > new.txt"
)
DIFF = 'diff old.txt new.txt && echo "Same rows, same values."'
MOVE = (DUMP, MIGRATE, LOAD, FINGERPRINT_OLD, FINGERPRINT_NEW, DIFF)
# Shown on the page, not run here: installing a package, and the reader's own URL.
NOT_RUN = (
    'python -m pip install "psycopg[binary]"',
    "export NEW_DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/NAME",
)
# [/commands]

# What JSON with --natural-primary does instead (the page explains why not).
JSON_DUMP = (
    "python manage.py dumpdata --natural-foreign --natural-primary "
    "-e contenttypes -e auth.Permission -e sessions -o site.json"
)

# Rows beyond demos_seed's speakers, talks and users: every kind of value and
# relation the move has to carry. "gone" leaves a gap in the user ids.
EXTRA_ROWS = """
import datetime as dt
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django_six_demos.conference.models import Talk
from django_six_demos.csp.models import CspReport
from django_six_demos.sqlite.models import ContentionRun
from example.tasks import count_talks

User.objects.create_user("gone").delete()
later = User.objects.create_user("later")
editors = Group.objects.create(name="editors")
editors.permissions.set(Permission.objects.filter(codename__endswith="_talk"))
later.groups.add(editors)
later.user_permissions.add(Permission.objects.get(codename="view_speaker"))
talk = Talk.objects.order_by("pk").first()
LogEntry.objects.create(
    user=later, content_type=ContentType.objects.get_for_model(Talk), object_id=str(talk.pk),
    object_repr=str(talk)[:200], action_flag=ADDITION, change_message="[]",
)
for line in (3, 14):
    CspReport.objects.create(
        format="report-uri", document_uri="https://demos.example.com/csp/",
        effective_directive="script-src-elem", blocked_uri="inline", line_number=line,
        raw='{"csp-report": {"é": "ü"}}',
    )
ContentionRun.objects.create(
    writers=4, seconds=0.5, status="done", result=[{"name": "production", "commits": 12.5}],
)
print(count_talks.enqueue().id)
"""

# A user, then a speaker whose name is longer than its max_length (100).
TOO_LONG = """
from django.contrib.auth.models import User
from django_six_demos.conference.models import Speaker

Speaker.objects.create(name="x" * 101, slug="long", user=User.objects.create_user("long"))
"""

# The models the move carries, with their row counts in the seeded site.
EXPECTED_ROWS = {
    "admin.LogEntry": 1,
    "auth.Group": 1,
    "auth.User": 4,
    "django_six_demos_conference.SeededUser": 3,
    "django_six_demos_conference.Speaker": 40,
    "django_six_demos_conference.Talk": 120,
    "django_six_demos_csp.CspReport": 2,
    "django_six_demos_sqlite.ContentionRun": 1,
    "django_tasks_database.DBTaskResult": 1,
}

# The project's own variables, and pytest-django's settings module: the
# children configure themselves as the example project does.
PROJECT_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "EXAMPLE_DATA_DIR",
    "EXAMPLE_QUEUE_DB",
)
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


# -- The guard (runs everywhere) ------------------------------------------------


def shell_lines(command: str) -> str:
    """Join backslash-continued lines and collapse whitespace."""
    return " ".join(command.replace("\\\n", " ").split())


def documented_commands(page: Path) -> list[str]:
    """The ``$`` commands of a page's console blocks, in page order."""
    commands = []
    for block in directives(page, "code-block"):
        if block.argument != "console":
            continue
        text = "\n".join(line.strip() for line in block.content)
        for match in re.finditer(r"^\$ ((?:.*\\\n)*.*)", text, re.MULTILINE):
            commands.append(shell_lines(match[1]))
    return commands


def test_the_page_shows_exactly_the_tested_commands():
    shown = documented_commands(PAGE)

    assert [command for command in shown if command not in NOT_RUN] == [
        shell_lines(command) for command in MOVE
    ]
    assert set(NOT_RUN) <= set(shown)


# -- PostgreSQL ------------------------------------------------------------------


def server_url() -> str:
    """The PostgreSQL server to create throwaway databases on (its maintenance database)."""
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme.startswith("postgres") and parts.hostname:
        return urlunsplit(parts._replace(path="/postgres"))
    return DEFAULT_SERVER


@pytest.fixture(scope="module")
def server() -> str:
    if importlib.util.find_spec("psycopg") is None:
        # Fine in CI too: the postgres env installs psycopg and runs these.
        pytest.skip("psycopg not installed (tox -e py313-django61-postgres runs this)")
    url = server_url()
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 5432)
    try:
        socket.create_connection(address, timeout=2).close()
    except OSError as error:
        reason = f"PostgreSQL at {address[0]}:{address[1]} is unreachable: {error}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must run the move on a real server)")
        pytest.skip(reason)
    return url


@pytest.fixture(scope="module")
def new_database(server: str) -> Iterator[Callable[[], str]]:
    """Create empty databases with unique names; drop them all afterwards."""
    # Only the postgres dependency group installs psycopg (the lint env does not).
    import psycopg  # type: ignore[import-not-found, unused-ignore]
    from psycopg import sql  # type: ignore[import-not-found, unused-ignore]

    created: list[str] = []

    def create() -> str:
        name = f"demos_move_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))

    yield create
    with psycopg.connect(server, autocommit=True) as connection:
        for name in created:
            # FORCE (PostgreSQL 13+): a child's connection may linger a moment.
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def query(url: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg  # type: ignore[import-not-found, unused-ignore]

    with psycopg.connect(url) as connection:
        rows: list[tuple[Any, ...]] = connection.execute(statement, params).fetchall()
        return rows


# -- The site ------------------------------------------------------------------


@dataclass
class Site:
    """A directory holding manage.py, the SQLite site's environment and the new database."""

    directory: Path
    env: dict[str, str]
    queued_task: str

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        """Run ``command`` in a shell, as a reader would type it."""
        result = subprocess.run(
            ["sh", "-c", command],
            cwd=self.directory,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
        return result


@pytest.fixture(scope="module")
def site(new_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A seeded SQLite site, and an empty PostgreSQL database in NEW_DATABASE_URL."""
    directory = tmp_path_factory.mktemp("site")
    # manage.py puts its own (resolved) directory on sys.path: a link is enough.
    (directory / "manage.py").symlink_to(MANAGE_PY)
    env = {key: value for key, value in os.environ.items() if key not in PROJECT_VARIABLES}
    env["EXAMPLE_DATA_DIR"] = str(directory)
    env["NEW_DATABASE_URL"] = new_database()
    # "python" in the commands is this interpreter (a virtualenv's bin holds it).
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    site = Site(directory, env, queued_task="")
    site.run("python manage.py migrate")
    site.run("python manage.py demos_seed")
    extra = site.run(f"python manage.py shell -c {shlex.quote(EXTRA_ROWS)}")
    site.queued_task = extra.stdout.split()[-1]
    return site


@pytest.fixture(scope="module")
def moved(site: Site) -> dict[str, str]:
    """Run the page's commands; return their output by command."""
    return {command: site.run(command).stdout for command in MOVE}


def read_fingerprint(path: Path) -> dict[str, int]:
    return {line.split()[0]: int(line.split()[1]) for line in path.read_text().splitlines()}


@pytest.mark.slow
@pytest.mark.postgres
def test_the_documented_commands_copy_every_row(site, moved):
    assert moved[DIFF] == "Same rows, same values.\n"
    old = (site.directory / "old.txt").read_text()
    assert old == (site.directory / "new.txt").read_text()
    assert read_fingerprint(site.directory / "old.txt") == EXPECTED_ROWS


@pytest.mark.slow
@pytest.mark.postgres
def test_the_copy_keeps_primary_keys_and_microseconds(site, moved):
    new = site.env["NEW_DATABASE_URL"]

    # "gone" (id 4) was deleted: "later" keeps id 5.
    assert query(new, "SELECT username, id FROM auth_user ORDER BY id") == [
        ("staff", 1),
        ("ada", 2),
        ("grace", 3),
        ("later", 5),
    ]
    [(precise,)] = query(
        new,
        "SELECT count(*) FROM django_six_demos_conference_talk "
        "WHERE mod(extract(microseconds FROM created_at)::int, 1000) <> 0",
    )
    assert precise > 0


@pytest.mark.slow
@pytest.mark.postgres
def test_a_task_left_in_the_queue_runs_on_postgresql(site, moved):
    site.run(
        "DATABASE_URL=$NEW_DATABASE_URL python manage.py demos_worker "
        "--batch --queue-name '*' --no-startup-delay --no-reload"
    )

    new = site.env["NEW_DATABASE_URL"]
    [(status, value)] = query(
        new,
        "SELECT status, return_value FROM django_tasks_database_dbtaskresult WHERE id = %s",
        uuid.UUID(site.queued_task),
    )
    [(talks,)] = query(new, "SELECT count(*) FROM django_six_demos_conference_talk")
    assert (status, value) == ("SUCCESSFUL", talks)


@pytest.mark.slow
@pytest.mark.postgres
def test_loaddata_resets_every_sequence(site, moved):
    new = site.env["NEW_DATABASE_URL"]
    identities = query(
        new,
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND is_identity = 'YES'",
    )
    assert len(identities) > 10  # Django 4.1+ creates identity columns
    behind = []
    for table, column in identities:
        [(highest,)] = query(new, f'SELECT max("{column}") FROM "{table}"')
        [(sequence,)] = query(new, "SELECT pg_get_serial_sequence(%s, %s)", f'"{table}"', column)
        [(last, called)] = query(new, f"SELECT last_value, is_called FROM {sequence}")
        following = last + 1 if called else last
        if highest is not None and following <= highest:
            behind.append(f"{table}.{column}: next {following}, highest {highest}")
    assert behind == []

    # And the ORM can add rows: three new talks and their speakers' rows.
    site.run("DATABASE_URL=$NEW_DATABASE_URL python manage.py demos_seed --extra-talks 3")
    [(talks, highest_id)] = query(
        new, "SELECT count(*), max(id) FROM django_six_demos_conference_talk"
    )
    assert (talks, highest_id) == (123, 123)


@pytest.mark.slow
@pytest.mark.postgres
def test_the_fingerprint_catches_a_json_dump_with_natural_primary_keys(site, moved, new_database):
    # JSON keeps milliseconds only; --natural-primary drops the users' ids,
    # so loaddata numbers them again, closing the gap "gone" left.
    other = new_database()
    site.run(JSON_DUMP)
    for command in (MIGRATE, "DATABASE_URL=$NEW_DATABASE_URL python manage.py loaddata site.json"):
        site.run(command.replace("$NEW_DATABASE_URL", other))
    fingerprint = site.run(
        f"DATABASE_URL={other} python manage.py demos_db_fingerprint "
        "-e contenttypes -e auth.Permission -e sessions"
    ).stdout

    old = dict(line.split(" ", 1) for line in (site.directory / "old.txt").read_text().splitlines())
    new = dict(line.split(" ", 1) for line in fingerprint.splitlines())
    assert new.keys() == old.keys()
    differing = {label for label in old if old[label] != new[label]}
    # Every model with a datetime, and the users; not the rows without either
    # (nor the seed's record of the users it created, keyed by natural key).
    assert differing == set(EXPECTED_ROWS) - {
        "auth.Group",
        "django_six_demos_conference.SeededUser",
        "django_six_demos_conference.Speaker",
    }
    assert query(other, "SELECT id FROM auth_user WHERE username = 'later'") == [(4,)]


@pytest.mark.slow
@pytest.mark.postgres
def test_a_value_postgresql_rejects_stops_the_whole_load(site, moved, new_database, tmp_path):
    # SQLite ignores max_length; PostgreSQL refuses the row, and loaddata
    # (one transaction) leaves nothing behind.
    other = new_database()
    bad = Site(tmp_path, {**site.env, "EXAMPLE_DATA_DIR": str(tmp_path)}, queued_task="")
    (tmp_path / "manage.py").symlink_to(MANAGE_PY)
    bad.run("python manage.py migrate")
    bad.run(f"python manage.py shell -c {shlex.quote(TOO_LONG)}")
    bad.run(DUMP)
    bad.run(MIGRATE.replace("$NEW_DATABASE_URL", other))
    result = subprocess.run(
        ["sh", "-c", LOAD.replace("$NEW_DATABASE_URL", other)],
        cwd=tmp_path,
        env=bad.env,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode != 0
    # "value too long for type character varying(100)", in the server's language.
    assert "DataError" in result.stderr and "character varying(100)" in result.stderr
    # The user came before the speaker in the dump, and is gone too.
    assert query(other, "SELECT count(*) FROM auth_user") == [(0,)]
    assert query(other, "SELECT count(*) FROM django_six_demos_conference_speaker") == [(0,)]
