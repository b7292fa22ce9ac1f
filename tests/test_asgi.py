"""The example project under ASGI: its middleware stays async and leaves a stream unbuffered.

In process, the example project's whole MIDDLEWARE runs around test-only async views
(AsyncClient); slow, uvicorn serves the production settings as the deploy how-to says.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import TestCase, override_settings
from django.urls import path
from django.utils.module_loading import import_string

from django_six_demos import conf
from django_six_demos.csp.apps import REPORTING_MIDDLEWARE
from tests.test_example_project import (
    EXAMPLE_DIR,
    ROOT,
    check_production_site,
    child_env,
    free_port,
    manage,
    production_env,
    start_process,
    stop,
)

MARKED_PAGE = "<html><body><!--demo-inspector--><!--/demo-inspector--></body></html>"
EXAMPLE_WHITENOISE = "example.middleware.AsyncWhiteNoiseMiddleware"

# Each test sets the gate before the stream may go on past its first event.
gate: asyncio.Event | None = None


async def answer(request: HttpRequest) -> StreamingHttpResponse:
    async def events() -> AsyncIterator[str]:
        yield "event: token\ndata: Hello\n\n"
        assert gate is not None
        await gate.wait()
        yield "event: token\ndata:  world\n\n"
        yield "event: done\ndata: <p>Hello world</p>\n\n"

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def page(request: HttpRequest) -> HttpResponse:
    await User.objects.acount()
    return HttpResponse(MARKED_PAGE)


urlpatterns = [path("answer/", answer), path("page/", page)]


AXES_MIDDLEWARE = "axes.middleware.AxesMiddleware"


def example_middleware() -> list[str]:
    """The example project's MIDDLEWARE (its settings module, imported on its own).

    Without django-axes' (natively async): it needs its app and tables, whose signal
    receivers would outlive these tests. The uvicorn test below serves it.
    """
    module = importlib.import_module("example.settings.base")
    assert AXES_MIDDLEWARE in module.MIDDLEWARE
    return [name for name in module.MIDDLEWARE if name != AXES_MIDDLEWARE]


class ExampleStackTestCase(TestCase):
    """Tests with ``example_project`` importable (the example's WhiteNoise subclass)."""

    middleware: list[str]

    @classmethod
    def setUpClass(cls) -> None:
        sys.path.insert(0, str(EXAMPLE_DIR))
        cls.addClassCleanup(cls._forget_example)
        cls.middleware = example_middleware()
        super().setUpClass()

    @staticmethod
    def _forget_example() -> None:
        sys.path.remove(str(EXAMPLE_DIR))
        for name in [n for n in sys.modules if n == "example" or n.startswith("example.")]:
            del sys.modules[name]


@override_settings(ROOT_URLCONF=__name__)
class ExampleMiddlewareUnderAsgiTests(ExampleStackTestCase):
    def test_every_middleware_of_ours_is_sync_and_async(self):
        for name in (conf.FRAME_MIDDLEWARE, REPORTING_MIDDLEWARE, EXAMPLE_WHITENOISE):
            middleware = import_string(name)
            assert middleware.sync_capable and middleware.async_capable, name

            async def view(request: HttpRequest) -> HttpResponse:
                return HttpResponse()

            assert iscoroutinefunction(middleware(view)), name

    def test_no_middleware_of_the_example_makes_django_adapt_the_stack(self):
        def adaptations(middleware: list[str]) -> list[str]:
            with (
                override_settings(MIDDLEWARE=middleware, DEBUG=True),
                self.assertLogs("django.request", logging.DEBUG) as logs,
            ):
                logging.getLogger("django.request").debug("loading")
                self.async_client.handler.load_middleware(is_async=True)
            return [line for line in logs.output if "adapted for middleware" in line]

        assert adaptations(self.middleware) == []
        # WhiteNoise's own class is sync-only: Django would adapt the stack around it.
        plain = [
            "whitenoise.middleware.WhiteNoiseMiddleware" if name == EXAMPLE_WHITENOISE else name
            for name in self.middleware
        ]
        assert adaptations(plain) != []

    async def test_a_stream_comes_through_the_whole_stack_event_by_event(self):
        global gate
        gate = asyncio.Event()
        with override_settings(MIDDLEWARE=self.middleware):
            response = await self.async_client.get("/answer/")

        assert response.status_code == 200
        assert isinstance(response, StreamingHttpResponse) and response.is_async
        assert response["Content-Type"] == "text/event-stream"
        assert response["X-Accel-Buffering"] == "no"
        assert "Content-Length" not in response
        assert "Content-Encoding" not in response
        # The stack's headers are there, and the first event arrives while the
        # view still waits: nothing read ahead or buffered the stream.
        assert "Content-Security-Policy" in response
        chunks = aiter(response.streaming_content)
        assert await anext(chunks) == b"event: token\ndata: Hello\n\n"
        gate.set()
        assert [chunk async for chunk in chunks] == [
            b"event: token\ndata:  world\n\n",
            b"event: done\ndata: <p>Hello world</p>\n\n",
        ]

    async def test_a_page_through_the_whole_stack_gets_its_inspector_and_headers(self):
        with override_settings(MIDDLEWARE=self.middleware):
            response = await self.async_client.get("/page/")

        assert '<dd class="query-count">1</dd>' in response.content.decode()
        assert "Content-Security-Policy" in response
        assert "Reporting-Endpoints" in response

    @override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
    async def test_a_static_file_is_read_in_a_thread_not_whole_in_the_event_loop(self):
        with override_settings(MIDDLEWARE=self.middleware):
            response = await self.async_client.get("/static/django_six_demos/demos.css")

        assert response.status_code == 200
        # An async stream: Django would warn (an error here) about a sync one.
        assert isinstance(response, StreamingHttpResponse) and response.is_async
        body = b"".join([chunk async for chunk in response.streaming_content])
        stylesheet = ROOT / "src" / "django_six_demos" / "static" / "django_six_demos"
        assert body == (stylesheet / "demos.css").read_bytes()
        assert "Content-Security-Policy" not in response  # static files need no policy


# -- The production recipe, served -----------------------------------------------------


def uvicorn_command(port: int) -> list[str]:
    """The deploy how-to's command, on one worker and a free port."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "example.asgi:application",
        "--app-dir",
        "example_project",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--lifespan",
        "off",
        "--proxy-headers",
        "--forwarded-allow-ips",
        "127.0.0.1",
    ]


@pytest.mark.slow
def test_uvicorn_serves_the_production_settings(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn", reason="uvicorn is in the 'example' dependency group")
    port = free_port()
    env: dict[str, Any] = production_env(
        tmp_path,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_BEHIND_PROXY="1",
        EXAMPLE_STATIC_ROOT=str(tmp_path / "static"),
        PYTHONDEVMODE="1",
        PYTHONWARNINGS="error",
    )
    manage(["migrate", "--no-input", "-v", "0"], env, cwd=tmp_path)
    manage(["collectstatic", "--no-input", "-v", "0"], env, cwd=tmp_path)
    server, reader = start_process(uvicorn_command(port), env, ROOT)
    try:
        check_production_site(port, server, reader, timeout=30)

        server.send_signal(signal.SIGTERM)
        # uvicorn stops gracefully, then re-raises the signal it caught.
        assert server.wait(timeout=20) in (0, -signal.SIGTERM), reader.text
        reader.close()
        assert "Finished server process" in reader.text
        # Warnings are errors in the server: none was raised, none printed.
        assert "Traceback" not in reader.text and "Warning:" not in reader.text, reader.text
    finally:
        stop(server)
        reader.close()


# Pages that read the database, requested through example.asgi's application as
# uvicorn calls it; then every connection a request left must be closed already.
ASGI_REQUESTS = textwrap.dedent(
    """
    import asyncio, gc, sys
    from asgiref.testing import ApplicationCommunicator

    from example.asgi import application
    from django.conf import settings

    left_open = []
    sys.unraisablehook = lambda hook: left_open.append(str(hook.exc_value))

    async def get(path):
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "headers": [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(10)
        while (await communicator.receive_output(10)).get("more_body"):
            pass
        await communicator.wait(10)
        return start["status"]

    async def main():
        return [await get(path) for path in ("/sqlite/", "/tasks/") * 3]

    print("statuses", *asyncio.run(main()))
    gc.collect()
    print("CONN_MAX_AGE", settings.DATABASES["default"]["CONN_MAX_AGE"])
    print("left open", left_open)
    """
)


@pytest.mark.slow
def test_requests_through_asgi_leave_no_connection_open(tmp_path: Path) -> None:
    """Under ASGI a kept connection is never reused: CONN_MAX_AGE is 0 there, 600 elsewhere."""
    env = child_env(tmp_path, DJANGO_SETTINGS_MODULE="example.settings.development")
    manage(["migrate", "--no-input", "-v", "0"], env, cwd=tmp_path)

    def python(code: str) -> str:
        result = subprocess.run(
            [sys.executable, "-W", "error", "-c", code],
            cwd=EXAMPLE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Warning" not in result.stderr, result.stderr
        return result.stdout

    output = python(ASGI_REQUESTS)
    assert "statuses 200 200 200 200 200 200" in output
    assert "CONN_MAX_AGE 0" in output
    # No "ResourceWarning: unclosed database" when the requests' threads are gone.
    assert "left open []" in output

    # gunicorn's WSGI process and manage.py's (the task worker's) keep connections.
    settings = (
        "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    )
    assert python(f"import example.wsgi; {settings}").strip() == "600"
    shell = manage(["shell", "--no-imports", "-c", settings], env, cwd=tmp_path)
    assert shell.stdout.strip() == "600"


def test_the_nginx_recipe_streams():
    """The deploy how-to includes this file: each line a stream depends on is there."""
    config = (EXAMPLE_DIR / "deploy" / "nginx.conf").read_text()
    lines = {line.split("#")[0].strip() for line in config.splitlines()}

    assert "proxy_buffering off;" in lines
    assert "proxy_http_version 1.1;" in lines
    assert 'proxy_set_header Connection "";' in lines
    [timeout] = re.findall(r"^proxy_read_timeout (\d+)s;$", "\n".join(lines), re.MULTILINE)
    assert int(timeout) >= 60
    assert not [line for line in lines if line.startswith("gzip_types")]
    # The upstream is where the documented uvicorn command listens.
    how_to = (ROOT / "docs" / "howto" / "deploy-the-example-project.rst").read_text()
    assert "--host 127.0.0.1 --port 8000" in how_to
    assert "server 127.0.0.1:8000;" in lines
    assert "literalinclude:: ../../example_project/deploy/nginx.conf" in how_to
