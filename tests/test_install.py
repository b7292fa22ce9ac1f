"""The README's install steps on a fresh ``startproject``, and any subset of the demos installed alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from django_six_demos import conf

pytestmark = pytest.mark.slow

CLIENT_SCRIPT = textwrap.dedent(
    """
    import re
    from django.test import Client
    response = Client(HTTP_HOST="localhost").get("/demos/")
    header = response.headers.get("Content-Security-Policy", "")
    nonce = re.search(r"'nonce-([^']+)'", header)
    print("status", response.status_code)
    print("csp", bool(header))
    print("nonce-in-page", bool(nonce) and f'nonce="{nonce.group(1)}"' in response.text)
    """
)


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONWARNINGS": "error::DeprecationWarning,error::PendingDeprecationWarning",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def apply_install_steps(project: Path) -> None:
    """Apply the README's steps 2 and 3, as a user would edit the files."""
    settings = project / "mysite" / "settings.py"
    text = settings.read_text()
    # Step 2: the apps, then one helper call after MIDDLEWARE and TEMPLATES.
    text = re.sub(
        r"(INSTALLED_APPS = \[.*?)(\n\])",
        r"\1\n    *conf.installed_apps(),\2",
        text,
        count=1,
        flags=re.DOTALL,
    )
    text = "from django_six_demos import conf\n" + text
    text += "\nglobals().update(conf.demo_settings(MIDDLEWARE, TEMPLATES))\n"
    settings.write_text(text)

    # Step 3: one include().
    urls = project / "mysite" / "urls.py"
    text = urls.read_text().replace(
        "from django.urls import path", "from django.urls import include, path"
    )
    text = text.replace(
        "path('admin/', admin.site.urls),",
        "path('admin/', admin.site.urls),\n    path('demos/', include('django_six_demos.urls')),",
    ).replace(
        'path("admin/", admin.site.urls),',
        'path("admin/", admin.site.urls),\n    path("demos/", include("django_six_demos.urls")),',
    )
    assert "django_six_demos.urls" in text
    urls.write_text(text)


def test_three_install_steps_serve_the_demos_under_csp(tmp_path):
    run(["-m", "django", "startproject", "mysite", str(tmp_path)], cwd=tmp_path)
    apply_install_steps(tmp_path)

    check = run(["manage.py", "check"], cwd=tmp_path)
    # startproject's plain SQLite gets one nudge towards dj-lite's settings, nothing else.
    assert re.findall(r"\((\w+\.[EW]\d+)\)", check.stderr + check.stdout) == [
        "django_six_demos.W010"
    ]
    assert "System check identified 1 issue" in check.stderr
    # The deployment checks too, before migrate: the demo-password check (E015)
    # finds no table to read and stays silent instead of crashing.
    # (Django's own deployment checks fire on startproject's settings: not ours to test.)
    deploy = run(["manage.py", "check", "--deploy", "--fail-level", "CRITICAL"], cwd=tmp_path)
    found = re.findall(r"\((django_six_demos\.[EW]\d+)\)", deploy.stderr + deploy.stdout)
    assert found == ["django_six_demos.W010"]
    run(["manage.py", "migrate", "--no-input", "-v", "0"], cwd=tmp_path)
    result = run(["manage.py", "shell", "-v", "0", "-c", CLIENT_SCRIPT], cwd=tmp_path)

    assert result.stdout.split("\n")[:3] == ["status 200", "csp True", "nonce-in-page True"]


SUBSET_SETTINGS = """
from pathlib import Path

from dj_lite import sqlite_config

from django_six_demos import compat, conf

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
        'sqlite_config(BASE_DIR, file_name="subset.sqlite3")'
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
        assert status == 200, url
    prefixes = {conf.DEMO_CONFIGS[demo].url_prefix for demo in demos}
    assert {url.split("/")[2] + "/" for url in result["pages"]} == prefixes
    assert result["absent"] == {name: [False, False] for name in conf.DEMOS if name not in demos}
