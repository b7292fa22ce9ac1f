"""docs/howto/scale-out.rst shows only commands that a test runs."""

from __future__ import annotations

import shlex

from django_six_demos.tasks.rq import rq_worker_command
from tests.test_move_to_postgresql import ROOT, documented_commands

PAGE = ROOT / "docs" / "howto" / "scale-out.rst"


def test_the_page_shows_the_tested_rq_worker_command():
    # tests/tasks/test_rq.py runs rq_worker_command() in the example
    # project (tox -e py313-django61-rq) and checks it is this string.
    worker = shlex.join(["python", "manage.py", *rq_worker_command()])

    assert documented_commands(PAGE) == ["python -m pip install django-tasks-rq", worker]
