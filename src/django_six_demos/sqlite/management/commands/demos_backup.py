"""``manage.py demos_backup DEST``: back up the live SQLite database, then prove the copy.
https://docs.djangoproject.com/en/6.0/ref/databases/#sqlite-notes

``--verify-only`` runs the restore drill alone; ``--keep N`` prunes older backups beside DEST.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from django_six_demos.management.arguments import bounded
from django_six_demos.sqlite import backup
from django_six_demos.sqlite.database import database_file


class Command(BaseCommand):
    help = (
        "Back up the SQLite database to DEST with SQLite's online backup API (safe while "
        "the site writes), then run a restore drill: integrity_check and row counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", type=Path, metavar="DEST", help="The backup file.")
        parser.add_argument(
            "--pages",
            type=bounded(int, 1, also=(-1,)),
            default=1024,
            help="Pages copied per step, -1 for all in one step (default: 1024).",
        )
        parser.add_argument(
            "--step-delay",
            type=bounded(float, 0, 60),
            default=0.0,
            help="Seconds to pause between steps, leaving the disk to the site (default: 0).",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            choices=list(connections),
            help="The database alias to back up (default: default).",
        )
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="Don't back up: run the restore drill on the existing DEST.",
        )
        parser.add_argument(
            "--keep",
            type=bounded(int, 1),
            default=None,
            metavar="N",
            help=(
                "After a backup that passes its drill, delete all but the newest N backups "
                "of this database in DEST's directory (those with a manifest; default: keep all)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        destination: Path = options["destination"]
        if options["verify_only"]:
            if options["keep"] is not None:
                raise CommandError("--keep prunes after a new backup: not with --verify-only.")
            self._drill(destination)
            return
        source = self._source(options["database"])
        self.stdout.write(f"Backing up {source.name} to {destination}")
        try:
            manifest = backup.backup(
                source,
                destination,
                pages=options["pages"],
                step_delay=options["step_delay"],
                on_step=lambda step: self.stdout.write(f"  {step}"),
            )
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest.tables.values())
        self.stdout.write(
            f"Backed up {manifest.pages:,} pages in {manifest.steps} step(s), "
            f"{manifest.seconds:.2f} s: {len(manifest.tables)} tables, {rows:,} rows "
            f"at the backup's moment."
        )
        if manifest.journal_mode.lower() != "wal":
            self.stdout.write(
                f"Note: the database is in {manifest.journal_mode} mode, not WAL: writers "
                "waited while the backup ran."
            )
        self._drill(destination)
        # Only now: a backup that failed its drill must not cost a good one.
        if options["keep"] is not None:
            removed = backup.prune_backups(destination, options["keep"])
            for path in removed:
                self.stdout.write(f"Removed the older backup {path}")
            self.stdout.write(
                f"Kept the newest {options['keep']} backup(s); removed {len(removed)}."
            )

    def _source(self, alias: str) -> Path:
        connection = connections[alias]
        if connection.vendor != "sqlite":
            raise CommandError(
                f"demos_backup backs up SQLite; the {alias!r} database is "
                f"{connection.display_name}. Use that database's own tools (e.g. pg_dump)."
            )
        path = database_file(connection)
        if path is None:
            raise CommandError(f"The {alias!r} database is in memory: there is no file to back up.")
        return path

    def _drill(self, destination: Path) -> None:
        self.stdout.write(f"Restore drill on {destination}")
        try:
            report = backup.restore_drill(destination)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"  integrity_check: {', '.join(report.integrity[:5])}")
        for name, count in report.tables.items():
            expected = "" if report.expected is None else f" (expected {report.expected.get(name)})"
            self.stdout.write(f"  {name}: {count:,} rows{expected}")
        for name, (expected_count, found) in report.mismatches.items():
            self.stdout.write(f"  MISMATCH {name}: expected {expected_count}, found {found}")
        if report.expected is None:
            self.stdout.write("  No manifest beside the backup: row counts not compared.")
        if not report.ok:
            raise CommandError(
                f"The restore drill failed after {report.seconds:.2f} s: the backup is not good.",
                returncode=1,
            )
        self.stdout.write(f"Restore drill passed in {report.seconds:.2f} s.")
