"""ASGI entry point (e.g. ``uvicorn --app-dir example_project example.asgi:application``).

Uses the production settings unless DJANGO_SETTINGS_MODULE says otherwise, and
tells them that they serve ASGI (``EXAMPLE_ASGI``): no persistent connections.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings.production")
# Before the settings load: base.py then sets CONN_MAX_AGE to 0 in this process
# only (the worker, gunicorn and management commands keep theirs).
os.environ["EXAMPLE_ASGI"] = "1"

application = get_asgi_application()
