"""Benchmark: the CRUD demo's talk list with 10,000 talks, on the production server.

    python -m benchmarks.crud_list [--quick] [--repeats N] [--seconds S] [--seed N]

Two throwaway sites (10 talks; 10,000 more from ``demos_seed --extra-talks``): the list's
queries in process, then its latency under ``wrk`` (16 connections) against gunicorn, frame
on (as deployed; goals judged there) and off. Needs wrk. Method: docs/performance.rst.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import (
    HOST,
    SETTINGS_MODULE,
    WRK_SCRIPT,
    Goal,
    Run,
    build_site,
    cpu_probe,
    fetch,
    free_port,
    gunicorn,
    load_average,
    parse,
    parser,
    print_goals,
    print_header,
    print_probe,
    processes,
    ratios,
    run_wrk,
    spread,
    subprocess_env,
    throwaway_site,
    wait_until_serving,
)

EXTRA_TALKS = 10_000
SMALL_TALKS = 10
CONNECTIONS = 16
# What the proxy in front of a deployed site adds (trusted with DJANGO_BEHIND_PROXY=1);
# without it the production settings redirect to HTTPS.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
# The frame-off servers' settings: the production settings with the frame off.
FRAME_OFF_MODULE = "crud_list_frame_off"
FRAME_OFF_SETTINGS = f'''"""benchmarks/crud_list.py's frame-off servers (a throwaway file)."""

from {SETTINGS_MODULE} import *  # noqa: F403

DJANGO_SIX_DEMOS_FRAME = False
'''

# Goals (docs/performance.rst), judged frame on.
GOAL_P99_MS = 60.0

RESULTS_COUNT = re.compile(r'class="results-count"[^>]*>\s*(\d+) talks?')


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


@dataclass
class Server:
    cell: Cell
    port: int
    process: subprocess.Popen[bytes]


# -- Setting up the sites ----------------------------------------------------------------


def list_path(page: str | None = None) -> str:
    from django.urls import reverse

    path = reverse("demos-talk-list")
    return f"{path}?page={page}" if page else path


def queries_of(path: str, frame: bool) -> int:
    """Return the queries one anonymous request for ``path`` makes, in process."""
    from django.test import Client
    from django.test.utils import override_settings

    from django_six_demos.queries import count_queries

    client = Client()
    with override_settings(DJANGO_SIX_DEMOS_FRAME=frame):
        client.get(path, secure=True)  # warm: templates, static manifest, connection
        with count_queries() as queries:
            response = client.get(path, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: status {response.status_code}")
    return queries.count


QueryCounts = dict[tuple[str, bool], int]


def all_query_counts() -> QueryCounts:
    """Queries of the first and the last page, frame on and off."""
    return {
        (page, frame): queries_of(list_path(page), frame)
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
    """Build the 10-talk site (a copy) and the 10,000-talk one (this process's database)."""
    from django.core.management import call_command
    from django.db import connections

    from django_six_demos.conference.models import Talk

    build_site()
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


@contextmanager
def servers(cells: Sequence[Cell], directory: Path) -> Iterator[dict[Cell, Server]]:
    """Start one gunicorn per cell, on the repository root and the frame-off settings' folder."""
    ports = [free_port() for _ in cells]
    path = os.pathsep.join(filter(None, [str(directory), os.environ.get("PYTHONPATH")]))
    commands = []
    for cell, port in zip(cells, ports, strict=True):
        env = subprocess_env(
            EXAMPLE_DATA_DIR=str(cell.site.data_dir),
            DJANGO_ALLOWED_HOSTS=HOST,
            DJANGO_BEHIND_PROXY="1",
            PYTHONPATH=path,
        )
        if not cell.frame:
            env["DJANGO_SETTINGS_MODULE"] = FRAME_OFF_MODULE
        commands.append((gunicorn(port), env))
    log = directory / "servers.log"
    with processes(commands, log) as started:
        running = {
            cell: Server(cell, port, process)
            for cell, port, process in zip(cells, ports, started, strict=True)
        }
        for server in running.values():
            wait_until_serving(server.process, server.port, list_path(), PROXY_HEADERS, log)
        yield running


def check_page(server: Server) -> None:
    """Fail loudly if the server does not answer with the page this cell should measure."""
    status, body = fetch(server.port, list_path(), PROXY_HEADERS)
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


def wrk_command(wrk: str, script: Path) -> list[str]:
    """wrk with one thread and 16 connections, as the proxy would send the requests."""
    headers = [part for name, value in PROXY_HEADERS.items() for part in ("-H", f"{name}: {value}")]
    return [wrk, "--threads", "1", "--connections", str(CONNECTIONS), "--timeout", "10s"] + [
        *headers,
        "--script",
        str(script),
    ]


def load(wrk: list[str], server: Server, seconds: int) -> Run:
    return run_wrk(wrk, server.process, f"http://{HOST}:{server.port}{list_path()}", seconds)


def warm_up(wrk: list[str], running: dict[Cell, Server], plan: Plan) -> None:
    """Let every worker compile its templates and open its database connection."""
    for server in running.values():
        check_page(server)
        if plan.warmup:
            load(wrk, server, plan.warmup)
        else:
            for _ in range(4):
                fetch(server.port, list_path(), PROXY_HEADERS)


def measure(
    wrk: list[str], running: dict[Cell, Server], plan: Plan, rng: random.Random
) -> tuple[list[dict[Cell, Run]], list[float]]:
    """Run every server under load, interleaved: one run per cell and repeat, and the probe.

    Each repeat runs wrk against every server once, in a new random order; one server at a time.
    """
    repeats: list[dict[Cell, Run]] = []
    probes: list[float] = []
    for _ in range(plan.repeats):
        probes.append(cpu_probe())
        order = list(running)
        rng.shuffle(order)
        repeats.append({cell: load(wrk, running[cell], plan.seconds) for cell in order})
    return repeats, probes


# -- Reporting ---------------------------------------------------------------------------


def report_queries(
    small: Site, large: Site, small_counts: QueryCounts, large_counts: QueryCounts
) -> None:
    print("\nQueries per request, in process (test client, anonymous visitor, count_queries())")
    print(f"  {'page':<24} {small.name:>12} {large.name:>14}")
    for (page, frame), count in small_counts.items():
        label = f"{'last' if page else 'first'} page, frame {'on' if frame else 'off'}"
        print(f"  {label:<24} {count:>12} {large_counts[page, frame]:>14}")


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
    # Little's law: with every connection always waiting, the mean latency is connections /
    # throughput, and the throughput at most the cores over the CPU per request.
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


def parse_plan(argv: Sequence[str] | None) -> tuple[Plan, int]:
    options = parser(__doc__)
    options.add_argument("--seconds", type=int, help="seconds per wrk run (default 20)")
    args, seed = parse(options, argv)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    if args.repeats is not None:
        plan = Plan(args.repeats, plan.seconds, plan.warmup, plan.frames)
    if args.seconds is not None:
        if args.seconds < 1:
            options.error("--seconds must be 1 or more (wrk's shortest run)")
        plan = Plan(plan.repeats, args.seconds, plan.warmup, plan.frames)
    return plan, seed


def main(argv: Sequence[str] | None = None) -> int:
    plan, seed = parse_plan(argv)
    # No Python fallback: a Python load generator would take far more CPU per request
    # than wrk, away from the server it times.
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "benchmarks.crud_list needs wrk, the HTTP load generator: install it "
            "(Debian and Ubuntu: apt-get install wrk).",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    load_before = load_average()

    # The servers answer on the loopback address too.
    with throwaway_site(hosts=f"testserver,{HOST}") as directory:
        from django.conf import settings

        small, large, small_counts, large_counts = build_sites(directory)
        (directory / f"{FRAME_OFF_MODULE}.py").write_text(FRAME_OFF_SETTINGS, encoding="utf-8")
        script = directory / "crud_list.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        command = wrk_command(wrk, script)

        print_header("the CRUD talk list with 10,000 talks, production server")
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
            warm_up(command, running, plan)
            repeats, probes = measure(command, running, plan, random.Random(seed))
        load_after = load_average()
        print_probe(probes)
        report_load(small, large, cells, repeats, plan, seed)
        print(f"After the runs, {load_after} (the runs themselves keep about 3 busy)")

    deployed, baseline = Cell(large, frame=True), Cell(small, frame=True)
    runs = [repeat[deployed] for repeat in repeats]
    p50 = statistics.median(r.p50_ms for r in runs)
    p99 = statistics.median(r.p99_ms for r in runs)
    rps = statistics.median(r.per_second for r in runs)
    failures = sum(r.errors + r.non200 for repeat in repeats for r in repeat.values())
    small_first, large_first = small_counts["", True], large_counts["", True]
    p99_ratio = statistics.median(ratios(repeats, deployed, baseline, "p99_ms"))
    same = small_counts == large_counts
    goals = [
        Goal(
            same,
            f"the same query count with {large.name} as with {small.name}",
            f"{large_first} = {small_first} on the first page"
            + (", also the last page and frame off" if same else " (not on every page and mode)"),
        ),
        Goal(
            p99 <= GOAL_P99_MS,
            f"p99 <= {GOAL_P99_MS:.0f} ms at {CONNECTIONS} connections with {large.name}",
            f"{p99:.1f} ms",
        ),
        Goal(failures == 0, "0 errors and 0 non-200 answers under load", str(failures)),
    ]
    print_goals("Goals (frame on, as the deployed demo serves the list)", goals, started)
    print(
        f"crud: queries 10k/10={large_first}/{small_first} p50={p50:.1f}ms p99={p99:.1f}ms "
        f"at {CONNECTIONS} connections req/s={rps:.0f} p99 10k/10={p99_ratio:.2f}x (frame on)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
