"""``manage.py demos_worker``: reap lost tasks once, then run django-tasks-db's ``db_worker``.

A worker that starts after a crash is the natural moment to clean up after
the crashed one: by default this command runs the reaper
(``demos_reap_tasks``) with ``--reap-older-than`` seconds, then becomes
``db_worker`` with every one of its options unchanged (``--queue-name``,
``--interval``, ``--batch``, ``--no-reload``, ``--no-startup-delay``,
``--max-tasks``, ``--worker-id``, ``--backend``...). ``--no-reap`` skips the
reaper.

https://docs.djangoproject.com/en/6.0/topics/tasks/
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from django_six_demos.tasks.management.commands.demos_reap_tasks import seconds, write_report
from django_six_demos.tasks.reaper import DEFAULT_OLDER_THAN, reap_lost_tasks


class Command(db_worker.Command):
    help = (
        "Reap lost tasks (RUNNING for longer than --reap-older-than seconds), then run "
        "django-tasks-db's database worker (db_worker) with the remaining options."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)  # every db_worker option, unchanged
        parser.add_argument(
            "--reap-older-than",
            type=seconds,
            default=DEFAULT_OLDER_THAN,
            metavar="SECONDS",
            help=(
                "Before starting, fail tasks RUNNING for longer than this (worker lost) "
                f"(default: {DEFAULT_OLDER_THAN.total_seconds():g})."
            ),
        )
        parser.add_argument(
            "--no-reap",
            action="store_false",
            dest="reap",
            help="Don't reap lost tasks before starting.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Take our two options out; db_worker's handle() gets the rest as typed.
        reap: bool = options.pop("reap", True)
        reap_older_than: timedelta = options.pop("reap_older_than", DEFAULT_OLDER_THAN)
        if reap and not _is_reloader_parent(options):
            report = reap_lost_tasks(
                older_than=reap_older_than, backend_alias=options["backend_name"]
            )
            write_report(self, report, options["verbosity"])
        super().handle(*args, **options)


def _is_reloader_parent(options: dict[str, Any]) -> bool:
    """Whether this process only watches files for ``--reload`` (its child runs the worker).

    The child runs ``handle()`` again, and reaps then: once per process that runs tasks.
    """
    reload = options["reload"] and not options["batch"]  # db_worker ignores --reload with --batch
    return bool(reload) and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
