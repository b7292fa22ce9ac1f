"""``manage.py demos_contention``: measure "database is locked" under concurrent writers.

Starts ``--writers`` processes (plus ``--readers``) doing read-then-write
transactions for ``--seconds`` on a scratch SQLite file, once per variant
(Django's defaults, WAL alone, the production settings), and prints progress
while it runs, then a table: commits/s, "database is locked" errors, commit
latency p50/p99, expected and found rows. ``--check`` exits non-zero when the
production variant had a lock error, another error or lost a row.

The site's own database is never touched: see ``contention.py``.
https://docs.djangoproject.com/en/6.0/ref/databases/#database-is-locked-errors
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_six_demos.sqlite import contention


def _bounded(kind: type[int] | type[float], low: float, high: float) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low:g} to {high:g}, not {text}")
        return value

    return parse


def _variant_names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in contention.VARIANT_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"choose from {','.join(contention.VARIANT_NAMES)}, not {text!r}"
        )
    return names


def _milliseconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


COLUMNS = (
    ("variant", 12),
    ("commits", 9),
    ("commits/s", 10),
    ("locked", 9),
    ("other", 6),
    ("p50 ms", 9),
    ("p99 ms", 9),
    ("expected", 9),
    ("found", 9),
    ("lost", 5),
)


def table(results: list[contention.VariantResult]) -> str:
    """Return the results as a fixed-width text table."""
    lines = ["  ".join(f"{title:>{width}}" for title, width in COLUMNS)]
    for result in results:
        cells = (
            result.name,
            f"{result.commits:,}",
            f"{result.commits_per_second:,.0f}",
            f"{result.locked:,}",
            f"{result.other_errors:,}",
            _milliseconds(result.p50_ms),
            _milliseconds(result.p99_ms),
            f"{result.expected_rows:,}",
            f"{result.found_rows:,}",
            f"{result.lost_rows:,}",
        )
        lines.append("  ".join(f"{cell:>{w}}" for cell, (_, w) in zip(cells, COLUMNS, strict=True)))
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Run N writer processes (plus optional readers) doing read-then-write transactions "
        "on a scratch SQLite file with Django's defaults, WAL alone and the production "
        "settings; report commits/s, 'database is locked' errors, latency and lost rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--writers",
            type=_bounded(int, 1, contention.MAX_WRITERS),
            default=8,
            help="Writer processes (default: 8).",
        )
        parser.add_argument(
            "--readers",
            type=_bounded(int, 0, contention.MAX_READERS),
            default=0,
            help="Reader processes beside the writers (default: 0).",
        )
        parser.add_argument(
            "--seconds",
            type=_bounded(float, 0.1, contention.MAX_SECONDS),
            default=5.0,
            help="How long each variant runs (default: 5).",
        )
        parser.add_argument(
            "--variants",
            type=_variant_names,
            default=list(contention.VARIANT_NAMES),
            help=f"Comma-separated, in order (default: {','.join(contention.VARIANT_NAMES)}).",
        )
        parser.add_argument(
            "--database-dir",
            type=Path,
            default=None,
            help=(
                "Where the scratch databases go (default: a temporary directory). Use the "
                "disk your database is on: fsync speed decides the defaults' figures."
            ),
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit with status 1 if the production variant had any error or lost a row.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names: list[str] = options["variants"]
        if options["check"] and "production" not in names:
            raise CommandError("--check judges the production variant: include it in --variants.")
        writers, readers, seconds = options["writers"], options["readers"], options["seconds"]
        self.stdout.write(
            f"{writers} writer(s), {readers} reader(s), {seconds:g} s per variant: "
            f"{', '.join(names)}"
        )
        all_variants = contention.variants()
        for name in names:
            self.stdout.write(f"  {name}: {all_variants[name].summary}")

        def progress(report: contention.Progress) -> None:
            self.stdout.write(f"  {report}")
            self.stdout.flush()

        try:
            results = contention.run(
                names,
                writers=writers,
                readers=readers,
                seconds=seconds,
                directory=options["database_dir"],
                on_progress=progress,
            )
        except contention.ContentionError as error:
            raise CommandError(str(error)) from error
        self.stdout.write("")
        self.stdout.write(table(results))
        if readers:
            for result in results:
                self.stdout.write(
                    f"{result.name}: {result.reads_per_second:,.0f} reads/s, "
                    f"{result.read_errors:,} read errors"
                )
        for result in results:
            if result.first_other_error:
                self.stdout.write(f"{result.name}: first other error: {result.first_other_error}")
            if result.counter != result.commits:
                self.stdout.write(
                    f"{result.name}: the shared counter reads {result.counter:,} after "
                    f"{result.commits:,} commits (lost updates)"
                )
        if options["check"]:
            [production] = [result for result in results if result.name == "production"]
            if not production.clean:
                raise CommandError(
                    f"production: {production.locked} lock errors, {production.other_errors} "
                    f"other errors, {production.lost_rows} lost rows.",
                    returncode=1,
                )
            self.stdout.write("check: the production settings had no error and lost nothing.")
