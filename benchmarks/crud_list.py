"""Benchmark: the CRUD demo's talk list with 10,000 talks, on the production server.

Run from the repository root::

    uv run --group example python benchmarks/crud_list.py [--quick] [--repeats N]
        [--seconds S] [--seed N]

It builds two throwaway sites in a temporary directory, with the example
project's production settings (``benchmarks/settings.py``: dj-lite's SQLite
settings, WhiteNoise and the collected static files, HTTPS-only security
headers, the strict CSP, ``DEBUG`` off):

* ``10 talks``: ``demos_seed``, then every talk deleted but ten accepted ones,
  so the list shows one full page of ten rows;
* ``10,000 talks``: the same database copied, then ``demos_seed --extra-talks
  10000`` (10,120 talks, of which about 4,550 are accepted and listed).

Then, for an anonymous visitor of the talk list (``demos-talk-list``, the
first page: ten rows either way):

* **Queries**, in process: the Django test client through the whole
  middleware stack, ``CaptureQueriesContext`` around one request, on each
  site, first and last page, frame on and off. Goal: the same count with
  10,000 talks as with 10.
* **Latency**, on a real server: one gunicorn per site and frame mode (a sync
  worker per core, bound to 127.0.0.1 on a free port, as the example project's
  README runs it), driven by ``wrk`` with 16 connections for ``--seconds``
  per run, sending ``X-Forwarded-Proto: https`` as the proxy in front of a
  deployed site would (``DJANGO_BEHIND_PROXY=1``). The runs are interleaved,
  in a new random order each repeat; each variant is reported as ``median
  [min-max]`` over the repeats, and the ratio 10,000 / 10 talks is taken
  within each repeat. Goal: p99 <= 60 ms at 16 connections, with 0 errors.

The demo frame (the source panel and the response inspector) is on in the
production settings, so a visitor of the deployed demo gets it: the goals are
judged frame on. The frame-off servers show the list's own cost (not in
``--quick``).

A CPU reference probe, the load average, and the CPU that other processes
used during the runs (the machine's busy time minus the servers' and wrk's)
are printed beside the results. The last line holds the key figures. This is
not a test: each goal prints PASS or FAIL, and the exit status is 0 unless
the benchmark itself failed (a server that did not start, a page that is not
the one it should measure, wrk missing).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts only benchmarks/ on sys.path; the repository
# root goes there too, for ``benchmarks.partials``.
_HERE = Path(__file__).resolve().parent
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import datetime  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from contextlib import ExitStack, contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import IO  # noqa: E402

from benchmarks.partials import (  # noqa: E402
    PROBE_STEPS,
    SETTINGS_MODULE,
    configure,
    cpu_model,
    cpu_probe,
    spread,
)

REPO = _HERE.parent
EXTRA_TALKS = 10_000
SMALL_TALKS = 10
CONNECTIONS = 16
HOST = "127.0.0.1"
# What the proxy in front of a deployed site adds (the settings trust it with
# DJANGO_BEHIND_PROXY=1); without it the production settings redirect to HTTPS.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
START_TIMEOUT = 60.0  # seconds for a server to answer
# The frame-off servers' settings: the production settings with the frame off.
FRAME_OFF_MODULE = "crud_list_frame_off"
FRAME_OFF_SETTINGS = f'''"""benchmarks/crud_list.py's frame-off servers (a throwaway file)."""

from {SETTINGS_MODULE} import *  # noqa: F403

DJANGO_SIX_DEMOS_FRAME = False
'''

# Goals (docs/performance.rst), judged frame on.
GOAL_P99_MS = 60.0

# wrk's own error counter ignores 3xx answers (a redirect to HTTPS or to the
# sign-in page would pass unnoticed): the response() hook counts every status
# but 200. done() prints the exact figures (microseconds) on one line, which
# is easier to read reliably than wrk's rounded summary.
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
    "crud-wrk requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d errors=%d non200=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, bad))
end
"""
WRK_LINE = re.compile(
    r"^crud-wrk requests=(?P<requests>\d+) duration_us=(?P<duration>\d+) "
    r"p50_us=(?P<p50>\d+) p99_us=(?P<p99>\d+) max_us=(?P<max>\d+) "
    r"errors=(?P<errors>\d+) non200=(?P<non200>\d+)$",
    re.MULTILINE,
)
RESULTS_COUNT = re.compile(r'<p class="results-count">\s*(\d+) talks?')


@dataclass(frozen=True)
class Plan:
    """How much to measure: ``repeats`` rounds of every cell for ``seconds`` each."""

    repeats: int
    seconds: int
    # Seconds of load per server before the measured runs (0: a few requests).
    warmup: int
    frames: tuple[bool, ...]


FULL_PLAN = Plan(repeats=3, seconds=20, warmup=3, frames=(True, False))
# A smoke test: the frame-on servers only, one second each (wrk's shortest run).
QUICK_PLAN = Plan(repeats=1, seconds=1, warmup=0, frames=(True,))


@dataclass(frozen=True)
class Site:
    """One throwaway site: its data directory, how many talks it has and lists."""

    name: str
    data_dir: Path
    talks: int
    listed: int


@dataclass(frozen=True)
class Cell:
    """One server: a site with the frame on or off."""

    site: Site
    frame: bool

    @property
    def name(self) -> str:
        return f"{self.site.name}, frame {'on' if self.frame else 'off'}"


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
    # CPU seconds of the server (master and workers), of wrk, and of every
    # other process on the machine, during the run.
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


# -- Setting up the sites ----------------------------------------------------------------


def list_path(page: str | None = None) -> str:
    from django.urls import reverse

    path = reverse("demos-talk-list")
    return f"{path}?page={page}" if page else path


def count_queries(path: str, frame: bool) -> int:
    """Return the queries one anonymous request for ``path`` makes, in process."""
    from django.db import connection
    from django.http import HttpResponse
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client()
    with override_settings(DJANGO_SIX_DEMOS_FRAME=frame):
        client.get(path, secure=True)  # warm: templates, static manifest, connection
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, secure=True)
    assert isinstance(response, HttpResponse)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: status {response.status_code}")
    return len(queries)


QueryCounts = dict[tuple[str, bool], int]


def all_query_counts() -> QueryCounts:
    """Queries of the first and the last page, frame on and off."""
    return {
        (page, frame): count_queries(list_path(page), frame)
        for page in ("", "last")
        for frame in (True, False)
    }


def copy_database(target: Path) -> None:
    """Copy the site's SQLite database to ``target`` (SQLite's online backup)."""
    from django.db import connection

    connection.ensure_connection()
    target.parent.mkdir(parents=True, exist_ok=True)
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()


def listed_talks() -> int:
    """How many talks an anonymous visitor's list holds (the accepted ones)."""
    from django_six_demos.conference.models import Talk

    return Talk.objects.filter(status=Talk.Status.ACCEPTED).count()


def build_sites(directory: Path) -> tuple[Site, Site, QueryCounts, QueryCounts]:
    """Build the 10-talk and the 10,000-talk sites; count the list's queries on each.

    The process's own database (in ``directory``) becomes the large site; the
    small one is a copy taken before the benchmark talks are added.
    """
    from django.core.management import call_command
    from django.db import connections

    from django_six_demos.conference.models import Talk

    call_command("migrate", verbosity=0)
    call_command("demos_seed", verbosity=0)
    # Before the first request: WhiteNoise reads the static root when it starts.
    call_command("collectstatic", interactive=False, verbosity=0)

    kept = list(
        Talk.objects.filter(status=Talk.Status.ACCEPTED)
        .order_by("title", "pk")
        .values_list("pk", flat=True)[:SMALL_TALKS]
    )
    Talk.objects.exclude(pk__in=kept).delete()
    small = Site("10 talks", directory / "small", Talk.objects.count(), listed_talks())
    small_counts = all_query_counts()
    copy_database(small.data_dir / "db.sqlite3")

    call_command("demos_seed", extra_talks=EXTRA_TALKS, verbosity=0)
    large = Site(f"{EXTRA_TALKS:,} talks", directory, Talk.objects.count(), listed_talks())
    large_counts = all_query_counts()
    # The servers have the databases to themselves.
    connections.close_all()
    return small, large, small_counts, large_counts


# -- The servers --------------------------------------------------------------------------


@dataclass
class Server:
    cell: Cell
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def server_env(cell: Cell, directory: Path) -> dict[str, str]:
    """This process's environment (settings, secret key...) for ``cell``'s server."""
    env = dict(os.environ)
    env["EXAMPLE_DATA_DIR"] = str(cell.site.data_dir)
    env["DJANGO_ALLOWED_HOSTS"] = HOST
    env["DJANGO_BEHIND_PROXY"] = "1"
    # The repository root for benchmarks.settings, the temporary directory
    # for the frame-off settings.
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO), str(directory), env.get("PYTHONPATH")])
    )
    if not cell.frame:
        env["DJANGO_SETTINGS_MODULE"] = FRAME_OFF_MODULE
    return env


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server and its workers: SIGTERM to its process group, then SIGKILL.

    start_new_session: the server leads its own process group, its workers in
    it. The group is signalled only while the leader is not yet reaped, so its
    id cannot belong to anything else.
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
def servers(cells: Sequence[Cell], directory: Path) -> Iterator[dict[Cell, Server]]:
    """Start one gunicorn per cell; always stop them all."""
    workers = os.cpu_count() or 1
    started: dict[Cell, Server] = {}
    with ExitStack() as stack:
        try:
            for cell in cells:
                port = free_port()
                log = directory / f"server-{port}.log"
                output: IO[bytes] = stack.enter_context(log.open("wb"))
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "--chdir",
                        "example_project",
                        "--workers",
                        str(workers),
                        "--bind",
                        f"{HOST}:{port}",
                        "example.wsgi",
                    ],
                    cwd=REPO,
                    env=server_env(cell, directory),
                    stdout=output,
                    stderr=output,
                    start_new_session=True,
                )
                started[cell] = Server(cell, port, process, log)
            for server in started.values():
                wait_until_serving(server)
            yield started
        finally:
            for server in started.values():
                stop(server.process)


def fetch(server: Server, path: str) -> tuple[int, str]:
    """GET ``path`` from ``server`` as the proxy would pass it on; no redirect followed."""
    connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
    try:
        connection.request("GET", path, headers=PROXY_HEADERS)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def wait_until_serving(server: Server) -> None:
    path = list_path()
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"the server for {server.cell.name} exited with status "
                f"{server.process.returncode}:\n{server.log_tail()}"
            )
        try:
            fetch(server, path)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the server for {server.cell.name} did not answer within "
                    f"{START_TIMEOUT:.0f} s:\n{server.log_tail()}"
                ) from None
            time.sleep(0.1)


def check_page(server: Server) -> None:
    """Fail loudly if the server does not answer with the page this cell should measure."""
    status, body = fetch(server, list_path())
    problems = []
    if status != 200:
        problems.append(f"status {status}")
    count = RESULTS_COUNT.search(body)
    if count is None or int(count[1]) != server.cell.site.listed:
        problems.append(f"not the list of {server.cell.site.listed} talks")
    if body.count('<tr id="talk-') != min(SMALL_TALKS, server.cell.site.listed):
        problems.append("not a page of ten rows")
    if server.cell.frame != ('<aside class="frame"' in body):
        problems.append(f"the frame should be {'on' if server.cell.frame else 'off'}")
    if problems:
        raise RuntimeError(f"{server.cell.name}: {', '.join(problems)}")


# -- Measuring ---------------------------------------------------------------------------


def clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy, all cores (/proc/stat, Linux)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is inside user).
    busy = sum(fields[:3]) + sum(fields[5:8])
    return busy / clock_ticks()


def group_cpu(group: int) -> float:
    """User + system CPU seconds of the live processes in a process group."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue  # the process has gone
        # After the command name: state, ppid, pgrp, ... utime (12th), stime (13th).
        if int(fields[2]) == group:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / clock_ticks()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(wrk: str, script: Path, server: Server, seconds: int) -> Run:
    """Drive ``server`` with wrk for ``seconds``: 16 connections, one wrk thread."""
    group = server.process.pid
    before = (machine_busy(), group_cpu(group), children_cpu())
    result = subprocess.run(
        [
            wrk,
            "--threads",
            "1",
            "--connections",
            str(CONNECTIONS),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "10s",
            *(part for name, value in PROXY_HEADERS.items() for part in ("-H", f"{name}: {value}")),
            "--script",
            str(script),
            f"http://{HOST}:{server.port}{list_path()}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    after = (machine_busy(), group_cpu(group), children_cpu())
    figures = WRK_LINE.search(result.stdout)
    if result.returncode != 0 or figures is None:
        raise RuntimeError(
            f"wrk failed against {server.cell.name} (status {result.returncode}):\n"
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


def warm_up(wrk: str, script: Path, running: dict[Cell, Server], plan: Plan) -> None:
    """Let every worker compile its templates and open its database connection."""
    for server in running.values():
        check_page(server)
        if plan.warmup:
            run_wrk(wrk, script, server, plan.warmup)
        else:
            for _ in range(4):
                fetch(server, list_path())


def measure(
    wrk: str, script: Path, running: dict[Cell, Server], plan: Plan, rng: random.Random
) -> tuple[list[dict[Cell, Run]], list[float]]:
    """Run every server under load, interleaved: one run per cell and repeat, and the probe.

    Each repeat runs wrk against every server once, for ``plan.seconds``, in
    a new random order; only one server is under load at a time.
    """
    repeats: list[dict[Cell, Run]] = []
    probes: list[float] = []
    for _ in range(plan.repeats):
        probes.append(cpu_probe())
        order = list(running)
        rng.shuffle(order)
        repeats.append({cell: run_wrk(wrk, script, running[cell], plan.seconds) for cell in order})
    return repeats, probes


# -- Reporting ---------------------------------------------------------------------------


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f}"


def report_queries(
    small: Site, large: Site, small_counts: QueryCounts, large_counts: QueryCounts
) -> None:
    print(
        "\nQueries per request, in process (test client, anonymous visitor, CaptureQueriesContext)"
    )
    print(f"  {'page':<24} {small.name:>12} {large.name:>14}")
    for (page, frame), count in small_counts.items():
        label = f"{'last' if page else 'first'} page, frame {'on' if frame else 'off'}"
        print(f"  {label:<24} {count:>12} {large_counts[page, frame]:>14}")


def ratios(repeats: Sequence[dict[Cell, Run]], top: Cell, bottom: Cell, figure: str) -> list[float]:
    """Per repeat, ``figure`` of ``top`` over the same of ``bottom``."""
    return [getattr(r[top], figure) / getattr(r[bottom], figure) for r in repeats]


def report_load(
    small: Site,
    large: Site,
    cells: Sequence[Cell],
    repeats: Sequence[dict[Cell, Run]],
    plan: Plan,
    seed: int,
) -> None:
    workers = os.cpu_count() or 1
    print(
        f"\nUnder load: wrk, 1 thread, {CONNECTIONS} connections, {plan.seconds} s per run, "
        f"against gunicorn ({workers} sync workers) on {HOST}; {plan.repeats} repeat(s), "
        f"the runs in a new random order each (seed {seed})"
    )
    print(
        f"  {'variant':<24} {'req/s':>16} {'p50 ms':>18} {'p99 ms':>20} {'max ms':>8}"
        f" {'server CPU ms/req':>18} {'errors':>6} {'non-200':>7}"
    )
    for cell in cells:
        runs = [repeat[cell] for repeat in repeats]
        print(
            f"  {cell.name:<24} {spread([r.per_second for r in runs], '.0f'):>16}"
            f" {spread([r.p50_ms for r in runs], '.1f'):>18}"
            f" {spread([r.p99_ms for r in runs], '.1f'):>20}"
            f" {max(r.max_ms for r in runs):>8.1f}"
            f" {spread([r.server_ms for r in runs], '.2f'):>18}"
            f" {sum(r.errors for r in runs):>6} {sum(r.non200 for r in runs):>7}"
        )
    print("  ratios 10,000 / 10 talks, median [min-max] of the per-repeat ratios:")
    for frame in plan.frames:
        p99 = ratios(repeats, Cell(large, frame), Cell(small, frame), "p99_ms")
        rps = ratios(repeats, Cell(large, frame), Cell(small, frame), "per_second")
        print(
            f"    frame {'on' if frame else 'off'}: p99 {spread(p99, '.2f')}x, "
            f"req/s {spread(rps, '.2f')}x"
        )
    # Little's law: with every connection always waiting for an answer, the
    # mean latency is connections / throughput, and the throughput can be no
    # more than the cores over the CPU each request needs. Other processes on
    # the machine can only push the latency above this bound.
    print(
        f"  Least mean latency at this server CPU per request (Little's law): {workers} cores "
        f"/ CPU per request = most req/s; {CONNECTIONS} connections / most req/s"
    )
    for cell in cells:
        cpu_ms = statistics.median(repeat[cell].server_ms for repeat in repeats)
        most = workers * 1000 / cpu_ms
        print(
            f"    {cell.name:<24} {cpu_ms:>6.2f} ms -> <= {most:>4.0f} req/s -> "
            f">= {CONNECTIONS / most * 1000:>3.0f} ms"
        )
    others = [run.others_cores for repeat in repeats for run in repeat.values()]
    print(
        f"  Other processes kept {spread(others, '.2f')} of the {workers} cores busy during "
        "the runs (the machine's busy time minus the servers' and wrk's)"
    )


def verdict(passed: bool, text: str) -> None:
    print(f"  {'PASS' if passed else 'FAIL'}  {text}")


def parse_plan(argv: Sequence[str] | None) -> tuple[Plan, int]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a small run (a smoke test)")
    parser.add_argument("--repeats", type=int, help="repeats (at least 3)")
    parser.add_argument("--seconds", type=int, help="seconds per wrk run (default 20)")
    parser.add_argument("--seed", type=int, help="the shuffle's random seed (default: random)")
    args = parser.parse_args(argv)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    if args.repeats is not None:
        if args.repeats < 3:
            parser.error("--repeats must be 3 or more: a median of fewer says nothing")
        plan = Plan(args.repeats, plan.seconds, plan.warmup, plan.frames)
    if args.seconds is not None:
        if args.seconds < 1:
            parser.error("--seconds must be 1 or more (wrk's shortest run)")
        plan = Plan(plan.repeats, args.seconds, plan.warmup, plan.frames)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    return plan, seed


def main(argv: Sequence[str] | None = None) -> int:
    plan, seed = parse_plan(argv)
    # No Python fallback: a Python load generator on these two cores would
    # take far more CPU per request than wrk, away from the server it times.
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "crud_list.py needs wrk, the HTTP load generator: install it "
            "(Debian and Ubuntu: apt-get install wrk).",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    load_before = load_average()

    with tempfile.TemporaryDirectory(prefix="django-six-demos-benchmark-") as name:
        directory = Path(name)
        configure(directory)
        # The servers answer on the loopback address too.
        os.environ["DJANGO_ALLOWED_HOSTS"] = f"testserver,{HOST}"
        import django
        from django.conf import settings

        django.setup()
        small, large, small_counts, large_counts = build_sites(directory)
        (directory / f"{FRAME_OFF_MODULE}.py").write_text(FRAME_OFF_SETTINGS, encoding="utf-8")
        script = directory / "crud_list.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")

        print(
            "Benchmark: the CRUD talk list with 10,000 talks, production server (django-six-demos)"
        )
        print(
            f"{datetime.date.today().isoformat()}; Python {platform.python_version()}, "
            f"Django {django.get_version()}, SQLite {sqlite3.sqlite_version}; "
            f"{os.cpu_count()} CPUs ({cpu_model()})"
        )
        print(
            f"Settings {SETTINGS_MODULE} (the example project's production settings), "
            f"DEBUG={settings.DEBUG}, demo frame on as deployed (and off for comparison)"
        )
        print(
            f"Sites: {small.name} ({small.listed} listed), {large.talks:,} talks "
            f"(demos_seed --extra-talks {EXTRA_TALKS}; {large.listed:,} accepted, listed to "
            "an anonymous visitor); the first page of the list, ten rows either way"
        )
        print(f"Before the runs, {load_before}")

        report_queries(small, large, small_counts, large_counts)

        cells = [Cell(site, frame) for frame in plan.frames for site in (large, small)]
        with servers(cells, directory) as running:
            warm_up(wrk, script, running, plan)
            repeats, probes = measure(wrk, script, running, plan, random.Random(seed))
        load_after = load_average()
        print(
            f"CPU reference probe: {spread(probes, '.1f')} ms per {PROBE_STEPS:,}-step "
            "pure-Python loop (lower is faster)"
        )
        report_load(small, large, cells, repeats, plan, seed)
        print(f"After the runs, {load_after} (the runs themselves keep about 3 busy)")

    deployed = Cell(large, frame=True)
    runs = [repeat[deployed] for repeat in repeats]
    p50 = statistics.median(r.p50_ms for r in runs)
    p99 = statistics.median(r.p99_ms for r in runs)
    rps = statistics.median(r.per_second for r in runs)
    failures = sum(r.errors + r.non200 for repeat in repeats for r in repeat.values())
    small_first, large_first = small_counts["", True], large_counts["", True]
    p99_ratio = statistics.median(ratios(repeats, deployed, Cell(small, frame=True), "p99_ms"))

    print("\nGoals (frame on, as the deployed demo serves the list):")
    verdict(
        small_counts == large_counts,
        f"the same query count with {large.name} as with {small.name}: "
        f"{large_first} = {small_first} on the first page"
        + ("" if small_counts == large_counts else " (not on every page and frame mode)")
        + (", also the last page and frame off" if small_counts == large_counts else ""),
    )
    verdict(
        p99 <= GOAL_P99_MS,
        f"p99 <= {GOAL_P99_MS:.0f} ms at {CONNECTIONS} connections with {large.name}: {p99:.1f} ms",
    )
    verdict(failures == 0, f"0 errors and 0 non-200 answers under load: {failures}")
    print(f"Took {time.monotonic() - started:.0f} s.")
    print(
        f"crud: queries 10k/10={large_first}/{small_first} p50={p50:.1f}ms p99={p99:.1f}ms "
        f"at {CONNECTIONS} connections req/s={rps:.0f} p99 10k/10={p99_ratio:.2f}x (frame on)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
