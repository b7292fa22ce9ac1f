"""Benchmark: the partials demo's htmx fragments against the full talk explorer page.

    python -m benchmarks.partials [--quick] [--repeats N] [--seed N]

As an anonymous visitor over HTTPS, side by side, with the demo frame on and off (goals
judged off): the explorer page (``full``, and ``full-aa``, the A/A control), the same URL
from htmx (``results``, the partial) and one talk's row (``row``). Method: docs/performance.rst.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Sequence
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

# Goals, judged on the frame-off figures.
GOAL_RESULTS_SPEED = 2.0
GOAL_RESULTS_BYTES = 0.5
GOAL_ROW_SPEED = 4.0

FULL_PLAN = Plan(repeats=5, rounds=30, batch=10)
QUICK_PLAN = Plan(repeats=3, rounds=2, batch=4, warmup=3)


def variants() -> list[Variant]:
    from django.contrib.auth.models import AnonymousUser
    from django.urls import reverse

    from django_six_demos.conference.access import readable_talks
    from django_six_demos.partials.forms import SORTS

    index = reverse("django_six_demos_partials:index")
    # The first row the explorer shows an anonymous visitor, in its default order.
    talk = readable_talks(AnonymousUser()).order_by(*SORTS["title"][1]).first()
    if talk is None:
        raise RuntimeError("demos_seed created no talks.")
    row = reverse("django_six_demos_partials:row", args=[talk.pk])
    current = f"https://testserver{index}"
    htmx = {"HX-Request": "true", "HX-Current-URL": current}
    return [
        Variant("full", "full page", index),
        Variant("full-aa", "full page (A/A)", index),
        Variant("results", "results partial", index, {**htmx, "HX-Target": "results"}),
        Variant("row", "single-row swap", row, {**htmx, "HX-Target": f"talk-{talk.pk}"}),
    ]


def make_cells(variants: Sequence[Variant]) -> list[Cell]:
    from django.http import HttpResponse
    from django.test import Client

    cells = []
    for frame in (True, False):
        for variant in variants:
            # One client per cell, with its own cookies, as one browser would.
            client = Client()

            def request(client: Client = client, variant: Variant = variant) -> HttpResponse:
                # secure: the production settings redirect plain HTTP to HTTPS.
                response = client.get(variant.path, headers=variant.headers, secure=True)
                assert isinstance(response, HttpResponse)
                return response

            cells.append(Cell(variant, frame, request))
    return cells


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
    if full and cell.frame and "needs <code>django_six_demos.frame.middleware" in text:
        problems.append("the inspector was not rendered")
    if cell.variant.key == "results" and not text.lstrip().startswith('<div id="results"'):
        problems.append("not the results partial")
    if cell.variant.key == "row" and not text.lstrip().startswith('<tr id="talk-'):
        problems.append("not a talk's row")
    if cell.variant.key != "row" and "HX-Request" not in response.get("Vary", ""):
        problems.append("no Vary: HX-Request")
    if problems:
        raise RuntimeError(f"{cell.name}: {', '.join(problems)}")


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
    full = names["full"]
    figures = {
        "A/A control, full/full req/s": ratios(repeats, names["full-aa"], full),
        "results/full req/s": ratios(repeats, names["results"], full),
        "results/full bytes": ratios(repeats, names["results"], full, "body"),
        "row/full req/s": ratios(repeats, names["row"], full),
        "row/full bytes": ratios(repeats, names["row"], full, "body"),
    }
    print("  ratios, median [min-max] of the per-repeat ratios:")
    for label, values in figures.items():
        print(f"    {label:<29} {spread(values, '.3f')}x")
    aa = figures["A/A control, full/full req/s"]
    median_gap = abs(statistics.median(aa) - 1)
    widest = max(abs(value - 1) for value in aa)
    print(
        f"    A/A: the medians of two identical variants differ by {median_gap:.1%} "
        f"({'within' if median_gap <= 0.01 else 'beyond'} 1 %), single repeats by up to "
        f"{widest:.1%}"
    )
    return {label: statistics.median(values) for label, values in figures.items()}


def main(argv: Sequence[str] | None = None) -> int:
    args, seed = parse(parser(__doc__), argv)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    if args.repeats is not None:
        plan = Plan(args.repeats, plan.rounds, plan.batch, plan.warmup)
    started = time.perf_counter()
    with throwaway_site():
        from django.conf import settings

        build_site()
        cells = make_cells(variants())
        print_header("template partials, the talk explorer")
        print(
            f"Settings {SETTINGS_MODULE} (the example project's production settings), "
            f"DEBUG={settings.DEBUG}, a fresh SQLite database seeded by demos_seed"
        )
        print(
            f"{plan.repeats} repeats x {plan.rounds} rounds x {plan.batch} requests per "
            f"variant, interleaved, order shuffled each round (seed {seed})"
        )
        warm_up(cells, plan, check_response)
        repeats, probes = measure(cells, plan, random.Random(seed))
        print_probe(probes)
        report_mode(cells, repeats, frame=True)
        off = report_mode(cells, repeats, frame=False)

    results, results_bytes, row = (
        off["results/full req/s"],
        off["results/full bytes"],
        off["row/full req/s"],
    )
    goals = [
        Goal(
            results >= GOAL_RESULTS_SPEED,
            f"results partial >= {GOAL_RESULTS_SPEED:g}x the full page's req/s",
            f"{results:.2f}x",
        ),
        Goal(
            results_bytes <= GOAL_RESULTS_BYTES,
            f"results partial <= {GOAL_RESULTS_BYTES:.0%} of the full page's bytes",
            f"{results_bytes:.2f}x",
        ),
        Goal(
            row >= GOAL_ROW_SPEED,
            f"single-row swap >= {GOAL_ROW_SPEED:g}x the full page's req/s",
            f"{row:.2f}x",
        ),
    ]
    print_goals("Goals (frame off)", goals, started)
    print(
        f"partials: partial/full req/s={results:.2f}x "
        f"bytes={results_bytes:.2f}x row/full req/s={row:.2f}x (frame off)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
