"""A small background task of the project's own, run by the ``db_worker``.

``count_talks.enqueue()`` from ``manage.py shell`` proves the worker started by
``manage.py demo`` is running.
"""

from __future__ import annotations

from django_six_demos.compat import task
from django_six_demos.conference.models import Talk


@task
def count_talks() -> int:
    """Return the number of talks in the database."""
    return Talk.objects.count()
