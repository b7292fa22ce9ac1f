"""Benchmark: background tasks, enqueue -> finished latency and worker throughput.

Run from the repository root::

    uv run --group example python benchmarks/tasks_latency.py [--quick] [--repeats N]

It builds a throwaway site in a temporary directory (the example project's
production settings, see ``benchmarks/settings.py``; an SQLite database with
dj-lite's settings, migrated), then runs real worker processes on it, side by
side in one run:

* ``demo``: the worker as ``manage.py demo`` starts it, ``demos_worker --no-reap
  --queue-name '*' --interval 0.1 --no-reload --no-startup-delay``;
* ``default``: django-tasks-db's ``db_worker`` with its defaults (``--interval 1``).

The task is a no-op (``tests.tasks.fault_tasks.quick``: it doubles a number),
so the figures are the queue's own cost. Three measurements per worker:

* latency: one task at a time, enqueued through the Task API from this
  process after a random pause (so it lands anywhere in the worker's sleep),
  its result polled until it is finished; the figure is the result's
  ``finished_at - enqueued_at``, reported as p50, p95 and max;
* idle CPU: the worker process's CPU time (``/proc/<pid>/stat``) over a few
  seconds with an empty queue, as a percentage of one core;
* throughput: K tasks enqueued first, then one worker (``--batch``), or two
  at once, run them all; the figure is K over the time from the first task's
  ``started_at`` to the last one's ``finished_at`` (process start-up is not
  counted). The four cells (two workers' settings x one or two processes)
  run interleaved, in a new random order each repeat, reported as ``median
  [min-max]``.

A CPU reference probe is printed beside the results. The last line holds the
key figures. This is not a test: each goal prints PASS or FAIL, and the exit
status is 0 unless the benchmark itself failed (a task that did not finish).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts only benchmarks/ on sys.path; the repository
# root goes there too, for ``benchmarks.partials``. (Not named tasks.py: that
# would shadow the ``tasks`` names other code imports.)
_HERE = Path(__file__).resolve().parent
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import datetime  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import secrets  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from contextlib import ExitStack, contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import IO, Any  # noqa: E402

from benchmarks.partials import (  # noqa: E402
    PROBE_STEPS,
    SETTINGS_MODULE,
    configure,
    cpu_model,
    cpu_probe,
    spread,
)

REPO = _HERE.parent
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


def build_site() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def worker_env() -> dict[str, str]:
    """This process's environment (settings, throwaway site) plus the repository root.

    The worker imports ``tests.tasks.fault_tasks`` and ``benchmarks.settings``
    from the repository root.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@contextmanager
def workers(args: Sequence[str], count: int, log: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start ``count`` worker processes; stop (SIGTERM, then SIGKILL) those still running."""
    processes: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stack:
        output: IO[bytes] = stack.enter_context(log.open("ab"))
        try:
            for _ in range(count):
                processes.append(
                    subprocess.Popen(
                        [sys.executable, str(MANAGE_PY), *args],
                        cwd=REPO,
                        env=worker_env(),
                        stdout=output,
                        stderr=output,
                        start_new_session=True,
                    )
                )
            yield processes
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_for(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"timed out waiting for {what}; worker output:\n{tail}")
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based).
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


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
        before_cpu, before = cpu_seconds(process.pid), time.monotonic()
        time.sleep(plan.idle)
        after_cpu, after = cpu_seconds(process.pid), time.monotonic()
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
    with workers([*args, "--batch"], count, log) as processes:
        deadline = time.monotonic() + TIMEOUT
        for process in processes:
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


def verdict(passed: bool, text: str) -> None:
    print(f"  {'PASS' if passed else 'FAIL'}  {text}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a small run (a smoke test)")
    parser.add_argument("--repeats", type=int, help="throughput repeats (at least 3)")
    parser.add_argument("--seed", type=int, help="the shuffle's random seed (default: random)")
    args = parser.parse_args(argv)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    if args.repeats is not None:
        if args.repeats < 3:
            parser.error("--repeats must be 3 or more: a median of fewer says nothing")
        plan = Plan(plan.samples, plan.idle, plan.tasks, args.repeats)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    rng = random.Random(seed)
    random.seed(seed)

    with tempfile.TemporaryDirectory(prefix="django-six-demos-benchmark-") as directory:
        configure(Path(directory))
        import django
        from django.conf import settings

        started = time.monotonic()
        django.setup()
        build_site()
        log = Path(directory) / "workers.log"

        print("Benchmark: background tasks, enqueue -> finished and throughput (django-six-demos)")
        print(
            f"{datetime.date.today().isoformat()}; Python {platform.python_version()}, "
            f"Django {django.get_version()}, SQLite {sqlite3.sqlite_version}; "
            f"{os.cpu_count()} CPUs ({cpu_model()})"
        )
        backend = settings.TASKS["default"]["BACKEND"]
        print(
            f"Settings {SETTINGS_MODULE} (the example project's production settings), "
            f"DEBUG={settings.DEBUG}; task backend {backend}; no-op task"
        )
        probe = [cpu_probe() for _ in range(3)]
        print(
            f"CPU reference probe: {spread(probe, '.1f')} ms per {PROBE_STEPS:,}-step "
            "pure-Python loop (lower is faster)"
        )

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
        print("\nGoals (the demo's worker settings):")
        verdict(
            p50 <= GOAL_P50_MS, f"enqueue -> finished p50 <= {GOAL_P50_MS:.0f} ms: {p50:.1f} ms"
        )
        verdict(
            worst <= GOAL_MAX_MS, f"enqueue -> finished max <= {GOAL_MAX_MS:.0f} ms: {worst:.1f} ms"
        )
        verdict(
            demo.idle_percent <= GOAL_IDLE_PERCENT,
            f"idle worker <= {GOAL_IDLE_PERCENT:.0f} % of a core: {demo.idle_percent:.1f} %",
        )
        verdict(
            one >= GOAL_THROUGHPUT,
            f"no-op throughput, one worker >= {GOAL_THROUGHPUT:.0f}/s: {one:.0f}/s",
        )
        print(f"Took {time.monotonic() - started:.0f} s.")
        print(
            f"tasks: p50={p50:.0f}ms max={worst:.0f}ms idle={demo.idle_percent:.1f}% "
            f"throughput 1w={one:.0f}/s 2w={two:.0f}/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
