"""Settings of the benchmarks: the example project's production settings, on a throwaway database.

Production, not ``tests.settings``: a benchmark costs what a visitor of a deployed demo costs.
Loaded only after ``benchmarks.harness.configure()``; otherwise it refuses to run.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured
from example.settings.production import *  # noqa: F403

if os.environ.get("DATABASE_URL") or not os.environ.get("EXAMPLE_DATA_DIR"):
    raise ImproperlyConfigured(
        "benchmarks.settings runs on a throwaway SQLite database only: run it through a "
        "benchmark (python -m benchmarks.partials), which sets EXAMPLE_DATA_DIR to "
        "a temporary directory and unsets DATABASE_URL."
    )

# The demo frame (source panel and response inspector) as the demo serves it;
# the benchmarks switch it off per variant with override_settings.
DJANGO_SIX_DEMOS_FRAME = True
