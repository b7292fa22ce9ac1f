"""``manage.py demo`` on a port it cannot use: it says so and names a free port, starting nothing."""

from __future__ import annotations

import re
import socket
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tests.test_example_project import EXAMPLE_DIR, child_env, free_port, manage

SUGGESTION = re.compile(r"python manage\.py demo --port (\d+)$")


@pytest.fixture
def demo_module(monkeypatch):
    """The ``demo`` command's module, imported from the example project."""
    monkeypatch.syspath_prepend(str(EXAMPLE_DIR))
    before = set(sys.modules)
    from example.management.commands import demo

    yield demo
    for name in set(sys.modules) - before:
        if name == "example" or name.startswith("example."):
            del sys.modules[name]


@contextmanager
def listening(port: int, host: str = "127.0.0.1") -> Iterator[socket.socket]:
    """Another server on ``host:port``, as a second ``demo`` or ``runserver`` would be."""
    with socket.socket() as server:
        server.bind((host, port))
        server.listen()
        yield server


def suggested_port(message: str) -> int:
    match = SUGGESTION.search(message)
    assert match, message
    return int(match[1])


def test_a_busy_port_stops_the_command_before_it_migrates_or_starts_a_child(demo_module):
    port = free_port()
    command = demo_module.Command()
    with (
        listening(port),
        override_settings(DEBUG=True),
        mock.patch.object(demo_module.Command, "_prepare_database") as prepare,
        mock.patch.object(demo_module, "Child") as child,
        pytest.raises(CommandError) as refused,
    ):
        call_command(command, "--port", str(port))

    message = str(refused.value)
    assert message.startswith(f"Port {port} is already in use on 127.0.0.1")
    assert "nothing was started" in message
    suggested = suggested_port(message)
    assert suggested != port
    assert demo_module.bind_error("127.0.0.1", suggested) is None
    prepare.assert_not_called()
    child.assert_not_called()


def test_the_suggestion_is_the_next_free_port(demo_module):
    port = free_port()
    with listening(port), pytest.raises(CommandError) as refused:
        demo_module.check_port("127.0.0.1", port)

    suggested = suggested_port(str(refused.value))
    assert port < suggested <= port + demo_module.PORTS_TO_TRY
    for between in range(port + 1, suggested):
        assert demo_module.bind_error("127.0.0.1", between) is not None


def test_a_free_port_passes_and_stays_free(demo_module):
    port = free_port()

    demo_module.check_port("127.0.0.1", port)

    with listening(port):  # the check let go of it
        pass


def test_a_server_on_every_address_makes_the_port_busy_on_localhost_too(demo_module):
    port = free_port()
    with listening(port, host="0.0.0.0"), pytest.raises(CommandError, match="already in use"):
        demo_module.check_port("127.0.0.1", port)


def test_an_address_this_machine_does_not_have_is_named(demo_module):
    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never a local address.
    with pytest.raises(CommandError, match=r"^Cannot serve on 192\.0\.2\.1:8000: "):
        demo_module.check_port("192.0.2.1", 8000)


@pytest.mark.slow
def test_manage_py_demo_on_a_busy_port_exits_with_the_advice(tmp_path):
    port = free_port()
    with listening(port):
        result = manage(["demo", "--port", str(port)], child_env(tmp_path), tmp_path, check=False)

    assert result.returncode == 1
    assert f"Port {port} is already in use on 127.0.0.1" in result.stderr
    assert suggested_port(result.stderr.strip()) != port
    assert "running at" not in result.stdout
    assert "Applying migrations" not in result.stdout
    # Not migrated (a system check may have opened the file).
    database = tmp_path / "db.sqlite3"
    if database.exists():
        with closing(sqlite3.connect(database)) as connection:
            assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []
