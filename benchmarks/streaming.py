"""Benchmark: the streaming room's server-sent events, one ASGI worker against the sync deployment.

    python -m benchmarks.streaming [--quick] [--write-story] [--seed N]

1,000 signed-in clients arriving evenly over 10 s each read a 200-token answer of the built-in
model at 10 tokens/s from uvicorn (one process), then from gunicorn (2 workers x 16 threads):
open streams, gaps between tokens, first token, server memory and CPU. docs/performance.rst.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import random
import resource
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from benchmarks.harness import (
    HOST,
    REPO,
    Goal,
    build_site,
    cpu_probe,
    free_port,
    group_cpu,
    group_rss,
    load_average,
    log_tail,
    machine_busy,
    parse,
    parser,
    print_goals,
    print_header,
    print_probe,
    processes,
    subprocess_env,
    throwaway_site,
    wait_until_serving,
)

STORY_FILE = REPO / "src" / "django_six_demos" / "streaming" / "data" / "async_story.json"
# What the proxy in front of a deployed site adds (trusted with DJANGO_BEHIND_PROXY=1);
# without it the production settings redirect to HTTPS.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
# The servers' settings: the production settings, the built-in model at the plan's pace.
SETTINGS_MODULE = "streaming_benchmark_settings"
SETTINGS_TEMPLATE = '''"""benchmarks/streaming.py's servers (a throwaway file)."""

from benchmarks.settings import *  # noqa: F403

DJANGO_SIX_DEMOS_STREAMING = {{
    "TOKEN_DELAY": {token_delay!r},
    "FIRST_TOKEN_DELAY": {first_token_delay!r},
    "MAX_TOKENS": {tokens!r},
}}
'''
ASGI_SERVER = "uvicorn, 1 process"
WSGI_SERVER = "gunicorn, 2 workers x 16 threads"
WSGI_WORKERS, WSGI_THREADS = 2, 16
# Sockets: the clients' and the servers' (which inherit the limit), with room to spare.
OPEN_FILES = 8192
# How often the server's memory is read during a run, in seconds.
MEMORY_EVERY = 0.25
# Tokens each warm-up stream reads before it hangs up.
WARM_UP_TOKENS = 5

# Goals (docs/performance.rst), judged on the ASGI worker. The gap goal is twice the
# model's interval of the full run (0.1 s); a quick run scales it to its own interval.
GOAL_P99_GAP_MS = 200.0
GOAL_FIRST_BYTE_MS = 25.0
GOAL_STREAM_RATIO = 30.0
GOAL_MEMORY_KIB = 64.0  # server memory growth per open stream


@dataclass(frozen=True)
class Plan:
    """The load: clients arriving evenly over ``arrival`` s, each reading a whole answer."""

    clients: int
    arrival: float
    tokens: int
    token_delay: float
    first_token_delay: float
    # Seconds after the first arrival when the sync run stops: who has no answer by then was
    # not served (the ASGI run waits for every answer, up to the same margin past the last).
    sync_deadline: float

    @property
    def answer(self) -> float:
        """Seconds the model takes for one answer."""
        return self.first_token_delay + self.tokens * self.token_delay

    @property
    def asgi_deadline(self) -> float:
        return self.arrival + self.answer + 15.0


FULL_PLAN = Plan(
    clients=1000,
    arrival=10.0,
    tokens=200,
    token_delay=0.1,
    first_token_delay=0.5,
    sync_deadline=35.0,
)
# A smoke test: 20 clients, 20 short answers.
QUICK_PLAN = Plan(
    clients=20, arrival=1.0, tokens=20, token_delay=0.02, first_token_delay=0.05, sync_deadline=4.0
)


# -- The site: users, sessions and one pending answer per client --------------------------


@dataclass(frozen=True)
class Client:
    """What one client sends: its session cookie and the one-time stream URL it reads."""

    cookie: str
    path: str


def make_users(count: int) -> list[tuple[Any, str]]:
    """Create ``count`` users, each signed in with a session; return each with its cookie."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password

    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        user_model(username=f"stream-client-{number:04d}", password=make_password(None))
        for number in range(count)
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    backend = "django.contrib.auth.backends.ModelBackend"
    cookies = []
    for user in users:
        session = store()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        cookies.append((user, f"{settings.SESSION_COOKIE_NAME}={session.session_key}"))
    return cookies


def pending_answers(users: Sequence[tuple[Any, str]]) -> list[Client]:
    """One conversation per user: the benchmark's question and a pending answer to stream."""
    from django.urls import reverse

    from django_six_demos.streaming.models import Conversation, Message
    from django_six_demos.streaming.providers.builtin import BENCHMARK_PROMPT

    conversations = Conversation.objects.bulk_create(
        Conversation(owner=user, title=BENCHMARK_PROMPT) for user, _ in users
    )
    tokens = [secrets.token_urlsafe(24) for _ in conversations]
    messages = []
    for conversation, token in zip(conversations, tokens, strict=True):
        messages.append(
            Message(
                conversation=conversation, role="user", content=BENCHMARK_PROMPT, status="complete"
            )
        )
        messages.append(
            Message(
                conversation=conversation, role="assistant", status="pending", stream_token=token
            )
        )
    Message.objects.bulk_create(messages)
    return [
        Client(cookie, reverse("django_six_demos_streaming:stream", args=[token]))
        for (_, cookie), token in zip(users, tokens, strict=True)
    ]


# -- The client ---------------------------------------------------------------------------
#
# Hand-written on asyncio's protocols, not httpx: at 1,000 streams of 10 tokens a second the
# client reads 10,000 events a second on the same two cores as the server, and a general HTTP
# client's per-chunk work (its streams, decoders, hooks) would take CPU the server needs.
# This one parses the status line, the chunked body and the SSE frames, and keeps times.


@dataclass
class Stream:
    """What one client saw, in seconds since the run's start."""

    arrival: float
    status: int = 0
    headers_at: float | None = None
    first_token_at: float | None = None
    done_at: float | None = None
    ended_at: float | None = None
    tokens: int = 0
    last_token_at: float | None = None
    gaps: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def complete(self) -> bool:
        return self.status == 200 and self.done_at is not None and not self.error


class Counter:
    """Open streams now (headers in, answer not finished), and the peak."""

    def __init__(self) -> None:
        self.open = 0
        self.peak = 0

    def opened(self) -> None:
        self.open += 1
        self.peak = max(self.peak, self.open)

    def closed(self) -> None:
        self.open -= 1


class SSEProtocol(asyncio.Protocol):
    """One GET of a stream URL over HTTP/1.1, read to the ``done`` event."""

    def __init__(
        self,
        request: bytes,
        stream: Stream,
        counter: Counter,
        clock: Callable[[], float],
        hang_up_after: int | None = None,
    ) -> None:
        self.request = request
        self.hang_up_after = hang_up_after
        self.stream = stream
        self.counter = counter
        self.clock = clock
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.head = b""
        self.chunked = False
        self.raw = bytearray()  # the chunked body, not yet decoded
        self.chunk_left = 0  # bytes of the current chunk still to come; -1: its CRLF
        self.events = bytearray()  # decoded body, not yet a whole SSE event
        self.counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self.transport = cast("asyncio.Transport", transport)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = self.clock()
        if self.stream.headers_at is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            head, body = self.head[:end].decode("latin-1"), self.head[end + 4 :]
            self.head = b""
            status_line, *lines = head.split("\r\n")
            self.stream.headers_at = now
            self.stream.status = int(status_line.split(" ", 2)[1])
            if self.stream.status != 200:
                self.fail(f"status {self.stream.status}")
                return
            self.counted = True
            self.counter.opened()
            self.chunked = any(
                line.lower().replace(" ", "") == "transfer-encoding:chunked" for line in lines
            )
            data = body
        if self.chunked:
            self.raw += data
            self.dechunk()
        else:
            self.events += data
        self.read_events(now)

    def dechunk(self) -> None:
        raw = self.raw
        while raw:
            if self.chunk_left > 0:
                part = raw[: self.chunk_left]
                self.events += part
                del raw[: len(part)]
                self.chunk_left -= len(part)
                if self.chunk_left == 0:
                    self.chunk_left = -1
            elif self.chunk_left == -1:
                if len(raw) < 2:
                    return
                del raw[:2]
                self.chunk_left = 0
            else:
                end = raw.find(b"\r\n")
                if end < 0:
                    return
                size = int(bytes(raw[:end]).split(b";")[0], 16)
                del raw[: end + 2]
                if size == 0:
                    raw.clear()
                    return
                self.chunk_left = size

    def read_events(self, now: float) -> None:
        stream = self.stream
        while (end := self.events.find(b"\n\n")) >= 0:
            event = bytes(self.events[:end])
            del self.events[: end + 2]
            name = b"message"
            for line in event.split(b"\n"):
                if line.startswith(b"event:"):
                    name = line[6:].strip()
            if name == b"token":
                if stream.last_token_at is None:
                    stream.first_token_at = now
                else:
                    stream.gaps.append(now - stream.last_token_at)
                stream.last_token_at = now
                stream.tokens += 1
                if stream.tokens == self.hang_up_after:
                    stream.error = "hung up"
                    self.close()
                    return
            elif name == b"done":
                stream.done_at = now
                self.close()
                return

    def fail(self, error: str) -> None:
        if not self.stream.error:
            self.stream.error = error
        self.close()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        stream = self.stream
        stream.ended_at = self.clock()
        if self.counted:
            self.counter.closed()
        if stream.done_at is None and not stream.error:
            stream.error = f"closed early: {exc}" if exc else "closed before the done event"
        if not self.finished.done():
            self.finished.set_result(None)


@dataclass
class Run:
    """What one server's run measured."""

    server: str
    plan: Plan
    streams: list[Stream]
    peak: int
    wall: float
    deadline: float
    stopped_at_deadline: bool
    idle_rss: int
    peak_rss: int
    server_cpu: float
    client_cpu: float
    others_cpu: float  # every other process on the machine meanwhile

    @property
    def complete(self) -> int:
        return sum(stream.complete for stream in self.streams)

    @property
    def not_served(self) -> list[Stream]:
        """No answer begun by the deadline: the client still waited when the run stopped."""
        return [s for s in self.streams if s.headers_at is None and s.error == "deadline"]

    @property
    def cut(self) -> list[Stream]:
        """Streaming when the run stopped at the deadline."""
        return [s for s in self.streams if s.headers_at is not None and s.error == "deadline"]

    @property
    def errors(self) -> list[Stream]:
        return [s for s in self.streams if s.error and s.error != "deadline"]

    @property
    def gaps_ms(self) -> list[float]:
        return sorted(gap * 1000 for stream in self.streams for gap in stream.gaps)

    @property
    def first_token_over_ms(self) -> list[float]:
        """From the request to the first token, less the model's own first-token delay."""
        return sorted(
            (stream.first_token_at - stream.arrival - self.plan.first_token_delay) * 1000
            for stream in self.streams
            if stream.first_token_at is not None
        )

    @property
    def kib_per_stream(self) -> float:
        return (self.peak_rss - self.idle_rss) / 1024 / max(self.peak, 1)


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least ``fraction`` of them at or below it."""
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def request_bytes(port: int, client: Client) -> bytes:
    """The browser's EventSource request, as the proxy passes it on."""
    lines = [
        f"GET {client.path} HTTP/1.1",
        f"Host: {HOST}:{port}",
        "Accept: text/event-stream",
        "Cache-Control: no-cache",
        f"Cookie: {client.cookie}",
        *(f"{name}: {value}" for name, value in PROXY_HEADERS.items()),
        "Connection: close",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def read_streams(
    port: int,
    clients: Sequence[Client],
    plan: Plan,
    deadline: float,
    server: subprocess.Popen[bytes] | None,
    hang_up_after: int | None = None,
) -> tuple[list[Stream], Counter, float, bool, int]:
    """Start the clients evenly over ``plan.arrival`` s; read until all end or the deadline.

    Returns the streams, the open-stream counter, the wall time, whether the deadline
    stopped the run, and the server's highest memory seen meanwhile.
    """
    loop = asyncio.get_running_loop()
    start = time.monotonic() + 0.05

    def clock() -> float:
        return time.monotonic() - start

    counter = Counter()
    streams = [
        Stream(arrival=plan.arrival * number / len(clients)) for number in range(len(clients))
    ]
    protocols: list[SSEProtocol] = []
    tasks: list[asyncio.Task[None]] = []
    peak_rss = 0
    stop_sampling = asyncio.Event()

    async def sample_memory() -> None:
        nonlocal peak_rss
        while not stop_sampling.is_set() and server is not None:
            peak_rss = max(peak_rss, group_rss(server.pid))
            await asyncio.sleep(MEMORY_EVERY)

    async def one(client: Client, stream: Stream) -> None:
        await asyncio.sleep(max(0.0, stream.arrival - clock()))
        stream.arrival = clock()
        protocol = SSEProtocol(request_bytes(port, client), stream, counter, clock, hang_up_after)
        protocols.append(protocol)
        try:
            await loop.create_connection(lambda: protocol, HOST, port)
        except OSError as error:
            stream.error = f"connect: {error}"
            return
        await protocol.finished

    sampler = asyncio.create_task(sample_memory())
    for client, stream in zip(clients, streams, strict=True):
        tasks.append(asyncio.create_task(one(client, stream)))
    _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - clock()))
    stopped = bool(pending)
    if stopped:
        for stream in streams:
            if stream.ended_at is None and not stream.error:
                stream.error = "deadline"
        for protocol in protocols:
            if protocol.transport is not None:
                protocol.transport.abort()
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    wall = clock()
    stop_sampling.set()
    await sampler
    return streams, counter, wall, stopped, peak_rss


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (less CPU per event), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run_async(coroutine: Any) -> Any:
    loop = new_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def raise_open_files() -> None:
    """One socket per client here and in the server, which inherits the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES if hard == resource.RLIM_INFINITY else min(OPEN_FILES, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


# -- The servers --------------------------------------------------------------------------


def uvicorn_command(port: int) -> list[str]:
    """One uvicorn process (no supervisor), as the example project's README runs it."""
    return [
        *(sys.executable, "-m", "uvicorn", "--app-dir", "example_project"),
        *("--host", HOST, "--port", str(port), "--no-access-log", "--backlog", "4096"),
        "example.asgi:application",
    ]


def gunicorn_command(port: int) -> list[str]:
    """The sync deployment: gunicorn's threaded workers, 2 x 16."""
    return [
        *(sys.executable, "-m", "gunicorn", "--chdir", "example_project"),
        *("--workers", str(WSGI_WORKERS), "--threads", str(WSGI_THREADS)),
        *("--worker-class", "gthread", "--backlog", "4096", "--graceful-timeout", "2"),
        *("--bind", f"{HOST}:{port}", "example.wsgi"),
    ]


def warm_up(port: int, clients: Sequence[Client], plan: Plan) -> None:
    """A few streams at once, each read for a few tokens: imports, connections, templates.

    Then they hang up (the disconnect path); reading whole answers would add 20 s per server.
    """
    warm = Plan(len(clients), 0.0, plan.tokens, plan.token_delay, plan.first_token_delay, 0.0)
    streams, *_ = run_async(
        read_streams(port, clients, warm, plan.answer + 15.0, None, hang_up_after=WARM_UP_TOKENS)
    )
    failed = [stream.error for stream in streams if stream.tokens < WARM_UP_TOKENS]
    if failed:
        raise RuntimeError(f"the warm-up streams failed: {failed}")


def measure(
    name: str,
    command: list[str],
    port: int,
    clients: Sequence[Client],
    warmups: Sequence[Client],
    plan: Plan,
    directory: Path,
) -> Run:
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_BEHIND_PROXY="1",
    )
    env["PYTHONPATH"] = os.pathsep.join([str(directory), env["PYTHONPATH"]])
    log = directory / f"{name}.log"
    deadline = plan.asgi_deadline if name == "asgi" else plan.sync_deadline
    with processes([(command, env)], log) as (server,):
        wait_until_serving(server, port, "/", PROXY_HEADERS, log)
        try:
            warm_up(port, warmups, plan)
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{log_tail(log)}") from None
        time.sleep(1.0)
        idle_rss = group_rss(server.pid)
        busy_before = machine_busy()
        cpu_before, client_before = group_cpu(server.pid), time.process_time()
        streams, counter, wall, stopped, peak_rss = run_async(
            read_streams(port, clients, plan, deadline, server)
        )
        server_cpu = group_cpu(server.pid) - cpu_before
        client_cpu = time.process_time() - client_before
        busy = machine_busy() - busy_before
    return Run(
        server=ASGI_SERVER if name == "asgi" else WSGI_SERVER,
        plan=plan,
        streams=streams,
        peak=counter.peak,
        wall=wall,
        deadline=deadline,
        stopped_at_deadline=stopped,
        idle_rss=idle_rss,
        peak_rss=max(peak_rss, idle_rss),
        server_cpu=server_cpu,
        client_cpu=client_cpu,
        # The clocks tick in 10 ms steps: a small negative is rounding.
        others_cpu=max(0.0, busy - server_cpu - client_cpu),
    )


# -- Reporting ----------------------------------------------------------------------------


def gap_goal_ms(plan: Plan) -> float:
    """Twice the model's interval: 200 ms in the full run, scaled to a quick run's pace."""
    return GOAL_P99_GAP_MS * plan.token_delay / FULL_PLAN.token_delay


def rows(runs: dict[str, Run]) -> list[tuple[str, str, str]]:
    def both(figure: Callable[[Run], str]) -> tuple[str, str]:
        return figure(runs["asgi"]), figure(runs["wsgi"])

    def ms(values: Sequence[float], fraction: float) -> str:
        return f"{percentile(values, fraction):.0f}" if values else "-"

    def memory(run: Run) -> str:
        return f"{run.idle_rss / 2**20:.0f} / {run.peak_rss / 2**20:.0f}"

    table = [
        ("clients", *both(lambda r: f"{len(r.streams):,}")),
        ("answers read to the end", *both(lambda r: f"{r.complete:,}")),
        ("errors", *both(lambda r: f"{len(r.errors):,}")),
        ("not served by the deadline", *both(lambda r: f"{len(r.not_served):,}")),
        ("cut off at the deadline", *both(lambda r: f"{len(r.cut):,}")),
        ("peak open streams", *both(lambda r: f"{r.peak:,}")),
        (
            "first token over the model's delay, p50 ms",
            *both(lambda r: ms(r.first_token_over_ms, 0.5)),
        ),
        (
            "first token over the model's delay, p99 ms",
            *both(lambda r: ms(r.first_token_over_ms, 0.99)),
        ),
        ("gap between tokens, p50 ms", *both(lambda r: ms(r.gaps_ms, 0.5))),
        ("gap between tokens, p99 ms", *both(lambda r: ms(r.gaps_ms, 0.99))),
        ("gap between tokens, max ms", *both(lambda r: ms(r.gaps_ms, 1.0))),
        ("server memory idle / peak, MiB", *both(memory)),
        ("memory growth per open stream, KiB", *both(lambda r: f"{r.kib_per_stream:.0f}")),
        ("server CPU, % of one core", *both(lambda r: f"{r.server_cpu / r.wall * 100:.0f}")),
        ("client CPU, % of one core", *both(lambda r: f"{r.client_cpu / r.wall * 100:.0f}")),
        ("other processes, % of one core", *both(lambda r: f"{r.others_cpu / r.wall * 100:.0f}")),
        ("run stopped after, s", *both(lambda r: f"{r.wall:.1f}")),
    ]
    return table


def error_kinds(run: Run) -> str:
    kinds: dict[str, int] = {}
    for stream in run.errors:
        kinds[stream.error] = kinds.get(stream.error, 0) + 1
    return ", ".join(f"{count} x {kind}" for kind, count in sorted(kinds.items())) or "none"


def story(runs: dict[str, Run], plan: Plan) -> dict[str, Any]:
    """The figures of async_story.json (the room's async story page reads them)."""
    import django

    asgi, wsgi = runs["asgi"], runs["wsgi"]

    def common(run: Run) -> dict[str, Any]:
        return {
            # The page's "refused, dropped or cut short": every answer not read to its end,
            # including those cut off or not begun when the run stopped at its deadline.
            "errors": len(run.streams) - run.complete,
            "peak_streams": run.peak,
            "p99_gap_ms": round(percentile(run.gaps_ms, 0.99)),
            "first_byte_over_model_ms_p50": round(percentile(run.first_token_over_ms, 0.5)),
        }

    return {
        "measured_on": datetime.date.today().isoformat(),
        "django": ".".join(map(str, django.VERSION[:2])),
        "clients": plan.clients,
        "arrival_seconds": round(plan.arrival),
        "tokens": plan.tokens,
        "token_interval_ms": round(plan.token_delay * 1000),
        "first_token_delay_ms": round(plan.first_token_delay * 1000),
        "asgi": {
            "server": ASGI_SERVER,
            **common(asgi),
            "memory_kib_per_stream": round(asgi.kib_per_stream),
            "cpu_percent": round(asgi.server_cpu / asgi.wall * 100),
        },
        "wsgi": {"server": WSGI_SERVER, **common(wsgi)},
        "ratio": round(asgi.peak / max(wsgi.peak, 1), 2),
    }


def main(argv: Sequence[str] | None = None) -> int:
    options = parser(__doc__)
    options.add_argument(
        "--write-story",
        action="store_true",
        help="write the figures to the room's async story (data/async_story.json); full runs only",
    )
    args, seed = parse(options, argv)
    if args.write_story and args.quick:
        options.error("--write-story takes a full run's figures: drop --quick")
    if args.repeats is not None:
        options.error("one run per server: the load itself takes 30 s; --repeats does not apply")
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    started = time.perf_counter()
    raise_open_files()
    load_before = load_average()

    with throwaway_site(hosts=f"testserver,{HOST}") as directory:
        from django.conf import settings
        from django.db import connections

        build_site()
        (directory / f"{SETTINGS_MODULE}.py").write_text(
            SETTINGS_TEMPLATE.format(
                token_delay=plan.token_delay,
                first_token_delay=plan.first_token_delay,
                tokens=plan.tokens,
            ),
            encoding="utf-8",
        )
        warmups = 4
        users = make_users(plan.clients)
        # Each run reads its own answers: a stream URL serves once.
        answers = {name: pending_answers(users) for name in ("asgi", "wsgi")}
        warm = {name: pending_answers(users[:warmups]) for name in ("asgi", "wsgi")}
        connections.close_all()

        print_header("streamed answers over server-sent events, ASGI against WSGI")
        print(
            f"Settings {SETTINGS_MODULE} (benchmarks.settings, the example project's production "
            f"settings, DEBUG={settings.DEBUG}, demo frame on as deployed, the same middleware)"
        )
        print(
            f"The built-in model: {plan.tokens} tokens, {plan.token_delay * 1000:.0f} ms apart, the "
            f"first after {plan.first_token_delay * 1000:.0f} ms: {plan.answer:.1f} s per answer"
        )
        print(
            f"Load: {plan.clients:,} signed-in clients (a user and a session each), arriving "
            f"evenly over {plan.arrival:.0f} s, each reading one answer to its done event; "
            "an asyncio client (uvloop) on the same cores"
        )
        print(
            f"The sync run stops {plan.sync_deadline:.0f} s after the first arrival: a client "
            "with no answer begun by then is 'not served'"
        )
        print(f"Before the runs, {load_before}")
        probes = [cpu_probe()]

        order = ["asgi", "wsgi"]
        random.Random(seed).shuffle(order)
        runs: dict[str, Run] = {}
        for name in order:
            port = free_port()
            command = uvicorn_command(port) if name == "asgi" else gunicorn_command(port)
            runs[name] = measure(name, command, port, answers[name], warm[name], plan, directory)
            probes.append(cpu_probe())

    print_probe(probes)
    print(f"\nThe runs, in this order (seed {seed}): {', '.join(runs[n].server for n in order)}")
    print(f"  {'':<44} {ASGI_SERVER:>20} {WSGI_SERVER:>34}")
    for label, asgi_figure, wsgi_figure in rows(runs):
        print(f"  {label:<44} {asgi_figure:>20} {wsgi_figure:>34}")
    for name in ("asgi", "wsgi"):
        print(f"  {runs[name].server}: errors: {error_kinds(runs[name])}")
    print(f"After the runs, {load_average()}")

    asgi, wsgi = runs["asgi"], runs["wsgi"]
    gap_p99 = percentile(asgi.gaps_ms, 0.99)
    first = percentile(asgi.first_token_over_ms, 0.5)
    ratio = asgi.peak / max(wsgi.peak, 1)
    held = asgi.complete == plan.clients and not asgi.errors
    gap_goal = gap_goal_ms(plan)
    goals = [
        Goal(
            held,
            f"the ASGI worker holds all {plan.clients:,} with 0 errors",
            f"{asgi.complete:,} read to the end, {len(asgi.errors)} errors, peak {asgi.peak:,} open",
        ),
        Goal(
            gap_p99 <= gap_goal,
            f"p99 gap between tokens <= {gap_goal:.0f} ms (twice the model's interval)",
            f"{gap_p99:.0f} ms",
        ),
        Goal(
            asgi.kib_per_stream <= GOAL_MEMORY_KIB,
            f"server memory growth <= {GOAL_MEMORY_KIB:.0f} KiB per open stream",
            f"{asgi.kib_per_stream:.0f} KiB",
        ),
        Goal(
            ratio >= GOAL_STREAM_RATIO,
            f"peak open streams >= {GOAL_STREAM_RATIO:.0f}x the sync deployment's",
            f"{ratio:.2f}x ({asgi.peak:,} / {wsgi.peak:,})",
        ),
        Goal(
            first <= GOAL_FIRST_BYTE_MS,
            f"first token p50 <= {GOAL_FIRST_BYTE_MS:.0f} ms over the model's first-token delay",
            f"{first:.0f} ms",
        ),
    ]
    notes = []
    if args.write_story:
        STORY_FILE.parent.mkdir(parents=True, exist_ok=True)
        STORY_FILE.write_text(json.dumps(story(runs, plan), indent=2) + "\n", encoding="utf-8")
        notes.append(f"Wrote {STORY_FILE.relative_to(REPO)}.")
    print_goals(f"Goals (the ASGI worker, {plan.clients:,} clients)", goals, started, notes)
    print(
        f"streaming: asgi held={asgi.complete}/{plan.clients} errors={len(asgi.errors)} "
        f"p99 gap={gap_p99:.0f}ms first token +{first:.0f}ms mem={asgi.kib_per_stream:.0f}KiB/stream "
        f"peak asgi/sync={asgi.peak}/{wsgi.peak}={ratio:.2f}x "
        f"cpu={asgi.server_cpu / asgi.wall * 100:.0f}%"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
