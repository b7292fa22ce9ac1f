"""The demo users ``demos_seed`` creates, with their public passwords.

Free of models, so the deploy check and the ``demo`` command can import it cheaply.
"""

from __future__ import annotations

from typing import NamedTuple


class DemoUser(NamedTuple):
    username: str
    password: str
    # Staff demo users are superusers too: the admin demo needs every permission.
    is_staff: bool
    # The Speaker row (by name) this user is linked to, if any.
    speaker_name: str | None


# Public on purpose: the docs and the tests import these credentials.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("staff", "staff-demo", True, None),
    DemoUser("ada", "ada-demo", False, "Ada Lovelace"),
    DemoUser("grace", "grace-demo", False, "Grace Hopper"),
)
