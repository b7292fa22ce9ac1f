"""``manage.py demos_worker``: reap lost tasks once, then run ``db_worker`` on every queue.
https://docs.djangoproject.com/en/6.0/topics/tasks/

A worker starting after a crash cleans up after the crashed one; ``--no-reap`` skips that.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any, Final

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from django_six_demos.tasks.management.commands.demos_reap_tasks import older_than_argument, reap
from django_six_demos.tasks.reaper import DEFAULT_OLDER_THAN

# db_worker's spelling of "every queue"; its own default is the "default" queue only,
# which would leave the demos' emails and exports READY for ever.
ALL_QUEUES: Final = "*"


class Command(db_worker.Command):
    help = (
        "Reap lost tasks (RUNNING for longer than --reap-older-than seconds), then run "
        "django-tasks-db's database worker (db_worker) with the remaining options, on every "
        "queue unless --queue-name names some."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)  # every db_worker option
        parser.set_defaults(queue_name=ALL_QUEUES)  # ... serving every queue by default
        older_than_argument(
            parser, "--reap-older-than", "Before starting, fail tasks RUNNING for longer than this"
        )
        parser.add_argument(
            "--no-reap",
            action="store_false",
            dest="reap",
            help="Don't reap lost tasks before starting.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Take our two options out; db_worker's handle() gets the rest as typed.
        reap_first: bool = options.pop("reap", True)
        older_than: timedelta = options.pop("reap_older_than", DEFAULT_OLDER_THAN)
        if reap_first and not _is_reloader_parent(options):
            reap(self, older_than, options["backend_name"], options["verbosity"])
        super().handle(*args, **options)


def _is_reloader_parent(options: dict[str, Any]) -> bool:
    """Whether this process only watches files for ``--reload``: its child runs (and reaps)."""
    reload = options["reload"] and not options["batch"]  # db_worker ignores --reload with --batch
    return bool(reload) and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
