"""Backups taken while another process writes, and the restore drill.

How the tests know "the row count at the backup's moment". A writer process
commits batches of three rows (ids 1, 2, 3, ... in order, one transaction per
batch, which also sets a counter row to the number of rows). While it runs:

1. ``backup()`` reads each table's count in the read transaction it then
   copies (the manifest); nothing in the test computes that count from the copy.
2. The copy must hold exactly that many rows, and they must be ids 1..N with
   no gap, N a multiple of three and the counter equal to N: the state after
   one of the writer's commits, none torn, none half-copied.
3. A second connection counts the source's rows at each backup step: they
   grow during the backup (the writer really wrote meanwhile) and end above N.

So the copy is the database as it was at one instant during the backup, and
the manifest names that instant's counts.
"""

from __future__ import annotations

import contextlib
import io
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import SimpleTestCase

from django_six_demos.sqlite import backup, contention
from tests.databases import postgres_only
from tests.sqlite.utils import default_database

# Commits batches of three rows until the stop file appears (or 60 s pass),
# with the production settings; exits 1 on any error, e.g. "database is locked".
WRITER = """
import sqlite3, sys, time
from pathlib import Path
path, stop, init_command = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
connection = sqlite3.connect(path, timeout=20, isolation_level=None)
for statement in init_command.split(";"):
    if statement.strip():
        connection.execute(statement).fetchall()
deadline = time.monotonic() + 60
announced = False
while not stop.exists() and time.monotonic() < deadline:
    connection.execute("BEGIN IMMEDIATE")
    for _ in range(3):
        connection.execute("INSERT INTO ticks (payload) VALUES (?)", ("w" * 200,))
    connection.execute("UPDATE totals SET n = (SELECT count(*) FROM ticks) WHERE id = 1")
    connection.execute("COMMIT")
    if not announced:
        print("writing", flush=True)
        announced = True
connection.close()
"""

SEED_ROWS = 3000  # about 170 pages of 4 KiB: many steps at a few pages each


def make_database(path: Path) -> None:
    production = contention.variants()["production"]
    with contextlib.closing(contention.connect(path, production)) as connection:
        connection.executescript(
            """
            CREATE TABLE ticks (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
            CREATE TABLE totals (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
            INSERT INTO totals VALUES (1, 0);
            """
        )
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO ticks (payload) VALUES (?)", [("s" * 200,)] * SEED_ROWS)
        connection.execute("UPDATE totals SET n = ? WHERE id = 1", (SEED_ROWS,))
        connection.execute("COMMIT")


@contextlib.contextmanager
def writer_running(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Run the writer process on ``path`` until the block ends; it must exit cleanly."""
    stop = path.with_name("stop-writing")
    production = contention.variants()["production"]
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(stop), production.init_command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "writing\n", "the writer did not start"
        yield process
    finally:
        stop.touch()
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            stderr = process.stderr.read() if process.stderr else ""
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
    assert process.returncode == 0, stderr


def count(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path, timeout=20)) as connection:
        return int(connection.execute("SELECT count(*) FROM ticks").fetchone()[0])


def assert_is_one_commit_of_the_writer(path: Path, rows: int) -> None:
    with contextlib.closing(sqlite3.connect(path)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("SELECT count(*), min(id), max(id) FROM ticks").fetchone() == (
            rows,
            1,
            rows,
        )
        assert copy.execute("SELECT n FROM totals").fetchone() == (rows,)
        # A backup is one file: not left in WAL mode.
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert rows % 3 == 0
    assert rows > SEED_ROWS


def site_database(name: object) -> dict[str, object]:
    """A site whose default database is the SQLite file ``name``, whatever the suite runs on."""
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": name}


class TemporaryDirectoryMixin(SimpleTestCase):
    def setUp(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.directory = Path(directory.name)
        self.source = self.directory / "site.sqlite3"
        make_database(self.source)


@pytest.mark.slow
class BackupWhileWritingTests(TemporaryDirectoryMixin, SimpleTestCase):
    def test_the_copy_is_the_snapshot_the_counts_were_read_in(self):
        destination = self.directory / "backups" / "site-backup.sqlite3"
        source_rows_at_steps: list[int] = []

        with writer_running(self.source):
            manifest = backup.backup(
                self.source,
                destination,
                pages=4,
                step_delay=0.005,
                on_step=lambda step: source_rows_at_steps.append(count(self.source)),
            )
            after = count(self.source)

        rows = manifest.tables["ticks"]
        assert_is_one_commit_of_the_writer(destination, rows)
        assert manifest.tables == {"ticks": rows, "totals": 1}
        assert manifest.steps == len(source_rows_at_steps) > 10
        assert manifest.journal_mode == "wal"
        # The writer committed between the steps, yet the copy did not move.
        assert rows <= source_rows_at_steps[0] < source_rows_at_steps[-1] <= after
        assert rows < after
        assert backup.manifest_path(destination).is_file()
        assert not destination.with_name(destination.name + ".partial").exists()

        drill = backup.restore_drill(destination)
        assert drill.ok
        assert drill.tables == drill.expected == manifest.tables

    def test_the_command_backs_up_and_drills_while_a_writer_runs(self):
        destination = self.directory / "command-backup.sqlite3"
        out = io.StringIO()

        with (
            default_database(site_database(self.source)),
            writer_running(self.source),
        ):
            call_command(
                "demos_backup", str(destination), "--pages=8", "--step-delay=0.002", stdout=out
            )
            after = count(self.source)

        output = out.getvalue()
        manifest = backup.Manifest.read(destination)
        assert manifest is not None
        rows = manifest.tables["ticks"]
        assert_is_one_commit_of_the_writer(destination, rows)
        assert rows < after
        assert "  step 1: 8 of " in output
        assert f"  ticks: {rows:,} rows (expected {rows})" in output
        assert "  integrity_check: ok" in output
        assert "Restore drill passed in" in output
        assert "Note:" not in output  # WAL: writers did not wait


class BackupTests(TemporaryDirectoryMixin, SimpleTestCase):
    def test_all_pages_in_one_step(self):
        steps: list[backup.Step] = []
        manifest = backup.backup(
            self.source, self.directory / "one.sqlite3", pages=-1, on_step=steps.append
        )

        assert manifest.steps == 1
        assert (
            str(steps[0]) == f"step 1: {manifest.pages:,} of {manifest.pages:,} pages copied (100%)"
        )

    def test_never_overwrites_a_backup(self):
        destination = self.directory / "taken.sqlite3"
        destination.write_text("an older backup")

        with pytest.raises(backup.BackupError, match="exists; choose a new name"):
            backup.backup(self.source, destination)

        assert destination.read_text() == "an older backup"

    def test_a_missing_source_is_an_error(self):
        with pytest.raises(backup.BackupError, match="does not exist"):
            backup.backup(self.directory / "nope.sqlite3", self.directory / "b.sqlite3")

    def test_a_failed_backup_leaves_nothing_behind(self):
        not_a_database = self.directory / "junk.sqlite3"
        not_a_database.write_bytes(b"junk" * 1000)
        destination = self.directory / "b.sqlite3"

        with pytest.raises(backup.BackupError, match="The backup failed"):
            backup.backup(not_a_database, destination)

        assert sorted(p.name for p in self.directory.iterdir()) == ["junk.sqlite3", "site.sqlite3"]

    def test_the_drill_finds_a_count_that_does_not_match(self):
        destination = self.directory / "b.sqlite3"
        backup.backup(self.source, destination)

        drill = backup.restore_drill(destination, expected={"ticks": 1, "totals": 1})

        assert not drill.ok
        assert drill.mismatches == {"ticks": (1, SEED_ROWS)}

    def test_the_drill_refuses_a_file_that_is_not_a_database(self):
        junk = self.directory / "junk.sqlite3"
        junk.write_bytes(b"junk" * 1000)

        with pytest.raises(backup.BackupError, match="cannot be restored"):
            backup.restore_drill(junk)

    def test_a_broken_manifest_is_reported(self):
        destination = self.directory / "b.sqlite3"
        backup.backup(self.source, destination)
        backup.manifest_path(destination).write_text("{}")

        with pytest.raises(backup.BackupError, match="is not a backup manifest"):
            backup.restore_drill(destination)


class BackupCommandTests(TemporaryDirectoryMixin, SimpleTestCase):
    def call(self, *args: str, name: object = None) -> str:
        out = io.StringIO()
        with default_database(site_database(name or self.source)):
            call_command("demos_backup", *args, stdout=out)
        return out.getvalue()

    def test_verify_only_drills_an_existing_backup(self):
        destination = self.directory / "b.sqlite3"
        self.call(str(destination))

        output = self.call(str(destination), "--verify-only")

        assert "Backing up" not in output
        assert f"  ticks: {SEED_ROWS:,} rows (expected {SEED_ROWS})" in output
        assert "Restore drill passed" in output

    def test_verify_only_without_a_manifest_still_checks_integrity(self):
        destination = self.directory / "b.sqlite3"
        self.call(str(destination))
        backup.manifest_path(destination).unlink()

        output = self.call(str(destination), "--verify-only")

        assert "No manifest beside the backup: row counts not compared." in output
        assert "Restore drill passed" in output

    def test_a_mismatch_fails_with_status_1(self):
        destination = self.directory / "b.sqlite3"
        self.call(str(destination))
        manifest = backup.Manifest.read(destination)
        assert manifest is not None
        manifest.tables["ticks"] += 3
        manifest.write(destination)

        with pytest.raises(CommandError, match="the backup is not good") as raised:
            self.call(str(destination), "--verify-only")

        assert raised.value.returncode == 1

    def test_a_rollback_journal_database_gets_a_note(self):
        with contextlib.closing(sqlite3.connect(self.source)) as connection:
            connection.execute("PRAGMA journal_mode=DELETE").fetchall()

        output = self.call(str(self.directory / "b.sqlite3"))

        assert "Note: the database is in delete mode, not WAL" in output

    def test_refuses_an_existing_destination_and_a_missing_backup(self):
        destination = self.directory / "b.sqlite3"
        destination.write_text("keep me")

        with pytest.raises(CommandError, match="exists; choose a new name"):
            self.call(str(destination))
        with pytest.raises(CommandError, match="does not exist"):
            self.call(str(self.directory / "missing.sqlite3"), "--verify-only")

    def test_refuses_an_in_memory_database(self):
        with pytest.raises(CommandError, match="is in memory: there is no file to back up"):
            self.call(str(self.directory / "b.sqlite3"), name=":memory:")

    def test_refuses_other_databases_with_advice(self):
        connection = connections["default"]
        with (
            mock.patch.object(connection, "vendor", "postgresql"),
            mock.patch.object(connection, "display_name", "PostgreSQL"),
            pytest.raises(CommandError, match="the 'default' database is PostgreSQL.*pg_dump"),
        ):
            call_command("demos_backup", str(self.directory / "b.sqlite3"), stdout=io.StringIO())

    @postgres_only
    def test_refuses_a_postgresql_site_with_advice(self):
        with pytest.raises(CommandError, match="the 'default' database is PostgreSQL.*pg_dump"):
            call_command("demos_backup", str(self.directory / "b.sqlite3"), stdout=io.StringIO())

    def test_refuses_bad_page_counts_and_delays(self):
        for args in (["--pages=0"], ["--pages=-2"], ["--pages=x"], ["--step-delay=99"]):
            with self.subTest(args), pytest.raises(CommandError):
                self.call(str(self.directory / "b.sqlite3"), *args)


class PruneBackupsTests(TemporaryDirectoryMixin, SimpleTestCase):
    """``--keep N``: the newest N backups of this database stay, nothing else is touched."""

    def call(self, *args: str) -> str:
        out = io.StringIO()
        with default_database(site_database(self.source)):
            call_command("demos_backup", *args, stdout=out)
        return out.getvalue()

    def backup_made_at(self, name: str, created_at: str) -> Path:
        destination: Path = self.directory / name
        self.call(str(destination))
        # Backups taken within one second share a time: give each its own.
        manifest = backup.Manifest.read(destination)
        assert manifest is not None
        manifest.created_at = created_at
        manifest.write(destination)
        return destination

    def names(self) -> list[str]:
        return sorted(path.name for path in self.directory.iterdir())

    def test_keeps_the_newest_backups_of_this_database_only(self):
        for day in (1, 2, 3):
            self.backup_made_at(f"site-0{day}.sqlite3", f"2026-11-0{day}T03:00:00+00:00")
        # Not this database's backups, or not provably backups: left alone.
        other = self.directory / "other.sqlite3"
        make_database(other)
        with default_database(site_database(other)):
            call_command(
                "demos_backup", str(self.directory / "other-01.sqlite3"), stdout=io.StringIO()
            )
        (self.directory / "notes.txt").write_text("not a backup")
        broken = self.backup_made_at("site-00.sqlite3", "2026-10-31T03:00:00+00:00")
        backup.manifest_path(broken).write_text("{}")

        output = self.call(str(self.directory / "site-04.sqlite3"), "--keep", "2")

        assert "Restore drill passed" in output
        assert f"Removed the older backup {self.directory / 'site-02.sqlite3'}" in output
        assert "Kept the newest 2 backup(s); removed 2." in output
        assert self.names() == [
            "notes.txt",
            "other-01.sqlite3",
            "other-01.sqlite3.json",
            "other.sqlite3",
            "site-00.sqlite3",
            "site-00.sqlite3.json",
            "site-03.sqlite3",
            "site-03.sqlite3.json",
            "site-04.sqlite3",
            "site-04.sqlite3.json",
            "site.sqlite3",
        ]

    def test_a_backup_that_fails_its_drill_removes_nothing(self):
        self.backup_made_at("site-01.sqlite3", "2026-11-01T03:00:00+00:00")
        failed = backup.DrillReport(["page 3 is never used"], {}, None, 0.1)

        with (
            mock.patch.object(backup, "restore_drill", return_value=failed),
            pytest.raises(CommandError, match="the backup is not good"),
        ):
            self.call(str(self.directory / "site-02.sqlite3"), "--keep", "1")

        assert "site-01.sqlite3" in self.names()

    def test_refuses_keeping_none_and_keep_with_verify_only(self):
        for args in (["--keep=0"], ["--keep=-1"], ["--keep=x"]):
            with self.subTest(args), pytest.raises(CommandError):
                self.call(str(self.directory / "b.sqlite3"), *args)
        with pytest.raises(CommandError, match="not with --verify-only"):
            self.call(str(self.directory / "b.sqlite3"), "--verify-only", "--keep=1")
        assert self.names() == ["site.sqlite3"]
