"""SQLite in production: the ``DATABASES`` entry the demos recommend, and what is live.

``sqlite_database()`` wraps dj-lite's ``sqlite_config()``; ``live_settings()`` reads each
setting back from a running connection, so a misconfiguration shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from dj_lite import sqlite_config

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

# dj-lite keeps SQLite's 5 s busy timeout, which many concurrent writers can
# outwait (see docs/performance-runs.rst).
TIMEOUT: Final = 20
# Opening a WAL connection and running its PRAGMAs is not free: keep connections.
CONN_MAX_AGE: Final = 600

# A live value SQLite does not report (in-memory databases skip some PRAGMAs).
NOT_APPLICABLE: Final = "n/a"


# [sqlite-database]
def sqlite_database(
    base_dir: Path, *, conn_max_age: int | None = CONN_MAX_AGE, **overrides: Any
) -> dict[str, Any]:
    """Return the SQLite ``DATABASES`` entry the demos recommend, in ``base_dir / "db.sqlite3"``.

    ``DATABASES = {"default": sqlite_database(BASE_DIR)}``: dj-lite's ``sqlite_config()``
    (WAL, IMMEDIATE transactions, synchronous=NORMAL ...) with ``timeout=20``, and
    ``CONN_MAX_AGE=600``. ``overrides`` go to ``sqlite_config()`` (``file_name``,
    ``pragmas={...}`` ...); ``conn_max_age=None`` keeps connections for good.
    """
    if not isinstance(base_dir, Path):
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
    """The ``PRAGMA name=value`` statements of an ``init_command``, split on ";" as Django does."""
    matches = (_PRAGMA.match(statement) for statement in init_command.split(";"))
    return {match[1].lower(): match[2] for match in matches if match}


@dataclass(frozen=True)
class Setting:
    """One setting dj-lite (or our helper) applies; the page says why."""

    name: str
    django_default: str  # with only ENGINE and NAME in DATABASES
    pragma: bool = True  # False for a setting Django holds itself
    unit: str = ""
    names: tuple[str, ...] = ()  # an enumerated PRAGMA's names, by the number SQLite reports

    def normalise(self, value: object) -> str:
        """``value`` as the page compares it: upper case, a number, or an enumeration's name."""
        if value is None:
            return "None"  # CONN_MAX_AGE=None: connections kept for good
        text = str(value).strip().upper()
        if text.lstrip("+-").isdigit():
            number = int(text)
            return self.names[number] if 0 <= number < len(self.names) else str(number)
        return text

    def display(self, value: str) -> str:
        """``value`` with the setting's unit, e.g. ``"20000 ms"``."""
        if not self.unit or value in (NOT_APPLICABLE, "None"):
            return value
        return f"{value} {self.unit}"


SETTINGS: Final = (
    Setting("journal_mode", "DELETE"),
    Setting("synchronous", "FULL", names=("OFF", "NORMAL", "FULL", "EXTRA")),
    Setting("transaction_mode", "DEFERRED", pragma=False),
    Setting("busy_timeout", "5000", unit="ms"),
    Setting("temp_store", "DEFAULT", names=("DEFAULT", "FILE", "MEMORY")),
    Setting("mmap_size", "0", unit="bytes"),
    Setting("journal_size_limit", "-1", unit="bytes"),
    Setting("cache_size", "-2000"),
    Setting("CONN_MAX_AGE", "0", pragma=False, unit="s"),
)
SETTINGS_BY_NAME: Final = {setting.name: setting for setting in SETTINGS}


def configured_values(config: Mapping[str, Any]) -> dict[str, str]:
    """What a ``DATABASES`` entry asks for, for each of ``SETTINGS`` (else Django's default)."""
    options = config.get("OPTIONS") or {}
    asked: dict[str, Any] = {
        **init_pragmas(str(options.get("init_command") or "")),
        "transaction_mode": options.get("transaction_mode") or "DEFERRED",
        "busy_timeout": round(float(options.get("timeout", 5)) * 1000),
        "CONN_MAX_AGE": config.get("CONN_MAX_AGE", 0),
    }
    return {
        s.name: s.normalise(asked[s.name]) if s.name in asked else s.django_default
        for s in SETTINGS
    }


def recommended_values() -> dict[str, str]:
    """The values ``sqlite_database()`` asks for, for each of ``SETTINGS``."""
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
    """Read each of ``SETTINGS`` from an SQLite ``connection``: PRAGMAs, or what Django holds."""
    values: dict[str, str] = {}
    with connection.cursor() as cursor:
        for setting in (setting for setting in SETTINGS if setting.pragma):
            cursor.execute(f"PRAGMA {setting.name}")
            row = cursor.fetchone()
            # An in-memory database answers some PRAGMAs (mmap_size) with no row.
            values[setting.name] = NOT_APPLICABLE if row is None else setting.normalise(row[0])
    held = {
        # Set by the backend when it connects (Django 5.1+); None = DEFERRED.
        "transaction_mode": getattr(connection, "transaction_mode", None) or "DEFERRED",
        "CONN_MAX_AGE": connection.settings_dict.get("CONN_MAX_AGE", 0),
    }
    return values | {name: SETTINGS_BY_NAME[name].normalise(value) for name, value in held.items()}


def live_settings(
    connection: BaseDatabaseWrapper | None, *, asgi: bool = False
) -> list[LiveSetting]:
    """Each of ``SETTINGS`` with our recommended value and ``connection``'s ("" without one).

    ``asgi``: the request came through Django's ASGI handler, which runs each request's sync
    code in a thread of its own, so no connection outlives it: we recommend CONN_MAX_AGE=0
    there, as Django's docs do (https://docs.djangoproject.com/en/6.0/ref/databases/#persistent-connections).
    """
    recommended = recommended_values() | ({"CONN_MAX_AGE": "0"} if asgi else {})
    live = live_values(connection) if connection is not None else {}
    return [LiveSetting(s, recommended[s.name], live.get(s.name, "")) for s in SETTINGS]


def is_memory_database(name: str | Path) -> bool:
    """Whether an SQLite ``NAME`` is an in-memory database, not a file."""
    text = str(name)
    return text in ("", ":memory:") or "mode=memory" in text


def database_file(connection: BaseDatabaseWrapper) -> Path | None:
    """The file of an SQLite connection, or None (in memory, or not SQLite)."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or is_memory_database(name):
        return None
    return Path(name.removeprefix("file:").split("?", 1)[0] if name.startswith("file:") else name)
