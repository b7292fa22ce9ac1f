"""Benchmark: the partials demo's htmx fragments against the full talk explorer page.

Run from the repository root::

    uv run --group example python benchmarks/partials.py [--quick] [--repeats N]

It builds a throwaway site in a temporary directory (the example project's
production settings, see ``benchmarks/settings.py``; an SQLite database with
dj-lite's settings, migrated and seeded with ``demos_seed``; the static files
collected), then measures, in one run and side by side, as an anonymous
visitor over HTTPS:

* ``full``: the talk explorer, ``GET /partials/``, the whole page;
* ``full-aa``: the same page again, the A/A control that shows the noise;
* ``results``: the same URL with ``HX-Request: true``, the ``results`` partial;
* ``row``: one talk's row from htmx, ``GET /partials/talks/<pk>/row/``.

Each variant runs with the demo frame on (as the demo serves it: full pages
carry the source panel, highlighted by Pygments, and the response inspector)
and off (``DJANGO_SIX_DEMOS_FRAME = False``: the feature's own cost). The goals
are judged on the frame-off figures.

The method (docs/performance.rst): CPU time per request in process (the Django
test client through the whole middleware stack, ``time.process_time()``);
every variant in small batches, interleaved, in a new random order each round;
at least three repeats, each variant and ratio reported as ``median
[min-max]``, ratios taken within each repeat; a CPU reference probe printed
beside the results. The last line holds the key figures.

This is not a test: each goal prints PASS or FAIL, and the exit status is 0
unless the benchmark itself failed (a response that is not what it should
measure).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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

# Goals, judged on the frame-off figures.
GOAL_RESULTS_SPEED = 2.0
GOAL_RESULTS_BYTES = 0.5
GOAL_ROW_SPEED = 4.0


@dataclass(frozen=True)
class Plan:
    """How much to measure: ``repeats`` x ``rounds`` x ``batch`` requests per variant."""

    repeats: int
    rounds: int
    batch: int
    warmup: int = 20


FULL_PLAN = Plan(repeats=5, rounds=30, batch=10)
QUICK_PLAN = Plan(repeats=3, rounds=2, batch=4, warmup=3)


@dataclass(frozen=True)
class Variant:
    """One kind of request, measured with the frame on and off."""

    key: str
    label: str
    path: str
    # The htmx headers a browser sends with it; none for a full page load.
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Cell:
    """A variant with the frame on or off: one column of the interleaved schedule."""

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


# -- Setting up the site ---------------------------------------------------------------


def configure(directory: Path) -> None:
    """Point Django at ``benchmarks.settings`` with a fresh site in ``directory``."""
    for name in ENVIRONMENT:
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["EXAMPLE_DATA_DIR"] = str(directory)
    os.environ["EXAMPLE_STATIC_ROOT"] = str(directory / "static")
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    # The benchmarks package, and the example project's settings package.
    for path in (REPO / "example_project", REPO):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


def build_site() -> None:
    """Migrate and seed the database, and collect the static files (manifest storage)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demos_seed", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def variants() -> list[Variant]:
    from django.contrib.auth.models import AnonymousUser
    from django.urls import reverse

    from django_six_demos.conference.access import readable_talks
    from django_six_demos.partials.forms import SORTS

    index = reverse("django_six_demos_partials:index")
    # The first row the explorer shows an anonymous visitor, in its default order.
    talk = readable_talks(AnonymousUser()).order_by(*SORTS["title"]).first()
    if talk is None:
        raise RuntimeError("demos_seed created no talks.")
    row = reverse("django_six_demos_partials:row", args=[talk.pk])
    current = f"https://testserver{index}"
    return [
        Variant("full", "full page", index),
        Variant("full-aa", "full page (A/A)", index),
        Variant(
            "results",
            "results partial",
            index,
            {"HX-Request": "true", "HX-Current-URL": current, "HX-Target": "results"},
        ),
        Variant(
            "row",
            "single-row swap",
            row,
            {"HX-Request": "true", "HX-Current-URL": current, "HX-Target": f"talk-{talk.pk}"},
        ),
    ]


def make_cells(variants: Sequence[Variant]) -> list[Cell]:
    from django.http import HttpResponse
    from django.test import Client

    cells = []
    for frame in (True, False):
        for variant in variants:
            # One client per cell: each keeps its own cookies (the CSRF cookie
            # a full page sets), as one browser would.
            client = Client()

            def request(client: Client = client, variant: Variant = variant) -> HttpResponse:
                # secure: the production settings redirect plain HTTP to HTTPS.
                response = client.get(variant.path, headers=variant.headers, secure=True)
                assert isinstance(response, HttpResponse)
                return response

            cells.append(Cell(variant, frame, request))
    return cells


@contextmanager
def frame_setting(on: bool) -> Iterator[None]:
    from django.test.utils import override_settings

    with override_settings(DJANGO_SIX_DEMOS_FRAME=on):
        yield


def check_response(cell: Cell, response: HttpResponse) -> None:
    """Fail loudly if a response is not what the variant should measure."""
    text = response.content.decode()
    full = not cell.variant.headers
    problems = []
    if response.status_code != 200:
        problems.append(f"status {response.status_code}")
    if full != text.startswith("<!doctype html>"):
        problems.append("a full page expected" if full else "a fragment expected")
    if full and cell.frame != ('<aside class="frame"' in text):
        problems.append(f"the frame should be {'on' if cell.frame else 'off'}")
    if full and cell.frame and "needs <code>django_six_demos.middleware" in text:
        problems.append("the inspector was not rendered")
    if cell.variant.key == "results" and not text.lstrip().startswith('<div id="results"'):
        problems.append("not the results partial")
    if cell.variant.key == "row" and not text.lstrip().startswith('<tr id="talk-'):
        problems.append("not a talk's row")
    if cell.variant.key != "row" and "HX-Request" not in response.get("Vary", ""):
        problems.append("no Vary: HX-Request")
    if problems:
        raise RuntimeError(f"{cell.name}: {', '.join(problems)}")


def header_size(response: HttpResponse) -> int:
    """Bytes of the status line and headers, as HTTP/1.1 would send them."""
    lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
    lines += [f"{name}: {value}" for name, value in response.items()]
    lines += [f"Set-Cookie: {morsel.OutputString()}" for morsel in response.cookies.values()]
    return len("\r\n".join(lines).encode()) + 4


# -- Measuring ---------------------------------------------------------------------------


def cpu_probe() -> float:
    """Return the CPU milliseconds of a fixed pure-Python loop."""
    start = time.process_time()
    total = 0
    for step in range(PROBE_STEPS):
        total += step % 7
    elapsed = time.process_time() - start
    assert total > 0
    return elapsed * 1000


def measure(
    cells: Sequence[Cell], plan: Plan, rng: random.Random
) -> tuple[list[dict[str, Sample]], list[float]]:
    """Measure every cell, interleaved: one sample per cell and repeat, and the probe.

    Each round runs every cell for ``plan.batch`` requests, in a new random
    order; a repeat is ``plan.rounds`` rounds. Only the requests are timed
    (CPU with ``time.process_time()``, wall clock with ``time.perf_counter()``);
    switching the frame setting between batches is not.
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


def warm_up(cells: Sequence[Cell], plan: Plan) -> None:
    """Fill the caches (templates, static manifest, connections) and check each response."""
    for cell in cells:
        with frame_setting(cell.frame):
            for _ in range(plan.warmup):
                check_response(cell, cell.request())


# -- Reporting ---------------------------------------------------------------------------


def spread(values: Sequence[float], fmt: str) -> str:
    """Format ``median [min-max]``."""
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:{fmt}} [{low:{fmt}}-{high:{fmt}}]"


def ratios(
    repeats: Sequence[dict[str, Sample]], top: str, bottom: str, *, speed: bool = True
) -> list[float]:
    """Per repeat, ``top`` over ``bottom``: req/s if ``speed``, else body bytes."""
    if speed:
        return [r[top].per_second / r[bottom].per_second for r in repeats]
    return [r[top].body / r[bottom].body for r in repeats]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def report_mode(
    cells: Sequence[Cell], repeats: Sequence[dict[str, Sample]], frame: bool
) -> dict[str, float]:
    """Print one frame mode's table and ratios; return the median ratios."""
    title = "as the demo serves it" if frame else "the feature's own cost; goals judged here"
    print(f"\nFrame {'on' if frame else 'off'} ({title})")
    print(
        f"  {'variant':<17} {'req/s (CPU)':>22} {'ms CPU/req':>20} {'ms wall/req':>12}"
        f" {'body B':>8} {'headers B':>9}"
    )
    names = {}
    for cell in cells:
        if cell.frame != frame:
            continue
        names[cell.variant.key] = cell.name
        samples = [r[cell.name] for r in repeats]
        print(
            f"  {cell.variant.label:<17}"
            f" {spread([s.per_second for s in samples], '.0f'):>22}"
            f" {spread([s.cpu_ms for s in samples], '.2f'):>20}"
            f" {statistics.median(s.wall_ms for s in samples):>12.2f}"
            f" {statistics.median(s.body for s in samples):>8.0f}"
            f" {statistics.median(s.headers for s in samples):>9.0f}"
        )
    figures = {
        "aa": ratios(repeats, names["full-aa"], names["full"]),
        "results": ratios(repeats, names["results"], names["full"]),
        "results_bytes": ratios(repeats, names["results"], names["full"], speed=False),
        "row": ratios(repeats, names["row"], names["full"]),
        "row_bytes": ratios(repeats, names["row"], names["full"], speed=False),
    }
    labels = {
        "aa": "A/A control, full/full req/s",
        "results": "results/full req/s",
        "results_bytes": "results/full bytes",
        "row": "row/full req/s",
        "row_bytes": "row/full bytes",
    }
    print("  ratios, median [min-max] of the per-repeat ratios:")
    for key, values in figures.items():
        print(f"    {labels[key]:<29} {spread(values, '.3f')}x")
    aa = figures["aa"]
    median_gap = abs(statistics.median(aa) - 1)
    widest = max(abs(value - 1) for value in aa)
    print(
        f"    A/A: the medians of two identical variants differ by {median_gap:.1%} "
        f"({'within' if median_gap <= 0.01 else 'beyond'} 1 %), single repeats by up to "
        f"{widest:.1%}"
    )
    return {key: statistics.median(values) for key, values in figures.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a small run (a smoke test)")
    parser.add_argument("--repeats", type=int, help="repeats (at least 3)")
    parser.add_argument("--seed", type=int, help="the shuffle's random seed (default: random)")
    args = parser.parse_args(argv)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    if args.repeats is not None:
        if args.repeats < 3:
            parser.error("--repeats must be 3 or more: a median of fewer says nothing")
        plan = Plan(args.repeats, plan.rounds, plan.batch, plan.warmup)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)

    with tempfile.TemporaryDirectory(prefix="django-six-demos-benchmark-") as directory:
        configure(Path(directory))
        import django
        from django.conf import settings
        from django.db import connections

        django.setup()
        try:
            started = time.perf_counter()
            build_site()
            cells = make_cells(variants())
            print("Benchmark: template partials, the talk explorer (django-six-demos)")
            print(
                f"{datetime.date.today().isoformat()}; Python {platform.python_version()}, "
                f"Django {django.get_version()}, SQLite {sqlite3.sqlite_version}; "
                f"{os.cpu_count()} CPUs ({cpu_model()})"
            )
            print(
                f"Settings {SETTINGS_MODULE} (the example project's production settings), "
                f"DEBUG={settings.DEBUG}, a fresh SQLite database seeded by demos_seed"
            )
            print(
                f"{plan.repeats} repeats x {plan.rounds} rounds x {plan.batch} requests per "
                f"variant, interleaved, order shuffled each round (seed {seed})"
            )
            warm_up(cells, plan)
            repeats, probes = measure(cells, plan, random.Random(seed))
            print(
                f"CPU reference probe: {spread(probes, '.1f')} ms per {PROBE_STEPS:,}-step "
                "pure-Python loop (lower is faster)"
            )
            report_mode(cells, repeats, frame=True)
            off = report_mode(cells, repeats, frame=False)
        finally:
            connections.close_all()

    goals = [
        (
            off["results"] >= GOAL_RESULTS_SPEED,
            f"results partial >= {GOAL_RESULTS_SPEED:g}x the full page's req/s",
            f"{off['results']:.2f}x",
        ),
        (
            off["results_bytes"] <= GOAL_RESULTS_BYTES,
            f"results partial <= {GOAL_RESULTS_BYTES:.0%} of the full page's bytes",
            f"{off['results_bytes']:.2f}x",
        ),
        (
            off["row"] >= GOAL_ROW_SPEED,
            f"single-row swap >= {GOAL_ROW_SPEED:g}x the full page's req/s",
            f"{off['row']:.2f}x",
        ),
    ]
    print("\nGoals (frame off):")
    for passed, goal, figure in goals:
        print(f"  {'PASS' if passed else 'FAIL'}  {goal}: {figure}")
    print(f"Took {time.perf_counter() - started:.0f} s.")
    print(
        f"partials: partial/full req/s={off['results']:.2f}x "
        f"bytes={off['results_bytes']:.2f}x row/full req/s={off['row']:.2f}x (frame off)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
