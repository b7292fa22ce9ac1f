from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import TestCase


class MigrationTests(TestCase):
    def test_models_and_migrations_agree_on_this_django_line(self):
        """Identical migrations on 5.2, 6.0 and 6.1: each env runs this."""
        out = StringIO()
        call_command("makemigrations", check=True, dry_run=True, stdout=out)
        assert "No changes detected" in out.getvalue()
