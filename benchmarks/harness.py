"""What every benchmark shares: a throwaway site on the production settings, the command line,
the CPU probe, interleaved in-process measurement, servers under wrk, and figures against goals.

Method and figures: docs/performance.rst.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import platform
import random
import re
import resource
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from django.http import HttpResponse

REPO = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "benchmarks.settings"
# Variables the example project's settings read: the benchmark sets its own.
ENVIRONMENT = (
    "DATABASE_URL",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_BEHIND_PROXY",
    "DJANGO_SECRET_KEY",
    "DJANGO_SECURE_SSL_REDIRECT",
    "EXAMPLE_DATA_DIR",
    "EXAMPLE_STATIC_ROOT",
)
# A fixed pure-Python loop: its time tells a slow machine from a regression.
PROBE_STEPS = 1_000_000
HOST = "127.0.0.1"


# -- The site -----------------------------------------------------------------------------


def configure(directory: Path, hosts: str = "testserver") -> None:
    """Point Django at ``benchmarks.settings`` with a fresh site in ``directory``."""
    for name in ENVIRONMENT:
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["EXAMPLE_DATA_DIR"] = str(directory)
    os.environ["EXAMPLE_STATIC_ROOT"] = str(directory / "static")
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_ALLOWED_HOSTS"] = hosts
    # The example project's settings package.
    if str(REPO / "example_project") not in sys.path:
        sys.path.insert(0, str(REPO / "example_project"))


@contextmanager
def throwaway_site(hosts: str = "testserver") -> Iterator[Path]:
    """Set Django up on ``benchmarks.settings`` in a temporary directory, deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="django-six-demos-benchmark-") as name:
        directory = Path(name)
        configure(directory, hosts)
        import django
        from django.db import connections

        django.setup()
        try:
            yield directory
        finally:
            connections.close_all()


def build_site(*, seed: bool = True, static: bool = True) -> None:
    """Migrate, seed with ``demos_seed`` and collect the static files (manifest storage)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if seed:
        call_command("demos_seed", verbosity=0)
    if static:
        # Before the first request: WhiteNoise reads the static root when it starts.
        call_command("collectstatic", interactive=False, verbosity=0)


# -- The command line ---------------------------------------------------------------------


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every benchmark takes: ``--quick``, ``--repeats N`` and ``--seed N``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    parser.add_argument("--quick", action="store_true", help="a small run (a smoke test)")
    parser.add_argument("--repeats", type=int, help="repeats (at least 3)")
    parser.add_argument("--seed", type=int, help="the shuffle's random seed (default: random)")
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> tuple[Any, int]:
    """Return the parsed options and the seed (the given one or a random one)."""
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 3:
        parser.error("--repeats must be 3 or more: a median of fewer says nothing")
    return args, args.seed if args.seed is not None else secrets.randbelow(2**32)


# -- Reporting ----------------------------------------------------------------------------


def cpu_probe() -> float:
    """Return the CPU milliseconds of a fixed pure-Python loop."""
    start = time.process_time()
    total = 0
    for step in range(PROBE_STEPS):
        total += step % 7
    elapsed = time.process_time() - start
    assert total > 0
    return elapsed * 1000


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def spread(values: Sequence[float], fmt: str) -> str:
    """Format ``median [min-max]``."""
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:{fmt}} [{low:{fmt}}-{high:{fmt}}]"


def ratios(
    repeats: Sequence[Mapping[Any, Any]], top: Any, bottom: Any, figure: str = "per_second"
) -> list[float]:
    """Per repeat, ``figure`` of ``top`` over the same of ``bottom``."""
    return [getattr(r[top], figure) / getattr(r[bottom], figure) for r in repeats]


def print_header(title: str) -> None:
    """Print the benchmark's title, the date, the software and the machine."""
    import django

    print(f"Benchmark: {title} (django-six-demos)")
    print(
        f"{datetime.date.today().isoformat()}; Python {platform.python_version()}, "
        f"Django {django.get_version()}, SQLite {sqlite3.sqlite_version}; "
        f"{os.cpu_count()} CPUs ({cpu_model()})"
    )


def print_probe(probes: Sequence[float]) -> None:
    print(
        f"CPU reference probe: {spread(probes, '.1f')} ms per {PROBE_STEPS:,}-step "
        "pure-Python loop (lower is faster)"
    )


class Goal(NamedTuple):
    passed: bool
    goal: str
    figure: str


def print_goals(
    heading: str, goals: Sequence[Goal], started: float, notes: Sequence[str] = ()
) -> None:
    """Print a PASS or FAIL line per goal, the notes, and the time since ``started``."""
    print(f"\n{heading}:")
    for passed, goal, figure in goals:
        print(f"  {'PASS' if passed else 'FAIL'}  {goal}: {figure}")
    for note in notes:
        print(f"  {note}")
    print(f"Took {time.perf_counter() - started:.0f} s.")


# -- In process: the test client, interleaved batches -------------------------------------


@dataclass(frozen=True)
class Plan:
    """How much to measure: ``repeats`` x ``rounds`` x ``batch`` requests per variant."""

    repeats: int
    rounds: int
    batch: int
    warmup: int = 20


@dataclass(frozen=True)
class Variant:
    """One kind of request."""

    key: str
    label: str
    path: str
    # The htmx headers a browser sends with it; none for a full page load.
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Cell:
    """A variant with the demo frame on or off: one column of the interleaved schedule."""

    variant: Variant
    frame: bool
    request: Callable[[], HttpResponse]

    @property
    def name(self) -> str:
        return f"{self.variant.key} (frame {'on' if self.frame else 'off'})"


@dataclass
class Sample:
    """What one repeat measured for one cell."""

    requests: int = 0
    cpu: float = 0.0
    wall: float = 0.0
    body_bytes: int = 0
    header_bytes: int = 0

    @property
    def per_second(self) -> float:
        """Requests per CPU second."""
        return self.requests / self.cpu

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.requests * 1000

    @property
    def wall_ms(self) -> float:
        return self.wall / self.requests * 1000

    @property
    def body(self) -> float:
        return self.body_bytes / self.requests

    @property
    def headers(self) -> float:
        return self.header_bytes / self.requests


@contextmanager
def frame_setting(on: bool) -> Iterator[None]:
    from django.test.utils import override_settings

    with override_settings(DJANGO_SIX_DEMOS_FRAME=on):
        yield


def header_size(response: HttpResponse) -> int:
    """Bytes of the status line and headers, as HTTP/1.1 would send them."""
    lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
    lines += [f"{name}: {value}" for name, value in response.items()]
    lines += [f"Set-Cookie: {morsel.OutputString()}" for morsel in response.cookies.values()]
    return len("\r\n".join(lines).encode()) + 4


def warm_up(cells: Sequence[Cell], plan: Plan, check: Callable[[Cell, HttpResponse], None]) -> None:
    """Fill the caches (templates, static manifest, connections); ``check`` each response."""
    for cell in cells:
        with frame_setting(cell.frame):
            for _ in range(plan.warmup):
                check(cell, cell.request())


def measure(
    cells: Sequence[Cell], plan: Plan, rng: random.Random
) -> tuple[list[dict[str, Sample]], list[float]]:
    """Measure every cell, interleaved: one sample per cell and repeat, and the probe.

    Each round runs every cell for ``plan.batch`` requests, in a new random order; only the
    requests are timed (CPU and wall clock), not the switching of the frame setting.
    """
    repeats: list[dict[str, Sample]] = []
    probes: list[float] = []
    for _ in range(plan.repeats):
        samples = {cell.name: Sample() for cell in cells}
        probe = 0.0
        for _ in range(plan.rounds):
            order = list(cells)
            rng.shuffle(order)
            probe += cpu_probe()
            for cell in order:
                sample = samples[cell.name]
                with frame_setting(cell.frame):
                    wall, cpu = time.perf_counter(), time.process_time()
                    for _ in range(plan.batch):
                        response = cell.request()
                        sample.body_bytes += len(response.content)
                    sample.cpu += time.process_time() - cpu
                    sample.wall += time.perf_counter() - wall
                sample.requests += plan.batch
                sample.header_bytes += header_size(response) * plan.batch
        repeats.append(samples)
        probes.append(probe / plan.rounds)
    return repeats, probes


# -- Processes: workers and servers --------------------------------------------------------


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process and its children: SIGTERM to its process group, then SIGKILL.

    The group is signalled only while its leader is not reaped, so its id is still its own.
    """
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def processes(
    commands: Sequence[tuple[Sequence[str], Mapping[str, str]]], log: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start one process per ``(argv, env)``, each leading its own process group; stop them all."""
    started: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stack:
        output: IO[bytes] = stack.enter_context(log.open("ab"))
        try:
            for argv, env in commands:
                started.append(
                    subprocess.Popen(
                        argv,
                        cwd=REPO,
                        env=dict(env),
                        stdout=output,
                        stderr=output,
                        start_new_session=True,
                    )
                )
            yield started
        finally:
            for process in started:
                stop(process)


def subprocess_env(**changes: str) -> dict[str, str]:
    """This process's environment (settings, site) with the repository root on ``PYTHONPATH``."""
    env = {**os.environ, **changes}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def gunicorn(port: int) -> list[str]:
    """The example project's production server, a sync worker per core, as its README runs it."""
    workers = str(os.cpu_count() or 1)
    return [
        *(sys.executable, "-m", "gunicorn", "--chdir", "example_project"),
        *("--workers", workers, "--bind", f"{HOST}:{port}", "example.wsgi"),
    ]


def fetch(port: int, path: str, headers: Mapping[str, str]) -> tuple[int, str]:
    """GET ``path`` from the server on ``port``; no redirect followed."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path, headers=dict(headers))
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def wait_until_serving(
    process: subprocess.Popen[bytes], port: int, path: str, headers: Mapping[str, str], log: Path
) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{log_tail(log)}")
        try:
            fetch(port, path, headers)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer:\n{log_tail(log)}") from None
            time.sleep(0.1)


# -- Load: wrk against a server ------------------------------------------------------------

# wrk's own error counter ignores 3xx answers (a redirect to HTTPS or to the sign-in page
# would pass unnoticed): response() counts every status but 200. done() prints exact
# figures (microseconds) on one line, easier to read reliably than wrk's rounded summary.
WRK_SCRIPT = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non200")
  end
  local e = summary.errors
  io.write(string.format(
    "wrk-figures requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d errors=%d non200=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, bad))
end
"""
WRK_LINE = re.compile(
    r"^wrk-figures requests=(?P<requests>\d+) duration_us=(?P<duration>\d+) "
    r"p50_us=(?P<p50>\d+) p99_us=(?P<p99>\d+) max_us=(?P<max>\d+) "
    r"errors=(?P<errors>\d+) non200=(?P<non200>\d+)$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Run:
    """What one wrk run measured against one server."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    non200: int
    # CPU seconds of the server (its process group), of wrk, and of every other process.
    server_cpu: float
    wrk_cpu: float
    others_cpu: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def server_ms(self) -> float:
        """Server CPU milliseconds per request."""
        return self.server_cpu / max(self.requests, 1) * 1000

    @property
    def others_cores(self) -> float:
        """Cores that other processes kept busy, on average."""
        return self.others_cpu / self.seconds


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy, all cores (/proc/stat, Linux)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is inside user).
    return (sum(fields[:3]) + sum(fields[5:8])) / os.sysconf("SC_CLK_TCK")


def _group_stats(group: int) -> Iterator[list[str]]:
    """The /proc/<pid>/stat fields after the command name of each live process in ``group``.

    From there: state (0), ppid, pgrp (2), ... utime (11), stime (12), ... rss in pages (21).
    """
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue  # the process has gone
        if int(fields[2]) == group:
            yield fields


def group_cpu(group: int) -> float:
    """User + system CPU seconds of the live processes in a process group."""
    ticks = sum(int(fields[11]) + int(fields[12]) for fields in _group_stats(group))
    return ticks / os.sysconf("SC_CLK_TCK")


def group_rss(group: int) -> int:
    """Resident bytes of the live processes in a process group, summed."""
    return sum(int(fields[21]) for fields in _group_stats(group)) * os.sysconf("SC_PAGE_SIZE")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(wrk: Sequence[str], server: subprocess.Popen[bytes], url: str, seconds: int) -> Run:
    """Drive ``url`` with ``wrk`` (its command, options included) for ``seconds``."""
    before = (machine_busy(), group_cpu(server.pid), children_cpu())
    result = subprocess.run(
        [*wrk, "--duration", f"{seconds}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    after = (machine_busy(), group_cpu(server.pid), children_cpu())
    figures = WRK_LINE.search(result.stdout)
    if result.returncode != 0 or figures is None:
        raise RuntimeError(
            f"wrk failed against {url} (status {result.returncode}):\n"
            f"{result.stdout}{result.stderr}"
        )
    busy, server_cpu, wrk_cpu = (end - start for start, end in zip(before, after, strict=True))
    return Run(
        requests=int(figures["requests"]),
        seconds=int(figures["duration"]) / 1e6,
        p50_ms=int(figures["p50"]) / 1000,
        p99_ms=int(figures["p99"]) / 1000,
        max_ms=int(figures["max"]) / 1000,
        errors=int(figures["errors"]),
        non200=int(figures["non200"]),
        server_cpu=server_cpu,
        wrk_cpu=wrk_cpu,
        # The clocks tick in 10 ms steps: a small negative is rounding.
        others_cpu=max(0.0, busy - server_cpu - wrk_cpu),
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f}"
