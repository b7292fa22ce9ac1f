"""Benchmark: the cost of the Content Security Policy middleware on a demo page.

Run from the repository root::

    uv run --group example python benchmarks/csp_overhead.py [--quick] [--repeats N]

It builds the same throwaway site as ``benchmarks/partials.py`` (the example
project's production settings, see ``benchmarks/settings.py``), then
measures, in one run and side by side, the demos' home page, ``GET /``, as an
anonymous visitor over HTTPS, with the demo frame off
(``DJANGO_SIX_DEMOS_FRAME = False``: the frame would drown the effect):

* ``with``: the whole middleware stack as configured: the CSP middleware
  (Django's on 6.0+, django-csp's on 5.2) writes the strict policy with this
  response's nonce, which the page's script tag carries, and the
  Reporting-Endpoints middleware adds the header ``report-to`` needs;
* ``with-aa``: the same again, the A/A control that shows the noise;
* ``without``: the same stack minus those two middleware. The policy settings
  stay: without the middleware they do nothing, and the page prints no nonce.

The goal: the CSP middleware costs at most 5 % more CPU per request (core's
middleware alone measured 4.0 % on a realistic page). The expected difference
is under 10 %, so the A/A pair must agree within 1 %, or the run is noise.

The method and the measuring helpers are those of ``benchmarks/partials.py``
(docs/performance.rst): CPU time per request in process, through the Django
test client; the variants interleaved in small batches, in a new random order
each round; at least three repeats (five by default), figures as ``median
[min-max]``, ratios taken within each repeat; a CPU reference probe printed
beside the results. The last line holds the key figures.

This is not a test: the goal prints PASS or FAIL, and the exit status is 0
unless the benchmark itself failed (a response that is not what it should
measure).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts only benchmarks/ on sys.path; the repository
# root goes there too, for ``benchmarks.partials``. (This file is not named
# csp.py: on Django 5.2 that would shadow django-csp's ``csp`` package.)
_HERE = Path(__file__).resolve().parent
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import datetime  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from benchmarks.partials import (  # noqa: E402
    PROBE_STEPS,
    SETTINGS_MODULE,
    Cell,
    Plan,
    Sample,
    Variant,
    build_site,
    configure,
    cpu_model,
    frame_setting,
    measure,
    ratios,
    spread,
)

if TYPE_CHECKING:
    from django.http import HttpResponse

GOAL_OVERHEAD = 0.05
# The A/A pair must agree within this, or the run is noise.
AA_TOLERANCE = 0.01

FULL_PLAN = Plan(repeats=5, rounds=60, batch=10)
QUICK_PLAN = Plan(repeats=3, rounds=2, batch=4, warmup=3)

WITH, WITH_AA, WITHOUT = "with", "with-aa", "without"
_NONCE = re.compile(r"'nonce-([^']+)'")


@dataclass(frozen=True)
class Stack:
    """A variant and the MIDDLEWARE its client runs."""

    variant: Variant
    middleware: list[str]


def stacks() -> list[Stack]:
    from django.conf import settings
    from django.urls import reverse

    from django_six_demos import compat, conf

    path = reverse("django_six_demos_index")
    configured = list(settings.MIDDLEWARE)
    if compat.CSP_MIDDLEWARE not in configured:
        raise RuntimeError(f"{compat.CSP_MIDDLEWARE} is not in the benchmark's MIDDLEWARE.")
    removed = {compat.CSP_MIDDLEWARE, conf.REPORTING_MIDDLEWARE}
    without = [name for name in configured if name not in removed]
    return [
        Stack(Variant(WITH, "with CSP", path), configured),
        Stack(Variant(WITH_AA, "with CSP (A/A)", path), configured),
        Stack(Variant(WITHOUT, "without CSP", path), without),
    ]


def make_cells(stacks: Sequence[Stack]) -> list[Cell]:
    """One client per variant, its handler's middleware chain loaded from ``middleware``."""
    from django.http import HttpResponse
    from django.test import Client
    from django.test.utils import override_settings

    cells = []
    for stack in stacks:
        client = Client()
        # The chain is built once, here; later requests reuse it.
        with override_settings(MIDDLEWARE=stack.middleware):
            client.handler.load_middleware()

        def request(client: Client = client, variant: Variant = stack.variant) -> HttpResponse:
            # secure: the production settings redirect plain HTTP to HTTPS.
            response = client.get(variant.path, secure=True)
            assert isinstance(response, HttpResponse)
            return response

        cells.append(Cell(stack.variant, False, request))
    return cells


def check_response(cell: Cell, response: HttpResponse) -> None:
    """Fail loudly if a response is not what the variant should measure."""
    text = response.content.decode()
    policy = response.get("Content-Security-Policy", "")
    problems = []
    if response.status_code != 200:
        problems.append(f"status {response.status_code}")
    if not text.startswith("<!doctype html>"):
        problems.append("a full page expected")
    if '<aside class="frame"' in text:
        problems.append("the frame should be off")
    if cell.variant.key == WITHOUT:
        if policy or "Reporting-Endpoints" in response:
            problems.append("a CSP or Reporting-Endpoints header without the middleware")
        # base.html still writes nonce="{{ csp_nonce }}", which is then None.
        if re.search(r'nonce="(?!None")[^"]', text):
            problems.append("a nonce on the page without the middleware")
    else:
        nonce = _NONCE.search(policy)
        if nonce is None:
            problems.append("no Content-Security-Policy header with a nonce")
        elif f'nonce="{nonce.group(1)}"' not in text:
            problems.append("the page does not carry the header's nonce")
        if "report-to" in policy and "Reporting-Endpoints" not in response:
            problems.append("report-to without Reporting-Endpoints")
    if problems:
        raise RuntimeError(f"{cell.variant.label}: {', '.join(problems)}")


def warm_up(cells: Sequence[Cell], plan: Plan) -> None:
    """Fill the caches (templates, static manifest, connections) and check each response."""
    for cell in cells:
        with frame_setting(cell.frame):
            for _ in range(plan.warmup):
                check_response(cell, cell.request())


def signed(values: Sequence[float]) -> str:
    """Format fractions as signed percentages, ``median [min, max]``."""
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:+.1%} [{low:+.1%}, {high:+.1%}]"


def report(cells: Sequence[Cell], repeats: Sequence[dict[str, Sample]]) -> tuple[float, float]:
    """Print the table and the ratios; return the median overhead and A/A gap."""
    print("\nThe demos' home page, frame off")
    print(
        f"  {'variant':<15} {'req/s (CPU)':>22} {'ms CPU/req':>20} {'ms wall/req':>12}"
        f" {'body B':>8} {'headers B':>9}"
    )
    names = {}
    for cell in cells:
        names[cell.variant.key] = cell.name
        samples = [r[cell.name] for r in repeats]
        print(
            f"  {cell.variant.label:<15}"
            f" {spread([s.per_second for s in samples], '.0f'):>22}"
            f" {spread([s.cpu_ms for s in samples], '.3f'):>20}"
            f" {statistics.median(s.wall_ms for s in samples):>12.3f}"
            f" {statistics.median(s.body for s in samples):>8.0f}"
            f" {statistics.median(s.headers for s in samples):>9.0f}"
        )
    # CPU per request with over without, minus one: req/s without over with.
    overhead = [r - 1 for r in ratios(repeats, names[WITHOUT], names[WITH])]
    aa = [r - 1 for r in ratios(repeats, names[WITH_AA], names[WITH])]
    print("  differences, median [min, max] of the per-repeat figures:")
    print(f"    CSP overhead, CPU per request   {signed(overhead)}")
    print(f"    A/A control, (A/A)/with req/s   {signed(aa)}")
    return statistics.median(overhead), statistics.median(aa)


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

        from django_six_demos import compat

        django.setup()
        try:
            started = time.perf_counter()
            build_site()
            cells = make_cells(stacks())
            print("Benchmark: the Content Security Policy middleware (django-six-demos)")
            print(
                f"{datetime.date.today().isoformat()}; Python {platform.python_version()}, "
                f"Django {django.get_version()}, SQLite {sqlite3.sqlite_version}; "
                f"{os.cpu_count()} CPUs ({cpu_model()})"
            )
            print(
                f"Settings {SETTINGS_MODULE} (the example project's production settings), "
                f"DEBUG={settings.DEBUG}; CSP middleware {compat.CSP_MIDDLEWARE}"
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
            overhead, aa = report(cells, repeats)
        finally:
            connections.close_all()

    agreed = abs(aa) <= AA_TOLERANCE
    print("\nGoal:")
    print(
        f"  {'PASS' if overhead <= GOAL_OVERHEAD else 'FAIL'}  CSP middleware overhead "
        f"<= {GOAL_OVERHEAD:.0%} CPU per request: {overhead:+.1%}"
    )
    if agreed:
        print(f"  A/A control: the identical pair agreed within 1 % ({aa:+.1%}): the run holds")
    else:
        print(
            f"  A/A control: the identical pair differed by {aa:+.1%}, beyond 1 %: "
            "the run is noise, its overhead figure says nothing"
        )
    print(f"Took {time.perf_counter() - started:.0f} s.")
    print(f"csp: overhead={overhead:.1%} (goal <= 5 %), A/A={aa:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
