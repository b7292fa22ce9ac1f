"""Benchmark: the cost of the Content Security Policy middleware on a demo page.

    python -m benchmarks.csp_overhead [--quick] [--repeats N] [--seed N]

The demos' home page, frame off, side by side: the stack as configured (``with``, and
``with-aa``, the A/A control) and without the CSP and Reporting-Endpoints middleware
(``without``). Goal: at most 5 % more CPU per request. Method: docs/performance.rst.
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchmarks.harness import (
    SETTINGS_MODULE,
    Cell,
    Goal,
    Plan,
    Sample,
    Variant,
    build_site,
    measure,
    parse,
    parser,
    print_goals,
    print_header,
    print_probe,
    ratios,
    spread,
    throwaway_site,
    warm_up,
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

    from django_six_demos import compat
    from django_six_demos.csp.apps import REPORTING_MIDDLEWARE

    path = reverse("django_six_demos_index")
    configured = list(settings.MIDDLEWARE)
    if compat.CSP_MIDDLEWARE not in configured:
        raise RuntimeError(f"{compat.CSP_MIDDLEWARE} is not in the benchmark's MIDDLEWARE.")
    removed = {compat.CSP_MIDDLEWARE, REPORTING_MIDDLEWARE}
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
    args, seed = parse(parser(__doc__), argv)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    if args.repeats is not None:
        plan = Plan(args.repeats, plan.rounds, plan.batch, plan.warmup)
    started = time.perf_counter()
    with throwaway_site():
        from django.conf import settings

        from django_six_demos import compat

        build_site()
        cells = make_cells(stacks())
        print_header("the Content Security Policy middleware")
        print(
            f"Settings {SETTINGS_MODULE} (the example project's production settings), "
            f"DEBUG={settings.DEBUG}; CSP middleware {compat.CSP_MIDDLEWARE}"
        )
        print(
            f"{plan.repeats} repeats x {plan.rounds} rounds x {plan.batch} requests per "
            f"variant, interleaved, order shuffled each round (seed {seed})"
        )
        warm_up(cells, plan, check_response)
        repeats, probes = measure(cells, plan, random.Random(seed))
        print_probe(probes)
        overhead, aa = report(cells, repeats)

    if abs(aa) <= AA_TOLERANCE:
        control = f"the identical pair agreed within 1 % ({aa:+.1%}): the run holds"
    else:
        control = (
            f"the identical pair differed by {aa:+.1%}, beyond 1 %: "
            "the run is noise, its overhead figure says nothing"
        )
    goal = Goal(
        overhead <= GOAL_OVERHEAD,
        f"CSP middleware overhead <= {GOAL_OVERHEAD:.0%} CPU per request",
        f"{overhead:+.1%}",
    )
    print_goals("Goal", [goal], started, [f"A/A control: {control}"])
    print(f"csp: overhead={overhead:.1%} (goal <= 5 %), A/A={aa:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
