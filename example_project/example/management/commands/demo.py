"""``manage.py demo``: the one command that runs the whole demo site locally.

It checks that the port is free (else it names a free one), migrates the
database, seeds it on first run (``demos_seed``), then starts two child
processes and watches them:

- the development server: uvicorn serving ``example.asgi`` (ASGI, so async
  views stream), with the development settings and ``--reload``, which restarts it
  when a ``.py`` file under ``src/`` or ``example_project/`` changes
  (templates are read afresh on each render in development), and
- the task worker (``demos_worker --interval 0.1``).
  ``demos_worker`` is django-tasks-db's ``db_worker`` that first fails the
  tasks a killed worker left RUNNING (``demos_reap_tasks``). When the tasks
  run on RQ (``REDIS_URL`` set), the worker is django-rq's ``rqworker`` with
  django-tasks-rq's job class instead.

Each child runs in its own session, so Ctrl-C in the terminal reaches only
this command, which then stops each child exactly once: SIGTERM, a grace
period, SIGKILL if needed. A worker signalled twice would abandon its current
task; one SIGTERM lets it finish. The worker runs without ``--reload`` for the
same reason: restart ``demo`` after editing task code.

If either child exits on its own, the other is stopped and the command fails.
"""

from __future__ import annotations

import errno
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

import django_six_demos
import example
from django_six_demos import compat, conf
from django_six_demos.conference.demo_users import DEMO_USERS
from django_six_demos.conference.models import Talk
from django_six_demos.tasks import rq

EXAMPLE_DIR = Path(example.__file__).resolve().parent.parent
MANAGE_PY = EXAMPLE_DIR / "manage.py"
# The package's code: an edit there restarts the server too.
PACKAGE_DIR = Path(django_six_demos.__file__).resolve().parent

# Seconds uvicorn lets open responses (a streamed answer) finish when it stops.
GRACEFUL_SHUTDOWN = 3

# Ports after the busy one tried for a free one to suggest.
PORTS_TO_TRY = 100

# Seconds a child gets to exit after SIGTERM before it is killed.
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.2


class Child:
    """A child process started in its own session (its own process group).

    ``args`` are ``python -m ...`` arguments (``["uvicorn", ...]``) or ``manage.py``'s.
    """

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], *, module: str | None = None
    ) -> None:
        self.name = name
        self.args = args
        self.command = f"python -m {module}" if module else "manage.py"
        self.process = subprocess.Popen(
            [sys.executable, *(["-m", module] if module else [str(MANAGE_PY)]), *args],
            env=env,
            # Own session: the terminal's Ctrl-C is not delivered to it (the
            # parent forwards one signal), and its own children form its group.
            start_new_session=os.name == "posix",
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def returncode(self) -> int | None:
        return self.process.poll()

    def send(self, signum: int) -> None:
        """Send ``signum`` to the child's whole process group (its reloader's child too)."""
        if self.process.poll() is not None:
            return
        try:
            if os.name == "posix":
                os.killpg(self.process.pid, signum)
            elif signum == getattr(signal, "SIGKILL", None):
                self.process.kill()
            else:
                self.process.terminate()
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        self.send(getattr(signal, "SIGKILL", signal.SIGTERM))
        self.process.wait()


class Command(BaseCommand):
    help = (
        "Run the demo site locally: migrate, seed demo data once, then start the "
        "development server and the task worker until Ctrl-C."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to serve on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to serve on.")
        parser.add_argument(
            "--no-worker",
            action="store_false",
            dest="worker",
            help="Don't start the background task worker.",
        )

    def handle(self, *args: Any, host: str, port: int, worker: bool, **options: Any) -> None:
        verbosity: int = options["verbosity"]
        if not settings.DEBUG:
            raise CommandError(
                "demo is for local development (DEBUG = True): it seeds users whose "
                "passwords are public. For production, see example_project/README.md."
            )
        bracketed = f"[{host}]" if ":" in host else host
        # Before anything starts: the server would fail only after "running at".
        check_port(host, port)
        self._signals = 0
        self._prepare_database(verbosity)

        env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
        url = f"http://{bracketed}:{port}/"

        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        children: list[Child] = []
        try:
            children.append(Child("server", server_args(host, port), env, module="uvicorn"))
            if worker:
                children.append(Child("worker", worker_args(), env))
            self._watch(children, host, port, url)
        finally:
            self._stop(children)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write("Stopped.")

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1

    def _prepare_database(self, verbosity: int) -> None:
        database = connections["default"].settings_dict
        if database["ENGINE"] == "django.db.backends.sqlite3":
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
            self.stdout.write(f"Database: {database['NAME']}")
        self.stdout.write("Applying migrations...")
        self.stdout.flush()
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        if not Talk.objects.exists():
            self.stdout.write("No talks yet: seeding the demo data.")
            self.stdout.flush()
            call_command("demos_seed")
        # The parent only watches from here on; children open their own.
        connections.close_all()

    def _watch(self, children: list[Child], host: str, port: int, url: str) -> None:
        """Wait for a signal (return) or a child's exit (raise CommandError)."""
        announced = False
        while not self._signals:
            for child in children:
                code = child.returncode()
                if code is not None:
                    others = [c.name for c in children if c is not child]
                    stopping = f"; stopping the {others[0]}" if others else ""
                    raise CommandError(
                        f"The {child.name} (pid {child.pid}) exited unexpectedly "
                        f"with code {code}{stopping}.",
                        returncode=1,
                    )
            if not announced and _accepts_connections(host, port):
                announced = True
                self._announce(children, url)
            time.sleep(POLL_INTERVAL)

    def _announce(self, children: list[Child], url: str) -> None:
        lines = ["", f"The demos are running at {url}", ""]
        lines += [
            f"  {child.name}: pid {child.pid} ({child.command} {shlex.join(child.args)})"
            for child in children
        ]
        if not any(child.name == "worker" for child in children):
            lines.append("  worker: not started (--no-worker); tasks stay queued")
        lines += ["", "  Demo users (local use only):"]
        lines += [
            f"    {user.username} / {user.password}"
            + ("  (superuser: /admin/)" if user.is_staff else "  (speaker)")
            for user in DEMO_USERS
        ]
        lines += ["", "Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def _stop(self, children: list[Child]) -> None:
        """SIGTERM each child once, wait, then SIGKILL what is left."""
        running = [child for child in children if child.returncode() is None]
        if not running:
            return
        self.stdout.write("Stopping " + ", ".join(f"{c.name} (pid {c.pid})" for c in running))
        self.stdout.flush()
        signals_before = self._signals
        for child in running:
            child.send(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline and self._signals == signals_before:
            if all(child.returncode() is not None for child in running):
                return
            time.sleep(0.05)
        # Out of time, or asked again (a second Ctrl-C): no more waiting.
        for child in running:
            if child.returncode() is None:
                self.stderr.write(f"The {child.name} (pid {child.pid}) did not stop: killing it.")
                child.kill()


def server_args(host: str, port: int) -> list[str]:
    """Return uvicorn's arguments: ``example.asgi`` with reload, in development settings.

    The settings come from the environment (DJANGO_SETTINGS_MODULE), which
    ``example/asgi.py`` would otherwise set to production.
    """
    return [
        "example.asgi:application",
        "--app-dir",
        str(EXAMPLE_DIR),
        "--host",
        host,
        "--port",
        str(port),
        # One process (WEB_CONCURRENCY is ignored), restarted on code changes;
        # without watchfiles, uvicorn polls the .py files' times.
        "--workers",
        "1",
        "--reload",
        "--reload-dir",
        str(PACKAGE_DIR),
        "--reload-dir",
        str(EXAMPLE_DIR),
        # Django has no lifespan events.
        "--lifespan",
        "off",
        "--timeout-graceful-shutdown",
        str(GRACEFUL_SHUTDOWN),
    ]


def worker_args() -> list[str]:
    """Return the ``manage.py`` arguments of the worker for the default task backend."""
    tasks = settings.TASKS[compat.DEFAULT_TASK_BACKEND_ALIAS]
    if tasks["BACKEND"] == compat.RQ_TASK_BACKEND:
        # RQ: django-rq's worker on every queue (it forks a process per task;
        # one SIGTERM lets the current task finish, like db_worker).
        return rq.rq_worker_command(queues=tasks.get("QUEUES") or conf.TASK_QUEUES)
    return [
        # db_worker on every queue (its default), after reaping lost tasks (RUNNING > 10 minutes).
        "demos_worker",
        "--interval",
        "0.1",
        "--no-reload",
        "--no-startup-delay",
    ]


def bind_error(host: str, port: int) -> OSError | None:
    """Bind ``host:port`` as the server will, and release it; return why that failed, if it did."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            if os.name == "posix":  # As uvicorn: a port left in TIME_WAIT is free.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as error:  # socket.gaierror too: a host name that does not resolve
        return error
    return None


def free_port(host: str, after: int) -> int:
    """Return a port ``host`` can serve on: the first free one after ``after``, else any."""
    for port in range(after + 1, min(after + PORTS_TO_TRY, 65535) + 1):
        if bind_error(host, port) is None:
            return port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))  # the system's choice
        return int(sock.getsockname()[1])


def check_port(host: str, port: int) -> None:
    """Raise CommandError, naming a free port to use, if the server could not listen there."""
    error = bind_error(host, port)
    if error is None:
        return
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if error.errno == errno.EADDRINUSE:
        raise CommandError(
            f"Port {port} is already in use on {host} (another demo or runserver?), so "
            f"nothing was started. Stop that server, or use another port: "
            f"python manage.py demo --port {free_port(host, port)}"
        )
    if error.errno == errno.EACCES:
        raise CommandError(
            f"Not allowed to serve on {address} (ports below 1024 need privileges). "
            f"Use another port: python manage.py demo --port {free_port(host, 8000)}"
        )
    raise CommandError(f"Cannot serve on {address}: {error.strerror or error}.")


def _accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
