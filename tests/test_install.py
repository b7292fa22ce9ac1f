"""Any subset of the demos installed alone: checks, migrations and pages.

The install steps themselves, on a fresh ``startproject``, are the how-to's:
tests/test_add_to_existing_project.py follows it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from django_six_demos import conf

pytestmark = pytest.mark.slow

SUBSET_SETTINGS = """
from pathlib import Path

from django_six_demos import compat, conf
from django_six_demos.sqlite.database import sqlite_database

DEMOS = {demos!r}
BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "subset-test-only"
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "subset_urls"
USE_TZ = True
STATIC_URL = "/static/"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    *conf.installed_apps(demos=DEMOS),
]
globals().update(
    conf.demo_settings(
        [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        demos=DEMOS,
    )
)
# A plain SQLite file, which the sqlite demo's check (W010) would flag: clean
# checks without that demo prove its check stays away with it.
DATABASES = {{"default": {database}}}
globals().update(compat.mail_settings("django.core.mail.backends.locmem.EmailBackend"))
"""

# Django Ninja's API root is there for reverse() and answers 404 naming the docs, by design.
NINJA_ROOT = "/demos/api/ninja/"

SUBSET_URLS = """
from django.urls import include, path

urlpatterns = [path("demos/", include("django_six_demos.urls"))]
"""

# Checks, migrates, seeds, then GETs the home page and every page of each
# installed demo without URL arguments, signed in as the seeded staff user.
SUBSET_SCRIPT = """
import importlib, json, re
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import Client
from django.urls import URLResolver, Resolver404, get_resolver, resolve
from django_six_demos import conf
from django_six_demos.demo import installed_demos

def routes(patterns, prefix):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif not pattern.pattern.regex.groups:
            yield prefix + str(pattern.pattern)

result = {"checks": [f"{m.id}: {m.msg}" for m in run_checks()]}
call_command("migrate", verbosity=0)
call_command("demos_seed", verbosity=0)
client = Client()
client.force_login(get_user_model().objects.get(username="staff"))
home = client.get("/demos/")
result["home"] = [home.status_code, re.findall(r'<li class="room" id="room-(\\w+)">', home.text)]
result["pages"] = {}
for demo in installed_demos():
    urls = importlib.import_module(demo.urls_module).urlpatterns
    for url in routes(urls, "/demos/" + demo.url_prefix):
        response = client.get(url)
        allow = response.headers.get("Allow", "")
        result["pages"][url] = [response.status_code, allow]
result["absent"] = {}
namespaces = get_resolver().namespace_dict
for name, config in conf.DEMO_CONFIGS.items():
    if name not in [demo.slug for demo in installed_demos()]:
        try:
            resolve("/demos/" + config.url_prefix)
            resolves = True
        except Resolver404:
            resolves = False
        result["absent"][name] = [resolves, config.label in namespaces]
print(json.dumps(result))
"""

SUBSETS = [[demo] for demo in conf.DEMOS] + [list(conf.DEMOS)]


@pytest.mark.parametrize("demos", SUBSETS, ids=["+".join(demos) for demos in SUBSETS])
def test_any_subset_of_demos_checks_migrates_and_serves_its_pages(tmp_path, demos):
    database = (
        'sqlite_database(BASE_DIR, file_name="subset.sqlite3")'
        if "sqlite" in demos
        else '{"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "subset.sqlite3"}'
    )
    (tmp_path / "subset_settings.py").write_text(
        SUBSET_SETTINGS.format(demos=demos, database=database)
    )
    (tmp_path / "subset_urls.py").write_text(SUBSET_URLS)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "subset_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
        "PYTHONWARNINGS": "error::DeprecationWarning,error::PendingDeprecationWarning",
    }
    run = subprocess.run(
        [sys.executable, "-c", SUBSET_SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])

    assert result["checks"] == []
    assert result["home"] == [200, demos]
    assert result["pages"]
    for url, (status, allow) in result["pages"].items():
        # A POST-only endpoint (an enqueue, a report collector) is not a page.
        if status == 405 and "GET" not in allow:
            continue
        if url == NINJA_ROOT and status == 404:
            continue
        assert status == 200, url
    prefixes = {conf.DEMO_CONFIGS[demo].url_prefix for demo in demos}
    assert {url.split("/")[2] + "/" for url in result["pages"]} == prefixes
    assert result["absent"] == {name: [False, False] for name in conf.DEMOS if name not in demos}
