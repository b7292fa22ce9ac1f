"""SQLite in production: the DATABASES entry the demos recommend, and what is live.

``sqlite_database()`` wraps dj-lite's ``sqlite_config()`` (WAL, synchronous=NORMAL,
IMMEDIATE transactions and a few PRAGMAs, applied through the SQLite backend's
``init_command`` and ``transaction_mode`` options, Django 5.1+) and changes only
what was measured. ``live_settings()`` reads each of those settings back from a
running connection, so a misconfiguration shows.
https://docs.djangoproject.com/en/6.0/ref/databases/#sqlite-notes
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from dj_lite import sqlite_config

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

# dj-lite keeps SQLite's 5 s busy timeout. With 16-32 writer processes a
# writer rarely waited longer than that (lock starvation); 20 s removed it.
TIMEOUT: Final = 20
# Opening a WAL connection and running the PRAGMAs costs ~300 us (a plain one
# ~84 us): keeping connections for 10 minutes gave +17-30 % req/s on
# database pages.
CONN_MAX_AGE: Final = 600

SQLITE_ENGINE: Final = "django.db.backends.sqlite3"
# A live value SQLite does not report (in-memory databases skip some PRAGMAs).
NOT_APPLICABLE: Final = "n/a"


# [sqlite-database]
def sqlite_database(
    base_dir: Path, *, conn_max_age: int | None = CONN_MAX_AGE, **overrides: Any
) -> dict[str, Any]:
    """Return a ``DATABASES`` entry for SQLite in production.

    dj-lite's ``sqlite_config()`` with its defaults (WAL, synchronous=NORMAL,
    IMMEDIATE transactions, temp_store=MEMORY, mmap_size, journal_size_limit,
    cache_size) except two measured changes: ``timeout=20`` and
    ``CONN_MAX_AGE=600``. ``overrides`` go to ``sqlite_config()`` (``file_name``,
    ``timeout``, ``pragmas={...}``...); ``conn_max_age=None`` keeps connections
    for good, ``0`` closes them after each request.

    >>> DATABASES = {"default": sqlite_database(BASE_DIR)}
    >>> DATABASES["tasks"] = sqlite_database(BASE_DIR, file_name="tasks.sqlite3")
    """
    if not isinstance(base_dir, Path):
        # dj-lite's type check would fail with a less helpful TypeCheckError.
        raise TypeError(
            f"sqlite_database() needs a pathlib.Path, not {type(base_dir).__name__}: "
            f"sqlite_database(Path({base_dir!r}))"
        )
    config: dict[str, Any] = sqlite_config(base_dir, **{"timeout": TIMEOUT, **overrides})
    config["CONN_MAX_AGE"] = conn_max_age
    return config


# [/sqlite-database]

_PRAGMA = re.compile(r"^\s*PRAGMA\s+(\w+)\s*=\s*(.+?)\s*$", re.IGNORECASE)


def init_pragmas(init_command: str) -> dict[str, str]:
    """Return the ``PRAGMA name=value`` statements of an ``init_command``, in order.

    >>> init_pragmas("PRAGMA journal_mode=WAL;\\nPRAGMA synchronous=NORMAL;")
    {'journal_mode': 'WAL', 'synchronous': 'NORMAL'}
    """
    # As Django's SQLite backend runs it: one statement per ";".
    pragmas: dict[str, str] = {}
    for statement in init_command.split(";"):
        if match := _PRAGMA.match(statement):
            pragmas[match[1].lower()] = match[2]
    return pragmas


# How SQLite reports enumerated PRAGMAs (numbers) and how we name them.
_SYNCHRONOUS = {"0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}
_TEMP_STORE = {"0": "DEFAULT", "1": "FILE", "2": "MEMORY"}


def _named(names: Mapping[str, str]) -> Callable[[str], str]:
    def normalise(value: str) -> str:
        value = str(value).strip().upper()
        return names.get(value, value)

    return normalise


def _upper(value: str) -> str:
    return str(value).strip().upper()


def _integer(value: str) -> str:
    return str(int(str(value).strip()))


@dataclass(frozen=True)
class Setting:
    """One setting dj-lite (or our helper) applies, and why."""

    name: str
    # What Django does when DATABASES names only ENGINE and NAME.
    django_default: str
    why: str
    normalise: Callable[[str], str]
    # The PRAGMA reading it back, or None for a setting Django holds itself.
    pragma: str | None = None
    unit: str = ""

    def display(self, value: str) -> str:
        """Return ``value`` with the setting's unit, e.g. ``"20000 ms"``."""
        if not self.unit or value in (NOT_APPLICABLE, "None"):
            return value
        return f"{value} {self.unit}"


SETTINGS: Final = (
    Setting(
        "journal_mode",
        "DELETE",
        "Write-ahead logging: readers never block the writer and the writer never "
        "blocks readers; a commit appends to the -wal file instead of rewriting pages "
        "and a rollback journal.",
        _upper,
        pragma="journal_mode",
    ),
    Setting(
        "synchronous",
        "FULL",
        "With WAL, NORMAL is still corruption-safe and syncs at checkpoints instead of at "
        "every commit (about 48x the commits per second here). The price: the last "
        "commits before a power loss or OS crash may roll back (an application crash "
        "loses nothing). Keep FULL where that is unacceptable.",
        _named(_SYNCHRONOUS),
        pragma="synchronous",
    ),
    Setting(
        "transaction_mode",
        "DEFERRED",
        "A deferred transaction that reads, then writes, cannot wait for the write lock: "
        'SQLite fails it at once with "database is locked", whatever the timeout. '
        "IMMEDIATE takes the write lock at BEGIN, where waiting works.",
        _upper,
    ),
    Setting(
        "busy_timeout",
        "5000",
        "How long a connection waits for the write lock before giving up, in ms (the "
        "timeout option, seconds). dj-lite keeps Python's 5 s; 20 s removed the rare "
        "lock starvation measured at 16-32 concurrent writers.",
        _integer,
        pragma="busy_timeout",
        unit="ms",
    ),
    Setting(
        "temp_store",
        "DEFAULT",
        "Temporary tables and indices (big sorts, GROUP BY, DISTINCT) stay in memory "
        "instead of temporary files.",
        _named(_TEMP_STORE),
        pragma="temp_store",
    ),
    Setting(
        "mmap_size",
        "0",
        "Reads go through 128 MiB of memory-mapped I/O instead of read() calls: fewer "
        "copies on read-heavy pages.",
        _integer,
        pragma="mmap_size",
        unit="bytes",
    ),
    Setting(
        "journal_size_limit",
        "-1",
        "After a checkpoint the -wal file is truncated to about 26 MiB instead of "
        "keeping the size of its biggest burst.",
        _integer,
        pragma="journal_size_limit",
        unit="bytes",
    ),
    Setting(
        "cache_size",
        "-2000",
        "A positive value counts pages: 2,000 pages of 4 KiB, about 8 MiB per "
        "connection, where SQLite's default -2000 means 2,000 KiB.",
        _integer,
        pragma="cache_size",
    ),
    Setting(
        "CONN_MAX_AGE",
        "0",
        "Django closes connections after each request by default. A WAL connection "
        "with these PRAGMAs costs ~300 us to open; keeping it 10 minutes gave "
        "+17-30 % requests per second on database pages.",
        _integer,
        unit="s",
    ),
)
SETTINGS_BY_NAME: Final = {setting.name: setting for setting in SETTINGS}


def configured_values(config: Mapping[str, Any]) -> dict[str, str]:
    """Return what a ``DATABASES`` entry asks for, for each of ``SETTINGS``.

    Settings the entry leaves out get Django's default.
    """
    options = config.get("OPTIONS") or {}
    asked: dict[str, Any] = {
        **init_pragmas(str(options.get("init_command") or "")),
        "transaction_mode": options.get("transaction_mode") or "DEFERRED",
        "busy_timeout": round(float(options.get("timeout", 5)) * 1000),
        "CONN_MAX_AGE": config.get("CONN_MAX_AGE", 0),
    }
    values: dict[str, str] = {}
    for setting in SETTINGS:
        value = asked.get(setting.name)
        if value is None and setting.name == "CONN_MAX_AGE":
            values[setting.name] = "None"  # persistent connections
        elif value is None:
            values[setting.name] = setting.django_default
        else:
            values[setting.name] = setting.normalise(str(value))
    return values


def recommended_values() -> dict[str, str]:
    """Return the values ``sqlite_database()`` asks for, for each of ``SETTINGS``."""
    return configured_values(sqlite_database(Path("db")))


@dataclass(frozen=True)
class LiveSetting:
    """A setting as Django's default has it, as we recommend it, and as it is live."""

    setting: Setting
    recommended: str
    live: str

    @property
    def ok(self) -> bool:
        return self.live == self.recommended

    @property
    def django_default_display(self) -> str:
        return self.setting.display(self.setting.django_default)

    @property
    def recommended_display(self) -> str:
        return self.setting.display(self.recommended)

    @property
    def live_display(self) -> str:
        return self.setting.display(self.live)


def live_values(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """Read each of ``SETTINGS`` from ``connection`` (an SQLite ``DatabaseWrapper``).

    PRAGMAs are queried on the connection itself, so they show what SQLite
    applies; ``transaction_mode`` and ``CONN_MAX_AGE`` are what Django holds.
    """
    values: dict[str, str] = {}
    with connection.cursor() as cursor:
        for setting in SETTINGS:
            if setting.pragma is None:
                continue
            # The PRAGMA name comes from SETTINGS, never from a request.
            cursor.execute(f"PRAGMA {setting.pragma}")
            row = cursor.fetchone()
            # An in-memory database answers some PRAGMAs (mmap_size) with no row.
            values[setting.name] = NOT_APPLICABLE if row is None else setting.normalise(str(row[0]))
    # Set by the backend when it reads OPTIONS (Django 5.1+); None = DEFERRED.
    transaction_mode = getattr(connection, "transaction_mode", None) or "DEFERRED"
    values["transaction_mode"] = _upper(transaction_mode)
    max_age = connection.settings_dict.get("CONN_MAX_AGE", 0)
    values["CONN_MAX_AGE"] = "None" if max_age is None else _integer(str(max_age))
    return values


def live_settings(connection: BaseDatabaseWrapper) -> list[LiveSetting]:
    """Return each of ``SETTINGS`` with our recommended value and ``connection``'s."""
    recommended = recommended_values()
    live = live_values(connection)
    return [
        LiveSetting(setting, recommended[setting.name], live[setting.name]) for setting in SETTINGS
    ]


def is_memory_database(name: str | Path) -> bool:
    """Return whether an SQLite ``NAME`` is an in-memory database, not a file."""
    text = str(name)
    return text in ("", ":memory:") or "mode=memory" in text


def database_file(connection: BaseDatabaseWrapper) -> Path | None:
    """Return the file of an SQLite connection, or None (in memory, or not SQLite)."""
    if connection.vendor != "sqlite":
        return None
    name = connection.settings_dict.get("NAME") or ""
    if is_memory_database(name):
        return None
    text = str(name)
    if text.startswith("file:"):
        text = text.removeprefix("file:").split("?", 1)[0]
    return Path(text)
