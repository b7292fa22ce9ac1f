"""Benchmark: the API room's four ways to serve the talks as JSON, side by side.

    python -m benchmarks.api [--quick] [--repeats N] [--seconds S] [--seed N]
                             [--server uvicorn|gunicorn] [--write-results]

Serializer only: each approach's ``encode_talks()`` on the same 100 talks with their speakers,
loaded once (no database). End to end: each approach's list endpoint under wrk (16 connections)
against the production server; then where a request's time goes, timed in process. Needs wrk.
Method: docs/performance.rst.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import importlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

from benchmarks.harness import (
    HOST,
    REPO,
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

RESULTS_FILE = REPO / "src" / "django_six_demos" / "api" / "data" / "benchmark.json"
# The talks each measurement serializes: one page at the list's largest page size.
TALKS = 100
# demos_seed's 120 talks hold 54 accepted ones; 120 benchmark talks add 54 more, so an
# anonymous visitor's list has more than one full page of TALKS.
EXTRA_TALKS = 120
CONNECTIONS = 16
# The page sizes measured end to end: TALKS (the goals: the same talks as the serializer
# measurement) and the list's default page.
PAGE_SIZES = (TALKS, 20)
# The baseline of every ratio: Django REST framework's ModelSerializer.
BASELINE = "drf"
FAST_SERIALIZER = "msgspec"
# What the proxy in front of a deployed site adds (trusted with DJANGO_BEHIND_PROXY=1);
# without it the production settings redirect to HTTPS.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
SERVERS = ("uvicorn", "gunicorn")
LOG = "server.log"

# Goals (docs/performance.rst).
GOAL_SERIALIZER_RATIO = 10.0  # msgspec's encode_talks() against DRF's, CPU per call
GOAL_RPS_RATIO = 1.5  # the fastest approach's list requests/s against DRF's


@dataclass(frozen=True)
class Plan:
    """How much to measure, in process and under load."""

    # Repeats of each measurement (serializer, breakdown, load); medians over them.
    repeats: int
    # In process: rounds per repeat, each calling every function for about batch_seconds.
    rounds: int
    batch_seconds: float
    # Under load: seconds per wrk run, seconds of warm-up load per endpoint (0: a few requests).
    seconds: int
    warmup: int
    page_sizes: tuple[int, ...]


# Five repeats, not three: on uvicorn (a thread per request) one endpoint's runs vary widely.
FULL_PLAN = Plan(
    repeats=5, rounds=10, batch_seconds=0.05, seconds=10, warmup=2, page_sizes=PAGE_SIZES
)
# A smoke test: one repeat, one second per endpoint (wrk's shortest run), pages of TALKS.
QUICK_PLAN = Plan(
    repeats=1, rounds=2, batch_seconds=0.005, seconds=1, warmup=0, page_sizes=(TALKS,)
)


@dataclass(frozen=True)
class Approach:
    """One flavour of the API room: its name, label, encode_talks() and list URL."""

    name: str
    label: str
    encode_talks: Callable[[Sequence[Any]], bytes]
    list_path: str


@dataclass(frozen=True)
class Endpoint:
    """A list endpoint at one page size: one column of the interleaved load runs."""

    approach: Approach
    page_size: int

    @property
    def name(self) -> str:
        return f"{self.approach.name}, {self.page_size} talks"

    @property
    def path(self) -> str:
        return f"{self.approach.list_path}?page_size={self.page_size}"


# -- The site and the approaches ----------------------------------------------------------


def approaches() -> list[Approach]:
    """The API room's flavours, in the page's order (``flavours.FLAVOURS``)."""
    from django_six_demos.api.flavours import FLAVOURS

    found = [
        Approach(
            flavour.name,
            flavour.label,
            importlib.import_module(flavour.module).encode_talks,
            flavour.list_url(),
        )
        for flavour in FLAVOURS
    ]
    if BASELINE not in {approach.name for approach in found}:
        raise RuntimeError(f"FLAVOURS has no {BASELINE!r}: nothing to compare against")
    return found


def listed_talks() -> Any:
    """An anonymous visitor's talks, as every list endpoint queries them (``talks.readable``)."""
    from django.contrib.auth.models import AnonymousUser

    from django_six_demos.api.talks import readable

    return readable(AnonymousUser())


def first_page() -> list[Any]:
    """The first TALKS talks of the list, with their speakers, loaded once."""
    talks = list(listed_talks()[:TALKS])
    if len(talks) < TALKS:
        raise RuntimeError(f"the site lists {len(talks)} talks, fewer than {TALKS}")
    return talks


def encoded_page(found: Sequence[Approach], talks: Sequence[Any]) -> bytes:
    """The JSON array of ``talks``; fail unless every approach writes the same bytes."""
    outputs = {approach.name: approach.encode_talks(talks) for approach in found}
    expected = outputs[BASELINE]
    differ = [name for name, output in outputs.items() if output != expected]
    if differ or not expected.startswith(b"[{"):
        raise RuntimeError(
            f"encode_talks() of {', '.join(differ) or BASELINE} differs from {BASELINE}'s: "
            "the approaches would not do the same work"
        )
    return expected


def expected_body(talks: Sequence[Any], results: bytes, page_size: int) -> bytes:
    """The list's first page as the contract writes it: count, page, pages, results."""
    count = len(talks)
    pages = -(-count // page_size)
    return b'{"count":%d,"page":1,"pages":%d,"results":%s}' % (count, pages, results)


# -- In process: interleaved calls ---------------------------------------------------------

# Per repeat: each function's CPU seconds per call.
Timings = list[dict[str, float]]


def time_calls(
    calls: Mapping[str, Callable[[], object]], plan: Plan, rng: random.Random
) -> tuple[Timings, list[float]]:
    """CPU per call of each function, interleaved: one figure per function and repeat.

    Each function gets a batch of calls of about ``plan.batch_seconds``; each round runs every
    batch once, in a new random order; each repeat is ``plan.rounds`` rounds. Also the probe.
    """
    batches = {}
    for name, call in calls.items():
        for _ in range(3):  # warm: imports, caches, the connection
            call()
        start = time.process_time()
        call()
        each = max(time.process_time() - start, 1e-6)
        batches[name] = max(1, round(plan.batch_seconds / each))
    repeats: Timings = []
    probes: list[float] = []
    for _ in range(plan.repeats):
        totals = dict.fromkeys(calls, 0.0)
        probe = 0.0
        for _ in range(plan.rounds):
            probe += cpu_probe()
            order = list(calls)
            rng.shuffle(order)
            for name in order:
                call, batch = calls[name], batches[name]
                start = time.process_time()
                for _ in range(batch):
                    call()
                totals[name] += time.process_time() - start
        repeats.append({name: totals[name] / (batches[name] * plan.rounds) for name in calls})
        probes.append(probe / plan.rounds)
    return repeats, probes


def per_repeat(timings: Timings, name: str, scale: float = 1.0) -> list[float]:
    return [repeat[name] * scale for repeat in timings]


def serializer_ratios(timings: Timings, name: str) -> list[float]:
    """Per repeat, how many times faster than DRF's encode_talks() ``name``'s is."""
    return [repeat[BASELINE] / repeat[name] for repeat in timings]


# -- In process: where a request's time goes -------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """CPU ms per request of one approach's list of TALKS, in process, and its parts."""

    request: list[float]
    sql: list[float]
    orm: list[float]
    serializer: list[float]

    @property
    def rest(self) -> list[float]:
        """Django's request cycle around them: middleware, URL, view, pagination, response."""
        return [
            request - orm - serializer
            for request, orm, serializer in zip(
                self.request, self.orm, self.serializer, strict=True
            )
        ]

    @property
    def orm_objects(self) -> list[float]:
        """The ORM beyond SQLite: compiling the queries and building the rows' objects."""
        return [orm - sql for orm, sql in zip(self.orm, self.sql, strict=True)]


def request_call(path: str) -> Callable[[], object]:
    """One anonymous GET through Django's WSGI handler, called as a WSGI server calls it."""
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    route, _, query = path.partition("?")
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        return len  # the write() callable; Django never calls it

    def call() -> object:
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": route, "QUERY_STRING": query}
        environ |= {"HTTP_HOST": "testserver", "wsgi.url_scheme": "https", "SERVER_PORT": "443"}
        setup_testing_defaults(environ)
        statuses.clear()
        response = handler(environ, start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()  # as a server does: request_finished
        if statuses != ["200 OK"]:
            raise RuntimeError(f"GET {path}: {statuses}")
        return body

    return call


def sql_call(queries: Sequence[Mapping[str, str]]) -> Callable[[], object]:
    """The SELECTs a request made, run again straight on SQLite's connection."""
    from django.db import connection

    # SQLite's backend logs each query with its parameters quoted by SQLite itself.
    selects = [query["sql"] for query in queries if query["sql"].startswith("SELECT")]
    connection.ensure_connection()
    raw = connection.connection

    def call() -> object:
        return [raw.execute(sql).fetchall() for sql in selects]

    return call


def orm_call() -> Callable[[], object]:
    """What the list's queries cost through the ORM: the count and the page of TALKS."""

    def call() -> object:
        talks = listed_talks()
        return talks.count(), list(talks[:TALKS])

    return call


def where_the_time_goes(
    found: Sequence[Approach], talks: Sequence[Any], plan: Plan, rng: random.Random
) -> tuple[dict[str, Breakdown], dict[str, int], list[float]]:
    """Time, interleaved: each approach's request and SQL, the ORM, each encode_talks()."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    calls: dict[str, Callable[[], object]] = {"orm": orm_call()}
    queries = {}
    for approach in found:
        request = request_call(Endpoint(approach, TALKS).path)
        request()
        with CaptureQueriesContext(connection) as captured:
            request()
        queries[approach.name] = len(captured)
        calls[f"request {approach.name}"] = request
        calls[f"sql {approach.name}"] = sql_call(captured.captured_queries)
        calls[f"encode {approach.name}"] = functools.partial(approach.encode_talks, talks)
    timings, probes = time_calls(calls, plan, rng)
    ms = 1000.0
    breakdowns = {
        approach.name: Breakdown(
            request=per_repeat(timings, f"request {approach.name}", ms),
            sql=per_repeat(timings, f"sql {approach.name}", ms),
            orm=per_repeat(timings, "orm", ms),
            serializer=per_repeat(timings, f"encode {approach.name}", ms),
        )
        for approach in found
    }
    return breakdowns, queries, probes


# -- Under load: the production server ------------------------------------------------------


def uvicorn_command(port: int) -> list[str]:
    """The example project's production server, as docs/howto/deploy-the-example-project.rst
    runs it: uvicorn, a process per core, Django's ASGI application."""
    workers = str(os.cpu_count() or 1)
    return [
        *(sys.executable, "-m", "uvicorn", "example.asgi:application"),
        *("--app-dir", "example_project", "--host", HOST, "--port", str(port)),
        *("--workers", workers, "--lifespan", "off"),
        *("--proxy-headers", "--forwarded-allow-ips", HOST),
    ]


def server_description(server: str) -> str:
    workers = os.cpu_count() or 1
    if server == "uvicorn":
        return f"uvicorn {metadata.version('uvicorn')}, {workers} worker processes (ASGI)"
    return f"gunicorn {metadata.version('gunicorn')}, {workers} sync workers (WSGI)"


def server_command(server: str, port: int) -> list[str]:
    return uvicorn_command(port) if server == "uvicorn" else gunicorn(port)


@contextmanager
def production_server(
    server: str, directory: Path
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = subprocess_env(DJANGO_ALLOWED_HOSTS=HOST, DJANGO_BEHIND_PROXY="1")
    with processes([(server_command(server, port), env)], directory / LOG) as (process,):
        yield process, port


def check_endpoint(port: int, endpoint: Endpoint, expected: bytes) -> int:
    """Fail loudly unless the server answers with the page this endpoint should measure."""
    status, body = fetch(port, endpoint.path, PROXY_HEADERS)
    data = body.encode()
    if status != 200 or data != expected:
        raise RuntimeError(
            f"{endpoint.name}: status {status}, {len(data)} bytes; not the expected page of "
            f"{endpoint.page_size} talks ({len(expected)} bytes): {body[:300]}"
        )
    return len(data)


def wrk_command(wrk: str, script: Path) -> list[str]:
    """wrk with one thread and 16 connections, as the proxy would send the requests."""
    headers = [part for name, value in PROXY_HEADERS.items() for part in ("-H", f"{name}: {value}")]
    return [wrk, "--threads", "1", "--connections", str(CONNECTIONS), "--timeout", "10s"] + [
        *headers,
        "--script",
        str(script),
    ]


def load(
    wrk: list[str], process: subprocess.Popen[bytes], port: int, endpoint: Endpoint, seconds: int
) -> Run:
    return run_wrk(wrk, process, f"http://{HOST}:{port}{endpoint.path}", seconds)


def measure_load(
    wrk: list[str],
    process: subprocess.Popen[bytes],
    port: int,
    endpoints: Sequence[Endpoint],
    plan: Plan,
    rng: random.Random,
) -> tuple[list[dict[Endpoint, Run]], list[float]]:
    """Run wrk against every endpoint, interleaved: one run per endpoint and repeat, and the probe.

    Each repeat runs every endpoint once, in a new random order, one at a time.
    """
    repeats: list[dict[Endpoint, Run]] = []
    probes: list[float] = []
    for _ in range(plan.repeats):
        probes.append(cpu_probe())
        order = list(endpoints)
        rng.shuffle(order)
        repeats.append(
            {endpoint: load(wrk, process, port, endpoint, plan.seconds) for endpoint in order}
        )
    return repeats, probes


# -- Reporting ---------------------------------------------------------------------------


def versions() -> str:
    names = ("djangorestframework", "django-ninja", "pydantic", "msgspec")
    return ", ".join(f"{name} {metadata.version(name)}" for name in names)


def report_serializer(
    found: Sequence[Approach], timings: Timings, size: int, plan: Plan, seed: int
) -> None:
    print(
        f"\nSerializer only: encode_talks() on the same {TALKS} talks with their speakers, loaded "
        f"once (no database); CPU per call; {plan.repeats} repeat(s) of {plan.rounds} rounds, "
        f"each in a new random order (seed {seed}); every approach writes the same {size:,} bytes"
    )
    print(f"  {'approach':<44} {'us per call':>22} {f'x faster than {BASELINE}':>24}")
    for approach in found:
        micros = per_repeat(timings, approach.name, 1e6)
        faster = serializer_ratios(timings, approach.name)
        label = f"{approach.name} ({approach.label})"
        print(f"  {label:<44} {spread(micros, '.1f'):>22} {spread(faster, '.2f'):>24}")


def report_load(
    endpoints: Sequence[Endpoint],
    repeats: Sequence[dict[Endpoint, Run]],
    body_bytes: Mapping[Endpoint, int],
    plan: Plan,
    server: str,
    seed: int,
) -> None:
    print(
        f"\nUnder load: wrk, 1 thread, {CONNECTIONS} connections, {plan.seconds} s per run, against "
        f"{server_description(server)} on {HOST}; {plan.repeats} repeat(s), the runs in a new "
        f"random order each (seed {seed}); errors = socket errors + answers other than 200"
    )
    print(
        f"  {'endpoint':<20} {'body bytes':>10} {'req/s':>18} {'p50 ms':>20} {'p99 ms':>22}"
        f" {'max ms':>8} {'server CPU ms/req':>20} {'errors':>6}"
    )
    for endpoint in endpoints:
        runs = [repeat[endpoint] for repeat in repeats]
        print(
            f"  {endpoint.name:<20} {body_bytes[endpoint]:>10,}"
            f" {spread([r.per_second for r in runs], '.0f'):>18}"
            f" {spread([r.p50_ms for r in runs], '.1f'):>20}"
            f" {spread([r.p99_ms for r in runs], '.1f'):>22}"
            f" {max(r.max_ms for r in runs):>8.1f}"
            f" {spread([r.server_ms for r in runs], '.2f'):>20}"
            f" {sum(r.errors + r.non200 for r in runs):>6}"
        )
    print(
        f"  req/s against {BASELINE}'s at the same page size, median [min-max] of the per-repeat ratios:"
    )
    for page_size in plan.page_sizes:
        group = [e for e in endpoints if e.page_size == page_size]
        [baseline] = [e for e in group if e.approach.name == BASELINE]
        figures = ", ".join(
            f"{e.approach.name} {spread(ratios(repeats, e, baseline), '.2f')}x"
            for e in group
            if e is not baseline
        )
        print(f"    {page_size} talks: {figures}")
    others = [run.others_cores for repeat in repeats for run in repeat.values()]
    workers = os.cpu_count() or 1
    print(
        f"  Other processes kept {spread(others, '.2f')} of the {workers} cores busy during "
        "the runs (the machine's busy time minus the server's and wrk's)"
    )


def report_breakdown(
    found: Sequence[Approach],
    breakdowns: Mapping[str, Breakdown],
    queries: Mapping[str, int],
    server_ms: Mapping[str, float],
    plan: Plan,
) -> None:
    print(
        f"\nWhere the time goes: the list of {TALKS} talks, CPU ms per request, timed in process "
        f"(Django's WSGI handler called in a loop, anonymous, every part interleaved; "
        f"{plan.repeats} repeat(s), medians)"
    )
    print(
        "  SQL: the request's SELECTs run again straight on SQLite; ORM: the same count and page "
        "through the ORM, less the SQL;"
    )
    print(
        "  serializer: encode_talks(); Django: the rest of the request (middleware, URL, view, "
        "parameters, response); server: the server's CPU per request under load less all of these"
    )
    print(
        f"  {'approach':<10} {'queries':>7} {'request':>8} {'SQL':>6} {'ORM':>6} {'serializer':>10}"
        f" {'Django':>7} {'server':>7} {'under load':>10}   shares of the server CPU per request"
    )
    for approach in found:
        parts = breakdowns[approach.name]
        request = statistics.median(parts.request)
        sql = statistics.median(parts.sql)
        orm = statistics.median(parts.orm_objects)
        serializer = statistics.median(parts.serializer)
        rest = statistics.median(parts.rest)
        total = server_ms[approach.name]
        server = total - request
        shares = "/".join(
            f"{part / total * 100:.0f}" for part in (sql, orm, serializer, rest, server)
        )
        print(
            f"  {approach.name:<10} {queries[approach.name]:>7} {request:>8.2f} {sql:>6.2f}"
            f" {orm:>6.2f} {serializer:>10.2f} {rest:>7.2f} {server:>7.2f} {total:>10.2f}"
            f"   {shares} %"
        )


def results(
    found: Sequence[Approach],
    timings: Timings,
    repeats: Sequence[dict[Endpoint, Run]],
    body_bytes: Mapping[Endpoint, int],
    plan: Plan,
    server: str,
) -> dict[str, Any]:
    """The figures of data/benchmark.json (the room's comparison page reads them)."""
    import django

    flavours = {}
    for approach in found:
        endpoint = Endpoint(approach, TALKS)
        runs = [repeat[endpoint] for repeat in repeats]
        flavours[approach.name] = {
            "serializer_us": round(statistics.median(per_repeat(timings, approach.name, 1e6)), 1),
            "serializer_ratio": round(
                statistics.median(serializer_ratios(timings, approach.name)), 2
            ),
            "bytes": body_bytes[endpoint],
            "rps": round(statistics.median(r.per_second for r in runs), 1),
            "p50_ms": round(statistics.median(r.p50_ms for r in runs), 1),
            "p99_ms": round(statistics.median(r.p99_ms for r in runs), 1),
            "errors": sum(r.errors + r.non200 for r in runs),
        }
    return {
        "measured_on": datetime.date.today().isoformat(),
        "django": django.get_version(),
        "python": platform.python_version(),
        "server": f"{server_description(server)}, production settings",
        "connections": CONNECTIONS,
        "seconds": plan.seconds,
        "talks": TALKS,
        "goals": {"serializer_ratio": GOAL_SERIALIZER_RATIO, "rps_ratio": GOAL_RPS_RATIO},
        "flavours": flavours,
    }


def parse_plan(argv: Sequence[str] | None) -> tuple[Plan, int, Any]:
    options = parser(__doc__)
    options.add_argument("--seconds", type=int, help="seconds per wrk run (default 10)")
    options.add_argument(
        "--server",
        choices=SERVERS,
        default="uvicorn",
        help="the production server: uvicorn as the deploy how-to runs it (default), or gunicorn",
    )
    options.add_argument(
        "--write-results",
        action="store_true",
        help="write the figures to the room's comparison page (data/benchmark.json); full runs only",
    )
    args, seed = parse(options, argv)
    if args.write_results and (args.quick or args.server != "uvicorn"):
        options.error(
            "--write-results takes a full run's figures on uvicorn: drop --quick, --server"
        )
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    if args.repeats is not None:
        plan = dataclasses.replace(plan, repeats=args.repeats)
    if args.seconds is not None:
        if args.seconds < 1:
            options.error("--seconds must be 1 or more (wrk's shortest run)")
        plan = dataclasses.replace(plan, seconds=args.seconds)
    return plan, seed, args


def under_load(
    wrk: str,
    server: str,
    directory: Path,
    endpoints: Sequence[Endpoint],
    expected: Mapping[Endpoint, bytes],
    plan: Plan,
    rng: random.Random,
) -> tuple[list[dict[Endpoint, Run]], dict[Endpoint, int], list[float]]:
    """Start the server, check each endpoint's page, warm up, then the interleaved wrk runs."""
    script = directory / "api.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    command = wrk_command(wrk, script)
    with production_server(server, directory) as (process, port):
        wait_until_serving(process, port, endpoints[0].path, PROXY_HEADERS, directory / LOG)
        body_bytes = {
            endpoint: check_endpoint(port, endpoint, expected[endpoint]) for endpoint in endpoints
        }
        for endpoint in endpoints:
            if plan.warmup:
                load(command, process, port, endpoint, plan.warmup)
            else:
                for _ in range(4):
                    fetch(port, endpoint.path, PROXY_HEADERS)
        repeats, probes = measure_load(command, process, port, endpoints, plan, rng)
    return repeats, body_bytes, probes


def judge(
    found: Sequence[Approach], timings: Timings, repeats: Sequence[dict[Endpoint, Run]]
) -> tuple[list[Goal], str]:
    """The verdict per goal (pages of TALKS) and the last line of the output."""
    names = [approach.name for approach in found]
    serializer = {name: statistics.median(serializer_ratios(timings, name)) for name in names}
    judged = {approach.name: Endpoint(approach, TALKS) for approach in found}
    rps = {
        name: statistics.median(repeat[endpoint].per_second for repeat in repeats)
        for name, endpoint in judged.items()
    }
    p99 = {name: statistics.median(r[judged[name]].p99_ms for r in repeats) for name in names}
    fastest = max((name for name in names if name != BASELINE), key=rps.__getitem__)
    rps_ratio = statistics.median(ratios(repeats, judged[fastest], judged[BASELINE]))
    errors = dict.fromkeys(names, 0)
    for repeat in repeats:
        for endpoint, run in repeat.items():
            errors[endpoint.approach.name] += run.errors + run.non200
    fast = serializer.get(FAST_SERIALIZER, 0.0)
    goals = [
        Goal(
            fast >= GOAL_SERIALIZER_RATIO,
            f"{FAST_SERIALIZER}'s encode_talks() >= {GOAL_SERIALIZER_RATIO:.0f}x faster than "
            f"{BASELINE}'s ModelSerializer, {TALKS} talks",
            f"{fast:.2f}x",
        ),
        Goal(
            rps_ratio >= GOAL_RPS_RATIO,
            f"the fastest approach >= {GOAL_RPS_RATIO}x {BASELINE}'s req/s, list of {TALKS} talks, "
            f"{CONNECTIONS} connections",
            f"{fastest} {rps_ratio:.2f}x ({rps[fastest]:.0f} / {rps[BASELINE]:.0f} req/s)",
        ),
        Goal(
            sum(errors.values()) == 0,
            "0 errors for every approach under load",
            ", ".join(f"{name} {count}" for name, count in errors.items()),
        ),
    ]
    faster = " ".join(f"{name}={serializer[name]:.2f}x" for name in names if name != BASELINE)
    last = (
        f"api: serializer vs {BASELINE} {faster} req/s {fastest}/{BASELINE}={rps_ratio:.2f}x "
        f"p99 {BASELINE}={p99[BASELINE]:.1f}ms {fastest}={p99[fastest]:.1f}ms "
        f"errors={sum(errors.values())}"
    )
    return goals, last


def main(argv: Sequence[str] | None = None) -> int:
    plan, seed, args = parse_plan(argv)
    # No Python fallback: a Python load generator would take far more CPU per request
    # than wrk, away from the server it times.
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "benchmarks.api needs wrk, the HTTP load generator: install it "
            "(Debian and Ubuntu: apt-get install wrk).",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    load_before = load_average()
    rng = random.Random(seed)

    # The server answers on the loopback address too.
    with throwaway_site(hosts=f"testserver,{HOST}") as directory:
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections

        build_site()
        call_command("demos_seed", extra_talks=EXTRA_TALKS, verbosity=0)
        found = approaches()
        talks = first_page()
        everyone = list(listed_talks())
        encoded = encoded_page(found, talks)
        others = ", ".join(str(size) for size in plan.page_sizes if size != TALKS)

        print_header("the API room's four approaches, serializer and end to end")
        print(
            f"Settings {SETTINGS_MODULE} (the example project's production settings), "
            f"DEBUG={settings.DEBUG}; {versions()}"
        )
        print(
            f"Site: demos_seed --extra-talks {EXTRA_TALKS}, {len(everyone)} talks listed to an "
            f"anonymous visitor; the lists' first page, page_size={TALKS} (the goals)"
            + (f" and {others}" if others else "")
        )
        print(f"Server: python {' '.join(server_command(args.server, 8000)[1:])} (a free port)")
        print(f"Before the runs, {load_before}")

        calls = {
            approach.name: functools.partial(approach.encode_talks, talks) for approach in found
        }
        timings, probes = time_calls(calls, plan, rng)
        report_serializer(found, timings, len(encoded), plan, seed)

        breakdowns, queries, breakdown_probes = where_the_time_goes(found, talks, plan, rng)
        endpoints = [Endpoint(approach, size) for size in plan.page_sizes for approach in found]
        expected = {
            endpoint: expected_body(
                everyone, encoded_page(found, everyone[: endpoint.page_size]), endpoint.page_size
            )
            for endpoint in endpoints
        }
        # The server has the database to itself.
        connections.close_all()
        repeats, body_bytes, load_probes = under_load(
            wrk, args.server, directory, endpoints, expected, plan, rng
        )
        load_after = load_average()

    print_probe(probes + breakdown_probes + load_probes)
    report_load(endpoints, repeats, body_bytes, plan, args.server, seed)
    server_ms = {
        approach.name: statistics.median(
            repeat[Endpoint(approach, TALKS)].server_ms for repeat in repeats
        )
        for approach in found
    }
    report_breakdown(found, breakdowns, queries, server_ms, plan)
    print(f"After the runs, {load_after}")

    goals, last = judge(found, timings, repeats)
    notes = []
    if args.write_results:
        RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
        data = results(found, timings, repeats, body_bytes, plan, args.server)
        RESULTS_FILE.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        notes.append(f"Wrote {RESULTS_FILE.relative_to(REPO)}.")
    print_goals(f"Goals ({TALKS} talks with their speakers)", goals, started, notes)
    print(f"{last} ({TALKS} talks, {args.server})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
