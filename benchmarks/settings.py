"""Settings of the benchmarks: the example project's production settings, on a throwaway database.

Why production and not ``tests.settings``: the benchmarks measure what a visitor
of a deployed demo costs, so they run the stack users deploy. The production
settings add, on top of the test settings' middleware, WhiteNoise and
django-permissions-policy, HTTPS-only security (HSTS, secure cookies), the
manifest static files storage, ``CONN_MAX_AGE`` and dj-lite's SQLite
configuration; ``DEBUG`` is off.

The benchmark script prepares the environment before Django reads this module
(a fresh temporary directory for the SQLite database and the collected static
files, a random secret key, ``testserver`` as the allowed host). Imported any
other way, it refuses to run rather than touch the example project's own
database, or the one ``DATABASE_URL`` names.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured
from example.settings.production import *  # noqa: F403

if os.environ.get("DATABASE_URL") or not os.environ.get("EXAMPLE_DATA_DIR"):
    raise ImproperlyConfigured(
        "benchmarks.settings runs on a throwaway SQLite database only: run it through a "
        "benchmark script (python benchmarks/partials.py), which sets EXAMPLE_DATA_DIR to "
        "a temporary directory and unsets DATABASE_URL."
    )

# The demo frame (source panel and response inspector) as the demo serves it;
# the benchmarks switch it off per variant with override_settings.
DJANGO_SIX_DEMOS_FRAME = True
