"""The README's three install steps, applied to a fresh ``startproject``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

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
