"""What several browser tests do before they look: sign a demo user in, run the task worker."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client


def sign_in(page: Any, live_server: Any, username: str) -> None:
    """Sign ``username`` in by a session cookie: seeded passwords work only with DEBUG on."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def run_worker() -> None:
    """Run the worker here, in the test thread: the live server shares the test database."""
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )
