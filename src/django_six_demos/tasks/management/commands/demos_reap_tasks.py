"""``manage.py demos_reap_tasks``: fail the tasks lost workers left RUNNING (see ``reaper.py``).
https://docs.djangoproject.com/en/6.0/topics/tasks/

Run it from a timer; ``--older-than 0`` fails every RUNNING task: only when no worker runs.
"""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django_tasks_db.management.commands.db_worker import valid_backend_name

from django_six_demos.management.arguments import seconds
from django_six_demos.tasks.reaper import DEFAULT_OLDER_THAN, iter_lines, reap_lost_tasks


def reap(
    command: BaseCommand, older_than: timedelta, backend: str, verbosity: int, **kwargs: Any
) -> None:
    """Reap lost tasks and print one line per task and a summary (nothing at verbosity 0)."""
    report = reap_lost_tasks(older_than=older_than, backend_alias=backend, **kwargs)
    if verbosity:
        for line in iter_lines(report, verbosity=verbosity):
            command.stdout.write(line)


def older_than_argument(parser: ArgumentParser, name: str, help: str) -> None:
    """Add the reapers' threshold option, in seconds."""
    help = f"{help} (default: {DEFAULT_OLDER_THAN.total_seconds():g})."
    parser.add_argument(
        name, type=seconds, default=DEFAULT_OLDER_THAN, metavar="SECONDS", help=help
    )


class Command(BaseCommand):
    help = (
        "Mark RUNNING tasks older than --older-than seconds as FAILED (worker lost); "
        "re-enqueue those marked @idempotent as new tasks."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        older_than_argument(
            parser,
            "--older-than",
            "Reap tasks RUNNING for longer than this; keep it above your longest task",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only list the tasks that would be reaped; change nothing.",
        )
        parser.add_argument(
            "--backend",
            type=valid_backend_name,
            default="default",
            dest="backend_name",
            help="The django-tasks-db backend alias (default: 'default').",
        )

    def handle(
        self,
        *,
        older_than: timedelta,
        dry_run: bool,
        backend_name: str,
        verbosity: int,
        **options: Any,
    ) -> None:
        reap(self, older_than, backend_name, verbosity, dry_run=dry_run)
