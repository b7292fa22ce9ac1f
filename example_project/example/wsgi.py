"""WSGI entry point, for ``gunicorn --chdir example_project example.wsgi``.

Uses the production settings unless DJANGO_SETTINGS_MODULE says otherwise.
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings.production")

application = get_wsgi_application()
