"""``manage.py demos_reap_tasks``: fail the tasks that lost workers left RUNNING.

A task is lost when it has been RUNNING for longer than ``--older-than``
seconds: its worker was killed (SIGKILL, out of memory, power loss) before it
could record a result. Each one becomes FAILED with a "worker lost" error; a
task marked ``@idempotent`` is also enqueued again as a new task. See
:mod:`django_six_demos.tasks.reaper`.

Run it from a timer, or let ``demos_worker`` run it when a worker starts.
``--older-than 0`` fails every RUNNING task: use it only when no worker is
running.

https://docs.djangoproject.com/en/6.0/topics/tasks/
"""

from __future__ import annotations

import math
from argparse import ArgumentParser, ArgumentTypeError
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django_tasks_db.management.commands.db_worker import valid_backend_name

from django_six_demos.tasks.reaper import (
    DEFAULT_OLDER_THAN,
    ReapReport,
    iter_lines,
    reap_lost_tasks,
)


def seconds(value: str) -> timedelta:
    """Parse a command-line number of seconds (zero or more) into a timedelta."""
    try:
        number = float(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(number) or number < 0:
        raise ArgumentTypeError(f"{value!r}: must be zero or more seconds")
    return timedelta(seconds=number)


def write_report(command: BaseCommand, report: ReapReport, verbosity: int) -> None:
    """Print ``report``: one line per lost task and a summary (none at verbosity 0)."""
    if verbosity < 1:
        return
    for line in iter_lines(report, verbosity=verbosity):
        command.stdout.write(line)


class Command(BaseCommand):
    help = (
        "Mark RUNNING tasks older than --older-than seconds as FAILED (worker lost); "
        "re-enqueue those marked @idempotent as new tasks."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--older-than",
            type=seconds,
            default=DEFAULT_OLDER_THAN,
            metavar="SECONDS",
            help=(
                "Reap tasks RUNNING for longer than this; keep it above your longest task "
                f"(default: {DEFAULT_OLDER_THAN.total_seconds():g})."
            ),
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
        report = reap_lost_tasks(older_than=older_than, backend_alias=backend_name, dry_run=dry_run)
        write_report(self, report, verbosity)
