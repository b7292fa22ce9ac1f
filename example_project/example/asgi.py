"""ASGI entry point (e.g. ``uvicorn --app-dir example_project example.asgi:application``).

Uses the production settings unless DJANGO_SETTINGS_MODULE says otherwise.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings.production")

application = get_asgi_application()
