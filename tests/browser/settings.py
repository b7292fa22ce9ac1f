"""Browser-test settings: the example project's development stack, plus a
report-only twin of the strict policy that reports to an in-test collector."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django_six_demos import compat, conf

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# (database set-up, test bodies seeding data) would otherwise refuse to run
# beside it. Set here, so only browser runs get it: other tests start
# deploy checks that rightly reject it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "example_project"))

from example.settings.development import *  # noqa: E402, F403
from example.settings.development import DATABASES, TEMPLATES  # noqa: E402

ROOT_URLCONF = "tests.browser.urls"
REPORT_PATH = "/__csp-report__/"

# The enforced strict policy blocks; its report-only twin reports every
# violation to the collector in tests/browser/urls.py.
globals().update(
    compat.csp_settings(
        conf.strict_policy(), report_only=conf.strict_policy(report_uri=REPORT_PATH)
    )
)

TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], Path(__file__).resolve().parent / "templates"]
# The planted pages' stylesheet (tests/browser/urls.py).
STATICFILES_DIRS = [Path(__file__).resolve().parent / "static"]

# The demo users' passwords are hashed in tests: the default hasher is slow on purpose.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Nothing is collected for tests: the live server serves static files from the
# apps (pytest-django's live_server uses the staticfiles handler), and
# WhiteNoise would warn about a missing STATIC_ROOT directory.
STATIC_ROOT = None

# Persistent connections (the example's CONN_MAX_AGE) outlive the live
# server's request threads and would be garbage collected unclosed.
DATABASES["default"]["CONN_MAX_AGE"] = 0

# Mail stays in memory here, not in the example's sent-emails directory;
# tests/browser/test_emails.py points the file-based backend at a directory of its own.
globals().update(compat.mail_settings("django.core.mail.backends.locmem.EmailBackend"))
