"""Benchmark: background tasks, enqueue -> finished latency and worker throughput.

    python -m benchmarks.tasks_latency [--quick] [--repeats N] [--seed N]

Real workers on a throwaway site, a no-op task (``tests.tasks.fault_tasks.quick``): the
demo's ``demos_worker --interval 0.1`` beside ``db_worker``'s defaults. Latency one task at
a time, idle CPU, and the throughput of one and two ``--batch`` workers (docs/performance.rst).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    REPO,
    SETTINGS_MODULE,
    Goal,
    build_site,
    cpu_probe,
    group_cpu,
    log_tail,
    parse,
    parser,
    print_goals,
    print_header,
    print_probe,
    processes,
    spread,
    subprocess_env,
    throwaway_site,
)

MANAGE_PY = REPO / "example_project" / "manage.py"
TIMEOUT = 120.0  # seconds: the longest any wait may take
POLL = 0.005  # seconds between two reads of a result

# The worker's settings: as `manage.py demo` starts it, and db_worker's defaults.
WORKERS: dict[str, tuple[str, list[str], float]] = {
    "demo": (
        "demos_worker --interval 0.1",
        [
            "demos_worker",
            "--no-reap",
            "--queue-name",
            "*",
            "--interval",
            "0.1",
            "--no-reload",
            "--no-startup-delay",
        ],
        0.1,
    ),
    "default": ("db_worker (defaults, --interval 1)", ["db_worker"], 1.0),
}

# Goals (docs/performance.rst), judged on the demo's worker settings.
GOAL_P50_MS = 60.0
GOAL_MAX_MS = 120.0
GOAL_IDLE_PERCENT = 5.0
GOAL_THROUGHPUT = 400.0


@dataclass(frozen=True)
class Plan:
    """How much to measure."""

    samples: dict[str, int]  # latency samples per worker setting measured (WORKERS keys)
    idle: float  # seconds of idle CPU measurement
    tasks: int  # tasks per throughput run
    repeats: int


FULL_PLAN = Plan({"demo": 40, "default": 12}, idle=5.0, tasks=1_000, repeats=3)
# A smoke test: the demo's settings only (the default worker's 1 s interval is slow to sample).
QUICK_PLAN = Plan({"demo": 5}, idle=0.5, tasks=100, repeats=1)


@dataclass(frozen=True)
class Latency:
    samples_ms: list[float]
    idle_percent: float

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.samples_ms)
        # Nearest rank: the smallest sample with at least `fraction` of them at or below it.
        rank = max(1, -(-len(ordered) * fraction // 1))
        return ordered[int(rank) - 1]


@contextmanager
def workers(args: Sequence[str], count: int, log: Path) -> Iterator[list[Any]]:
    """Start ``count`` workers; they import ``tests.tasks`` from the repository root."""
    command = [sys.executable, str(MANAGE_PY), *args]
    with processes([(command, subprocess_env())] * count, log) as started:
        yield started


def wait_for(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}; worker output:\n{log_tail(log)}")
        time.sleep(POLL)


def run_one(log: Path) -> Any:
    """Enqueue one no-op task and wait until it is finished; return its result."""
    from tests.tasks.fault_tasks import quick

    result = quick.enqueue(21)

    def finished() -> bool:
        result.refresh()
        return bool(result.is_finished)

    wait_for(finished, "a task to finish", log)
    if result.return_value != 42:
        raise RuntimeError(f"the task did not succeed: {result.status}")
    return result


def measure_latency(key: str, plan: Plan, log: Path) -> Latency:
    _, args, interval = WORKERS[key]
    samples: list[float] = []
    with workers(args, 1, log) as (process,):
        run_one(log)  # warm up: the worker is polling
        for _ in range(plan.samples[key]):
            time.sleep(random.uniform(0, interval))  # noqa: S311
            result = run_one(log)
            delta = result.finished_at - result.enqueued_at
            samples.append(delta.total_seconds() * 1000)
        time.sleep(min(1.0, interval * 2))  # let the last task's work settle
        before_cpu, before = group_cpu(process.pid), time.monotonic()
        time.sleep(plan.idle)
        after_cpu, after = group_cpu(process.pid), time.monotonic()
    idle = (after_cpu - before_cpu) / (after - before) * 100
    return Latency(samples, idle)


def measure_throughput(key: str, count: int, plan: Plan, log: Path) -> float:
    """Tasks per second of ``count`` worker processes on ``plan.tasks`` queued no-op tasks."""
    from django.db.models import Max, Min
    from django_tasks_db.models import DBTaskResult

    from tests.tasks.fault_tasks import quick

    DBTaskResult.objects.all().delete()
    for number in range(plan.tasks):
        quick.enqueue(number)
    _, args, _ = WORKERS[key]
    with workers([*args, "--batch"], count, log) as started:
        deadline = time.monotonic() + TIMEOUT
        for process in started:
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
            if process.returncode != 0:
                raise RuntimeError(f"a worker exited with status {process.returncode}")
    rows = DBTaskResult.objects.all()
    done = rows.filter(status="SUCCESSFUL").count()
    if done != plan.tasks:
        raise RuntimeError(f"{done} of {plan.tasks} tasks succeeded")
    span = rows.aggregate(first=Min("started_at"), last=Max("finished_at"))
    seconds: float = (span["last"] - span["first"]).total_seconds()
    return plan.tasks / seconds


def main(argv: Sequence[str] | None = None) -> int:
    args, seed = parse(parser(__doc__), argv)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    if args.repeats is not None:
        plan = Plan(plan.samples, plan.idle, plan.tasks, args.repeats)
    rng = random.Random(seed)
    random.seed(seed)

    started = time.perf_counter()
    with throwaway_site() as directory:
        from django.conf import settings

        build_site(seed=False, static=False)
        log = directory / "workers.log"
        print_header("background tasks, enqueue -> finished and throughput")
        backend = settings.TASKS["default"]["BACKEND"]
        print(
            f"Settings {SETTINGS_MODULE} (the example project's production settings), "
            f"DEBUG={settings.DEBUG}; task backend {backend}; no-op task"
        )
        print_probe([cpu_probe() for _ in range(3)])

        measured = [key for key in WORKERS if key in plan.samples]
        latencies = {key: measure_latency(key, plan, log) for key in measured}
        print("\nEnqueue -> finished, one task at a time (finished_at - enqueued_at)")
        print(
            f"  {'worker':<36} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'idle CPU':>9}"
        )
        for key in WORKERS:
            if key not in latencies:
                print(f"  {WORKERS[key][0]:<36} skipped (--quick)")
                continue
            latency = latencies[key]
            print(
                f"  {WORKERS[key][0]:<36} {len(latency.samples_ms):>3}"
                f" {latency.percentile(0.5):>8.1f} {latency.percentile(0.95):>8.1f}"
                f" {max(latency.samples_ms):>8.1f} {latency.idle_percent:>8.1f}%"
            )

        cells = [(key, count) for key in measured for count in (1, 2)]
        throughput: dict[tuple[str, int], list[float]] = {cell: [] for cell in cells}
        for _ in range(plan.repeats):
            order = cells[:]
            rng.shuffle(order)
            for key, count in order:
                throughput[key, count].append(measure_throughput(key, count, plan, log))
        print(
            f"\nThroughput, {plan.tasks:,} queued no-op tasks, --batch, tasks/s; "
            f"{plan.repeats} repeat(s), cells in a new random order each (seed {seed})"
        )
        print(f"  {'worker':<36} {'1 process':>20} {'2 processes':>20} {'2/1':>6}")
        for key in WORKERS:
            if key not in measured:
                print(f"  {WORKERS[key][0]:<36} skipped (--quick)")
                continue
            singles, pairs = throughput[key, 1], throughput[key, 2]
            ratio = statistics.median(pairs) / statistics.median(singles)
            print(
                f"  {WORKERS[key][0]:<36} {spread(singles, '.0f'):>20} {spread(pairs, '.0f'):>20}"
                f" {ratio:>5.2f}x"
            )
        print(
            "  On SQLite a second worker barely adds throughput: each poll takes the "
            "database's single write lock."
        )

        demo = latencies["demo"]
        p50, worst = demo.percentile(0.5), max(demo.samples_ms)
        one = statistics.median(throughput["demo", 1])
        two = statistics.median(throughput["demo", 2])
        goals = [
            Goal(
                p50 <= GOAL_P50_MS,
                f"enqueue -> finished p50 <= {GOAL_P50_MS:.0f} ms",
                f"{p50:.1f} ms",
            ),
            Goal(
                worst <= GOAL_MAX_MS,
                f"enqueue -> finished max <= {GOAL_MAX_MS:.0f} ms",
                f"{worst:.1f} ms",
            ),
            Goal(
                demo.idle_percent <= GOAL_IDLE_PERCENT,
                f"idle worker <= {GOAL_IDLE_PERCENT:.0f} % of a core",
                f"{demo.idle_percent:.1f} %",
            ),
            Goal(
                one >= GOAL_THROUGHPUT,
                f"no-op throughput, one worker >= {GOAL_THROUGHPUT:.0f}/s",
                f"{one:.0f}/s",
            ),
        ]
        print_goals("Goals (the demo's worker settings)", goals, started)
        print(
            f"tasks: p50={p50:.0f}ms max={worst:.0f}ms idle={demo.idle_percent:.1f}% "
            f"throughput 1w={one:.0f}/s 2w={two:.0f}/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
