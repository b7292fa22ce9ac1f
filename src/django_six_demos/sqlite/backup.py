"""Online backups of a live SQLite database, and the restore drill that proves them.

The backup API copies one read transaction's snapshot while the site writes; copying a
live WAL database's file can tear it (the database is the file *plus* its ``-wal``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Final

MANIFEST_SUFFIX: Final = ".json"


class BackupError(Exception):
    """The backup or its restore drill failed; the message says why."""


@dataclass(frozen=True)
class Step:
    number: int
    copied: int
    total: int

    def __str__(self) -> str:
        share = self.copied / self.total if self.total else 1.0
        return f"step {self.number}: {self.copied:,} of {self.total:,} pages copied ({share:.0%})"


@dataclass
class Manifest:
    """What a backup contains, written beside it as ``<backup>.json``."""

    source: str
    created_at: str
    sqlite_version: str
    journal_mode: str
    page_size: int
    pages: int
    tables: dict[str, int]
    steps: int = 0
    seconds: float = 0.0

    def write(self, backup_path: Path) -> Path:
        path = manifest_path(backup_path)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, backup_path: Path) -> Manifest | None:
        path = manifest_path(backup_path)
        if not path.is_file():
            return None
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as error:
            raise BackupError(f"{path.name} is not a backup manifest: {error}") from error


@dataclass
class DrillReport:
    integrity: list[str]
    tables: dict[str, int]
    expected: dict[str, int] | None
    seconds: float
    mismatches: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.integrity == ["ok"] and not self.mismatches


def manifest_path(backup_path: Path) -> Path:
    """Where the manifest of ``backup_path`` lives."""
    return backup_path.with_name(backup_path.name + MANIFEST_SUFFIX)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """Each table's row count (SQLite's internal tables excluded)."""
    names = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    return {
        name: connection.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0]
        for (name,) in names
    }


def _open(path: Path, timeout: float = 20.0) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(path, timeout=timeout, isolation_level=None))


def remove_database(path: Path) -> None:
    """Delete an SQLite database file and its journal, WAL and shared-memory files."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def backup(
    source: Path,
    destination: Path,
    *,
    pages: int = 1024,
    timeout: float = 20.0,
    on_step: Callable[[Step], None] | None = None,
    step_delay: float = 0.0,
) -> Manifest:
    """Copy the SQLite database ``source`` to ``destination`` while it stays in use.

    ``pages`` per step (``-1``: all at once), ``on_step`` after each, ``step_delay`` seconds
    between them. The copy is renamed into place once complete; returns its manifest.
    """
    if not source.is_file():
        raise BackupError(f"{source} does not exist.")
    if destination.exists():
        raise BackupError(
            f"{destination} exists; choose a new name (backups are never overwritten)."
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    remove_database(partial)
    started = time.perf_counter()
    steps: list[Step] = []

    def progress(status: int, remaining: int, total: int) -> None:
        steps.append(Step(len(steps) + 1, total - remaining, total))
        if on_step is not None:
            on_step(steps[-1])
        if step_delay and remaining:
            time.sleep(step_delay)

    try:
        with _open(source, timeout=timeout) as live, _open(partial) as copy:
            # One read transaction for the counts and every step: the copy is this
            # snapshot, while other connections commit (WAL lets them).
            live.execute("BEGIN")
            tables = table_counts(live)
            (journal_mode,) = live.execute("PRAGMA journal_mode").fetchone()
            (page_size,) = live.execute("PRAGMA page_size").fetchone()
            (page_count,) = live.execute("PRAGMA page_count").fetchone()
            live.backup(copy, pages=pages, progress=progress)
            live.execute("COMMIT")
            # A backup is one self-contained file, whatever the source's mode.
            copy.execute("PRAGMA journal_mode=DELETE").fetchall()
        os.replace(partial, destination)
    except sqlite3.Error as error:
        remove_database(partial)
        raise BackupError(f"The backup failed: {error}") from error
    manifest = Manifest(
        source=str(source),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        sqlite_version=sqlite3.sqlite_version,
        journal_mode=str(journal_mode),
        page_size=int(page_size),
        pages=int(page_count),
        tables=tables,
        steps=len(steps),
        seconds=round(time.perf_counter() - started, 3),
    )
    manifest.write(destination)
    return manifest


def restore_drill(backup_path: Path, expected: dict[str, int] | None = None) -> DrillReport:
    """Restore ``backup_path`` into a scratch file: integrity_check, and row counts compared.

    ``expected`` defaults to the manifest's counts; without either they are only reported.
    """
    if not backup_path.is_file():
        raise BackupError(f"{backup_path} does not exist.")
    if expected is None and (manifest := Manifest.read(backup_path)) is not None:
        expected = manifest.tables
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="django-six-demos-restore-") as scratch:
        restored = Path(scratch) / "restored.sqlite3"
        try:
            # Restore as one would: the backup API from the backup into a new file.
            with _open(backup_path) as saved, _open(restored) as target:
                saved.backup(target)
            with _open(restored) as target:
                integrity = [row for (row,) in target.execute("PRAGMA integrity_check")]
                tables = table_counts(target)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{backup_path.name} cannot be restored: {error}") from error
    report = DrillReport(integrity, tables, expected, round(time.perf_counter() - started, 3))
    if expected is not None:
        for name in sorted(set(expected) | set(tables)):
            if expected.get(name) != tables.get(name):
                report.mismatches[name] = (expected.get(name), tables.get(name))
    return report


def prune_backups(newest: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backups of ``newest``'s database; return them.

    Only files beside it whose manifest names the same source are touched.
    """
    if keep < 1:
        raise ValueError("keep at least one backup")
    mine = Manifest.read(newest)
    if mine is None:
        raise BackupError(f"{newest.name} has no manifest: it is not a backup to prune beside.")
    backups: list[tuple[str, int, Path]] = []
    for path in newest.parent.iterdir():
        if path == newest or path.name.endswith(MANIFEST_SUFFIX) or not path.is_file():
            continue
        try:
            manifest = Manifest.read(path)
        except BackupError:
            continue  # a broken manifest: not provably ours
        if manifest is not None and manifest.source == mine.source:
            backups.append((manifest.created_at, path.stat().st_mtime_ns, path))
    backups.sort(reverse=True)
    removed = [path for _, _, path in backups[keep - 1 :]]
    for path in removed:
        path.unlink()
        manifest_path(path).unlink(missing_ok=True)
    return removed
