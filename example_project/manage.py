#!/usr/bin/env python
"""Run administrative tasks for the django-six-demos example project.

Works from any directory: ``python example_project/manage.py demo`` from the
repository root, or ``python manage.py demo`` from here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    # Python puts this script's directory on sys.path, except in safe-path mode
    # (python -P / PYTHONSAFEPATH); the "example" package lives here.
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings.development")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
