"""The example project: its settings, ``check --deploy``, ``demo`` (uvicorn), gunicorn.

Subprocess tests run ``example_project/manage.py`` with ``sys.executable`` and a
fresh database in a temporary ``EXAMPLE_DATA_DIR``; they never leave a child
process behind (each server starts in its own session; ``finally`` kills the
whole process group).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DIR = ROOT / "example_project"
MANAGE_PY = EXAMPLE_DIR / "manage.py"

PRODUCTION = "example.settings.production"
ENV_VARS = (
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_BEHIND_PROXY",
    "DATABASE_URL",
    "REDIS_URL",
    "EXAMPLE_DATA_DIR",
    "EXAMPLE_STATIC_ROOT",
    "EXAMPLE_QUEUE_DB",
    "EXAMPLE_ALLOW_DEVELOPMENT_DATABASE",
    "EXAMPLE_ASGI",
)

NONCE_HEADER = re.compile(r"'nonce-([^']+)'")
NONCE_ATTRIBUTE = re.compile(r'\snonce="([^"]+)"')


# -- Helpers -----------------------------------------------------------------


def child_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """os.environ without pytest-django's settings and the project's variables."""
    env = {key: value for key, value in os.environ.items() if key not in ENV_VARS}
    env["EXAMPLE_DATA_DIR"] = str(data_dir)
    env.update(overrides)
    return env


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    production = {
        "DJANGO_SETTINGS_MODULE": PRODUCTION,
        "DJANGO_SECRET_KEY": get_random_secret_key(),
        "DJANGO_ALLOWED_HOSTS": "demos.example.com,127.0.0.1",
    }
    return child_env(tmp_path, **{**production, **overrides})


def manage(
    args: list[str], env: dict[str, str], cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(MANAGE_PY), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        # Header names in one case: uvicorn sends them in lower case, gunicorn not.
        headers = {name.title(): value for name, value in response.headers.items()}
        return response.status, headers, response.read().decode()


def wait_for_page(
    url: str, process: subprocess.Popen[str], timeout: float, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"server exited with {process.returncode}"
        try:
            return get(url, headers)
        except (urllib.error.URLError, ConnectionError) as error:
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer: {error}") from error
        time.sleep(0.2)


def start_process(
    args: list[str], env: dict[str, str], cwd: Path
) -> tuple[subprocess.Popen[str], OutputReader]:
    """Start ``args`` in a session of its own (stopping its group stops what it started);
    return it and a reader of its output, stdout and stderr together."""
    process = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return process, OutputReader(process)


def check_production_site(
    port: int, server: subprocess.Popen[str], reader: OutputReader, timeout: float
) -> tuple[dict[str, str], str]:
    """Load the home page behind the proxy's HTTPS header: the deploy headers, and the hashed
    stylesheet WhiteNoise serves for a year. Return the page's headers and the stylesheet."""
    https = {"X-Forwarded-Proto": "https"}
    status, headers, page = wait_for_page(
        f"http://127.0.0.1:{port}/", server, timeout=timeout, headers=https
    )
    assert status == 200, reader.text
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "'strict-dynamic'" in headers["Content-Security-Policy"]
    stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, page
    status, css_headers, css = get(f"http://127.0.0.1:{port}{stylesheet[1]}", https)
    assert status == 200
    assert "max-age=315360000" in css_headers["Cache-Control"]
    assert int(css_headers["Content-Length"]) == len(css.encode())
    return headers, css


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except OSError:
        return not status.parent.parent.exists()  # no /proc: trust kill()


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class OutputReader:
    """Drain a child's stdout in a thread, so the pipe never fills up."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.stream = process.stdout
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.stream:
            self.lines.append(line)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(
        self, pattern: str, process: subprocess.Popen[str], timeout: float
    ) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.text)
            if match:
                return match
            if process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} in the output:\n{self.text}")

    def close(self) -> None:
        self.thread.join(timeout=10)
        self.stream.close()


def stop(process: subprocess.Popen[str], *group_leaders: int) -> None:
    """Kill ``process`` (a session leader) and other process groups, then reap."""
    if process.poll() is None:
        kill_group(process.pid)
    for pid in group_leaders:
        if alive(pid):
            kill_group(pid)
    process.wait(timeout=30)


# -- Settings, in process ------------------------------------------------------


@pytest.fixture
def import_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make ``example.settings.*`` importable afresh; forget them afterwards."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.syspath_prepend(str(EXAMPLE_DIR))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name == "example" or name.startswith("example."):
            del sys.modules[name]


def load(name: str) -> ModuleType:
    sys.modules.pop(name, None)
    sys.modules.pop("example.settings.base", None)
    return importlib.import_module(name)


@pytest.mark.usefixtures("import_settings")
def test_production_settings_require_a_secret_key(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "demos.example.com")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY environment variable"):
        load(PRODUCTION)


@pytest.mark.usefixtures("import_settings")
def test_production_settings_require_allowed_hosts(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", get_random_secret_key())
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ALLOWED_HOSTS environment variable"):
        load(PRODUCTION)


@pytest.mark.usefixtures("import_settings")
def test_production_settings_read_the_environment(monkeypatch, tmp_path):
    key = get_random_secret_key()
    monkeypatch.setenv("DJANGO_SECRET_KEY", key)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", " demos.example.com, www.example.com ,")
    monkeypatch.setenv("EXAMPLE_DATA_DIR", str(tmp_path))
    settings = load(PRODUCTION)

    assert key == settings.SECRET_KEY
    assert settings.ALLOWED_HOSTS == ["demos.example.com", "www.example.com"]
    assert settings.DEBUG is False
    assert settings.SECURE_SSL_REDIRECT is True
    assert not hasattr(settings, "SECURE_PROXY_SSL_HEADER")
    assert settings.SECURE_HSTS_SECONDS >= 365 * 24 * 60 * 60
    middleware = settings.MIDDLEWARE
    security = middleware.index("django.middleware.security.SecurityMiddleware")
    assert middleware[security + 1] == "example.middleware.AsyncWhiteNoiseMiddleware"
    database = settings.DATABASES["default"]
    assert database["NAME"] == tmp_path.resolve() / "db.sqlite3"
    assert database["OPTIONS"]["timeout"] == 20
    assert database["CONN_MAX_AGE"] == 600

    monkeypatch.setenv("DJANGO_SECURE_SSL_REDIRECT", "0")
    monkeypatch.setenv("DJANGO_BEHIND_PROXY", "1")
    settings = load(PRODUCTION)
    assert settings.SECURE_SSL_REDIRECT is False
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.fixture
def production_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SECRET_KEY", get_random_secret_key())
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "demos.example.com")


@pytest.mark.usefixtures("import_settings", "production_variables")
def test_production_settings_refuse_the_development_database(monkeypatch):
    development = load("example.settings.development").DATABASES["default"]["NAME"]
    assert development == EXAMPLE_DIR.resolve() / "db.sqlite3"

    with pytest.raises(ImproperlyConfigured, match="refuse the development database") as error:
        load(PRODUCTION)
    assert "EXAMPLE_DATA_DIR" in str(error.value)
    assert "EXAMPLE_ALLOW_DEVELOPMENT_DATABASE=1" in str(error.value)
    # Named explicitly, it is still the same file.
    monkeypatch.setenv("EXAMPLE_DATA_DIR", str(EXAMPLE_DIR))
    with pytest.raises(ImproperlyConfigured, match="refuse the development database"):
        load(PRODUCTION)
    monkeypatch.setenv("EXAMPLE_QUEUE_DB", "1")
    with pytest.raises(ImproperlyConfigured, match="refuse the development database"):
        load(PRODUCTION)


@pytest.mark.usefixtures("import_settings", "production_variables")
def test_production_opens_the_development_database_only_when_told(monkeypatch):
    monkeypatch.setenv("EXAMPLE_ALLOW_DEVELOPMENT_DATABASE", "1")

    database = load(PRODUCTION).DATABASES["default"]
    assert database["NAME"] == EXAMPLE_DIR.resolve() / "db.sqlite3"


@pytest.mark.usefixtures("import_settings", "production_variables")
def test_production_takes_another_database(monkeypatch, tmp_path):
    monkeypatch.setenv("EXAMPLE_DATA_DIR", str(tmp_path))
    assert load(PRODUCTION).DATABASES["default"]["NAME"] == tmp_path.resolve() / "db.sqlite3"

    monkeypatch.delenv("EXAMPLE_DATA_DIR")
    monkeypatch.setenv("DATABASE_URL", "postgres://demo:secret@db.internal:5432/demos")
    assert load(PRODUCTION).DATABASES["default"]["NAME"] == "demos"


@pytest.mark.usefixtures("import_settings")
def test_sign_in_throttling_in_development_and_production(monkeypatch, tmp_path):
    monkeypatch.setenv("DJANGO_SECRET_KEY", get_random_secret_key())
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "demos.example.com")
    monkeypatch.setenv("EXAMPLE_DATA_DIR", str(tmp_path))
    for name in ("example.settings.development", PRODUCTION):
        settings = load(name)

        assert "axes" in settings.INSTALLED_APPS
        assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
        assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
        assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
        assert settings.AXES_HTTP_RESPONSE_CODE == 429
        # The visitor's own address, not a proxy's, unless a proxy is declared.
        assert not hasattr(settings, "AXES_CLIENT_IP_CALLABLE")


@pytest.mark.usefixtures("import_settings", "production_variables")
def test_behind_a_proxy_the_address_comes_from_x_forwarded_for(monkeypatch, tmp_path):
    from django.test import RequestFactory

    monkeypatch.setenv("EXAMPLE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DJANGO_BEHIND_PROXY", "1")
    settings = load(PRODUCTION)
    assert settings.AXES_CLIENT_IP_CALLABLE == "example.proxy.client_ip"
    assert settings.RATELIMIT_IP_META_KEY == "example.proxy.client_ip"

    from example.proxy import client_ip

    def address(forwarded):
        headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
        return client_ip(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", headers=headers))

    # The proxy appended the last entry; the client wrote the ones before it.
    assert address("6.6.6.6, 198.51.100.7") == "198.51.100.7"
    assert address("2001:db8::1") == "2001:db8::1"
    assert address("not-an-address") == "10.0.0.2"
    assert address(None) == "10.0.0.2"


@pytest.mark.usefixtures("import_settings")
def test_database_url_wins_over_sqlite(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://demo:secret@db.internal:5432/demos")
    database = load("example.settings.development").DATABASES["default"]

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["NAME"] == "demos"
    assert database["CONN_MAX_AGE"] == 600
    assert database["CONN_HEALTH_CHECKS"] is True


@pytest.mark.usefixtures("import_settings")
def test_only_the_asgi_process_drops_persistent_connections(monkeypatch, tmp_path):
    """example/asgi.py sets EXAMPLE_ASGI: each request has a thread of its own there."""
    monkeypatch.setenv("EXAMPLE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EXAMPLE_QUEUE_DB", "1")

    def ages() -> set[object]:
        databases = load("example.settings.development").DATABASES
        assert set(databases) == {"default", "tasks"}
        return {database["CONN_MAX_AGE"] for database in databases.values()}

    assert ages() == {600}
    monkeypatch.setenv("EXAMPLE_ASGI", "1")
    assert ages() == {0}
    monkeypatch.delenv("EXAMPLE_QUEUE_DB")
    monkeypatch.setenv("DATABASE_URL", "postgres://demo:secret@db.internal:5432/demos")
    database = load("example.settings.development").DATABASES["default"]
    assert database["CONN_MAX_AGE"] == 0
    assert database["CONN_HEALTH_CHECKS"] is True


@pytest.mark.usefixtures("import_settings")
def test_redis_url_moves_the_tasks_to_rq(monkeypatch):
    from django_six_demos.tasks.rq import rq_task_settings

    assert "django_rq" not in load("example.settings.development").INSTALLED_APPS
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/3")
    settings = load("example.settings.development")

    rq = rq_task_settings("redis://redis.internal:6379/3")
    assert rq["TASKS"] == settings.TASKS
    assert rq["RQ_QUEUES"] == settings.RQ_QUEUES
    assert settings.INSTALLED_APPS.count("django_rq") == 1
    assert "django_tasks_db" in settings.INSTALLED_APPS
    # The rate limits count in the same Redis, shared by every process.
    assert settings.CACHES["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://redis.internal:6379/3",
    }


@pytest.mark.usefixtures("import_settings")
def test_development_settings_let_whitenoise_serve_static_files():
    apps = load("example.settings.development").INSTALLED_APPS

    assert apps.index("whitenoise.runserver_nostatic") < apps.index("django.contrib.staticfiles")
    assert "example" in apps


# -- manage.py check, in subprocesses --------------------------------------------


@pytest.mark.slow
def test_development_check_passes_from_any_directory(tmp_path):
    result = manage(["check"], child_env(tmp_path), cwd=tmp_path)

    assert "System check identified no issues (0 silenced)." in result.stdout
    assert not result.stderr


@pytest.mark.slow
def test_production_deploy_check_has_no_issues(tmp_path):
    env = production_env(tmp_path)
    result = manage(["check", "--deploy", "--fail-level", "WARNING"], env, cwd=tmp_path)

    assert "System check identified no issues (0 silenced)." in result.stdout
    assert not result.stderr


CHANGE_DEMO_PASSWORDS = textwrap.dedent(
    """
    from django.contrib.auth import get_user_model
    from django_six_demos.conference.demo_users import DEMO_USERS
    for demo in DEMO_USERS:
        user = get_user_model().objects.get(username=demo.username)
        print(demo.username, "signs in with the demo password:", user.check_password(demo.password))
        user.set_password(demo.username + "-a-private-passphrase")
        user.save()
    """
)


@pytest.mark.slow
def test_production_deploy_check_fails_while_a_demo_password_works(tmp_path):
    # A database `manage.py demo` seeded (development), then deployed as it is.
    development = child_env(tmp_path)
    manage(["migrate", "--no-input", "-v", "0"], development, cwd=tmp_path)
    manage(["demos_seed"], development, cwd=tmp_path)
    production = production_env(tmp_path)

    result = manage(["check", "--deploy"], production, cwd=tmp_path, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "(django_six_demos.E015) Demo users still have their public passwords: ada, grace, staff."
        in result.stderr
    )

    changed = manage(["shell", "-v", "0", "-c", CHANGE_DEMO_PASSWORDS], production, cwd=tmp_path)
    assert changed.stdout.splitlines() == [
        "staff signs in with the demo password: True",
        "ada signs in with the demo password: True",
        "grace signs in with the demo password: True",
    ]
    result = manage(["check", "--deploy", "--fail-level", "WARNING"], production, cwd=tmp_path)
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert not result.stderr


@pytest.mark.slow
def test_production_refuses_the_development_database_from_the_command_line(tmp_path):
    env = production_env(tmp_path)
    del env["EXAMPLE_DATA_DIR"]
    result = manage(["check"], env, cwd=tmp_path, check=False)

    assert result.returncode != 0
    assert "The production settings refuse the development database" in result.stderr


SIGN_IN_ATTEMPTS = textwrap.dedent(
    """
    import json
    from django.contrib.auth import get_user_model
    from django.test import Client

    get_user_model().objects.create_user("visitor", password="visitor-passphrase")
    get_user_model().objects.create_superuser("boss", "boss@example.com", "boss-passphrase")

    def attempt(path, username, password, address="198.51.100.7"):
        client = Client(HTTP_HOST="localhost", REMOTE_ADDR=address)
        response = client.post(path, {"username": username, "password": password})
        return {
            "status": response.status_code,
            "signed_in": "_auth_user_id" in client.session,
            "csp": response.headers.get("Content-Security-Policy", ""),
            "page": response.content.decode(),
        }

    for path, username, password in (
        ("/sign-in/", "visitor", "visitor-passphrase"),
        ("/admin/login/", "boss", "boss-passphrase"),
    ):
        print(json.dumps({
            "path": path,
            "wrong": [attempt(path, username, "wrong")["status"] for _ in range(5)],
            "right": attempt(path, username, password),
            "elsewhere": attempt(path, username, password, address="203.0.113.50"),
        }))
    """
)


@pytest.mark.slow
def test_five_wrong_passwords_lock_out_the_right_one_too(tmp_path):
    env = child_env(tmp_path)
    manage(["migrate", "--no-input", "-v", "0"], env, cwd=tmp_path)
    result = manage(["shell", "-v", "0", "-c", SIGN_IN_ATTEMPTS], env, cwd=tmp_path)
    runs = [json.loads(line) for line in result.stdout.splitlines()]

    assert [run["path"] for run in runs] == ["/sign-in/", "/admin/login/"]
    for run in runs:
        # The fifth failure is the one that locks.
        assert run["wrong"] == [200, 200, 200, 200, 429], run["path"]
        right = run["right"]
        assert (right["status"], right["signed_in"]) == (429, False), run["path"]
        assert "Too many failed sign-ins" in right["page"]
        assert "is locked after 5 wrong passwords" in right["page"]
        assert "Try again in 15 minutes" in right["page"]
        # Rendered under the strict policy, its scripts carrying the header's nonce.
        header_nonce = NONCE_HEADER.search(right["csp"])
        assert header_nonce, right["csp"]
        assert set(NONCE_ATTRIBUTE.findall(right["page"])) == {header_nonce[1]}
        # Keyed on username and address together: the user is not locked out elsewhere.
        assert (run["elsewhere"]["status"], run["elsewhere"]["signed_in"]) == (302, True)


@pytest.mark.slow
def test_production_settings_name_the_missing_variable(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = manage(["check"], env, cwd=tmp_path, check=False)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY environment variable is required" in result.stderr


# -- The one command --------------------------------------------------------------


@pytest.mark.slow
def test_demo_command_refuses_production_settings(tmp_path):
    result = manage(["demo"], production_env(tmp_path), cwd=tmp_path, check=False)

    assert result.returncode == 1
    assert "demo is for local development" in result.stderr
    assert "Applying migrations" not in result.stdout


ENQUEUE_AND_WAIT = textwrap.dedent(
    """
    import time
    from example.tasks import count_talks
    from django_six_demos.compat import TaskResultStatus
    result = count_talks.enqueue()
    deadline = time.monotonic() + 30
    while result.status != TaskResultStatus.SUCCESSFUL and time.monotonic() < deadline:
        time.sleep(0.1)
        result.refresh()
    print("status", result.status.name)
    print("value", result.return_value if result.status == TaskResultStatus.SUCCESSFUL else None)
    """
)


@contextlib.contextmanager
def running_demo(
    env: dict[str, str], cwd: Path, port: int
) -> Iterator[tuple[subprocess.Popen[str], OutputReader, str, list[int]]]:
    """Start ``manage.py demo``; yield it, its output, its URL and its children's pids.

    The children are the server and the worker, in that order. On the way
    out, whatever is still running is stopped.
    """
    demo, reader = start_process(
        [sys.executable, str(MANAGE_PY), "demo", "--port", str(port)], env, cwd
    )
    children: list[int] = []
    try:
        url = reader.wait_for(r"running at (http://127\.0\.0\.1:\d+/)", demo, timeout=90)[1]
        children += [
            int(reader.wait_for(rf"{name}: pid (\d+)", demo, timeout=5)[1])
            for name in ("server", "worker")
        ]
        yield demo, reader, url, children
    finally:
        stop(demo, *children)
        reader.close()


@pytest.mark.slow
def test_demo_command_runs_server_and_worker_and_stops_cleanly(tmp_path):
    port = free_port()
    env = child_env(tmp_path)
    with running_demo(env, tmp_path, port) as (demo, reader, url, children):
        assert url == f"http://127.0.0.1:{port}/"

        status, headers, page = wait_for_page(url, demo, timeout=30)
        assert status == 200
        header_nonce = NONCE_HEADER.search(headers["Content-Security-Policy"])
        assert header_nonce, headers["Content-Security-Policy"]
        assert NONCE_ATTRIBUTE.findall(page) and set(NONCE_ATTRIBUTE.findall(page)) == {
            header_nonce[1]
        }
        # ASGI: uvicorn, reloading on code changes, in the development settings.
        assert headers["Server"] == "uvicorn"
        assert re.search(
            r"server: pid \d+ \(python -m uvicorn example\.asgi:application .*--reload", reader.text
        ), reader.text
        assert 'id="demo-inspector"' in page
        # WhiteNoise serves the apps' static files, uncollected.
        stylesheet = re.search(r'href="(/static/django_six_demos/demos\.css)"', page)
        assert stylesheet, page
        status, headers, css = get(f"{url}{stylesheet[1].lstrip('/')}")
        assert status == 200 and headers["Content-Type"].startswith("text/css")
        assert css == (ROOT / "src/django_six_demos/static/django_six_demos/demos.css").read_text()

        status, headers, page = get(f"{url}sign-in/")
        assert status == 200
        assert 'name="csrfmiddlewaretoken"' in page
        assert "Content-Security-Policy" in headers

        shell = manage(["shell", "-v", "0", "-c", ENQUEUE_AND_WAIT], env, cwd=tmp_path)
        lines = shell.stdout.splitlines()
        assert lines[0] == "status SUCCESSFUL", shell.stdout + shell.stderr
        assert int(lines[1].split()[1]) > 0  # the seeded talks

        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=20) == 0, reader.text
        reader.close()
        assert "Stopped." in reader.text
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if alive(pid)], reader.text


@pytest.mark.slow
def test_demo_command_fails_when_a_child_dies(tmp_path):
    with running_demo(child_env(tmp_path), tmp_path, free_port()) as (demo, reader, _, children):
        os.killpg(children[1], signal.SIGKILL)  # the worker

        assert demo.wait(timeout=20) != 0
        reader.close()
        assert re.search(r"The worker \(pid \d+\) exited unexpectedly", reader.text), reader.text
        deadline = time.monotonic() + 5
        while alive(children[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(children[0]), "the server outlived the demo command"


# -- The documented production server ------------------------------------------------


@pytest.mark.slow
def test_gunicorn_serves_the_production_settings(tmp_path):
    pytest.importorskip("gunicorn", reason="gunicorn is in the 'example' dependency group")
    port = free_port()
    env = production_env(
        tmp_path,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_BEHIND_PROXY="1",
        EXAMPLE_STATIC_ROOT=str(tmp_path / "static"),
    )
    manage(["migrate", "--no-input", "-v", "0"], env, cwd=tmp_path)
    manage(["collectstatic", "--no-input", "-v", "0"], env, cwd=tmp_path)
    server, reader = start_process(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--chdir",
            "example_project",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "example.wsgi",
        ],
        env,
        ROOT,
    )
    try:
        headers, _ = check_production_site(port, server, reader, timeout=60)
        assert "camera=()" in headers["Permissions-Policy"]
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, reader.text
    finally:
        stop(server)
        reader.close()
