"""``manage.py demos_contention``: measure "database is locked" under concurrent writers.
https://docs.djangoproject.com/en/6.0/ref/databases/#database-is-locked-errors

Runs ``contention.py``'s variants on scratch files; ``--check`` fails if production lost or locked.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_six_demos.management.arguments import bounded
from django_six_demos.sqlite import contention


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


Cell = Callable[[contention.VariantResult], str]
COLUMNS: tuple[tuple[str, int, Cell], ...] = (
    ("variant", 12, lambda r: r.name),
    ("commits", 9, lambda r: f"{r.commits:,}"),
    ("commits/s", 10, lambda r: f"{r.commits_per_second:,.0f}"),
    ("locked", 9, lambda r: f"{r.locked:,}"),
    ("other", 6, lambda r: f"{r.other_errors:,}"),
    ("p50 ms", 9, lambda r: _milliseconds(r.p50_ms)),
    ("p99 ms", 9, lambda r: _milliseconds(r.p99_ms)),
    ("expected", 9, lambda r: f"{r.expected_rows:,}"),
    ("found", 9, lambda r: f"{r.found_rows:,}"),
    ("lost", 5, lambda r: f"{r.lost_rows:,}"),
)


def table(results: list[contention.VariantResult]) -> str:
    """Return the results as a fixed-width text table."""
    lines = ["  ".join(f"{title:>{width}}" for title, width, _ in COLUMNS)]
    lines += ["  ".join(f"{cell(r):>{width}}" for _, width, cell in COLUMNS) for r in results]
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Run N writer processes (plus optional readers) doing read-then-write transactions "
        "on a scratch SQLite file with Django's defaults, WAL alone and the production "
        "settings; report commits/s, 'database is locked' errors, latency and lost rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        for name, kind, low, high, default, text in (
            ("--writers", int, 1, contention.MAX_WRITERS, 8, "Writer processes"),
            ("--readers", int, 0, contention.MAX_READERS, 0, "Reader processes beside the writers"),
            ("--seconds", float, 0.1, contention.MAX_SECONDS, 5.0, "How long each variant runs"),
        ):
            parser.add_argument(
                name,
                type=bounded(kind, low, high),
                default=default,
                help=f"{text} (default: {default:g}).",
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
        for result in results:
            if readers:
                self.stdout.write(
                    f"{result.name}: {result.reads_per_second:,.0f} reads/s, "
                    f"{result.read_errors:,} read errors"
                )
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
