"""Benchmark: SQLite with the production settings (``sqlite_database()``) against Django's defaults.

    python -m benchmarks.sqlite [--quick] [--repeats N] [--seconds S] [--writers 2,4,8,16,32]
        [--readers-beside 16] [--readers 2] [--seed N]

ORM creates on two throwaway databases side by side, then the contention lab
(``manage.py demos_contention``'s engine) at each writer count. Method: docs/performance.rst.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.harness import (
    SETTINGS_MODULE,
    Goal,
    cpu_probe,
    parse,
    parser,
    print_goals,
    print_header,
    print_probe,
    spread,
    throwaway_site,
)

if TYPE_CHECKING:
    from django_six_demos.sqlite.contention import VariantResult

# The two ORM variants: the database aliases this script adds.
DEFAULTS = "defaults"
PRODUCTION = "production"
ORM_VARIANTS = (DEFAULTS, PRODUCTION)

# Goals (docs/performance.rst).
GOAL_ORM_SPEEDUP = 8.0
GOAL_WRITES_SPEEDUP = 5.0
# The writes/s goal is judged at these writer counts (those of them that ran;
# the largest count if none did).
GOAL_WRITES_AT = (16, 32)
GOAL_READS_PER_SECOND = 7000.0


@dataclass(frozen=True)
class Plan:
    """How much to measure."""

    # ORM: repeats x rounds x batch creates per variant.
    repeats: int
    rounds: int
    batch: int
    # Contention: seconds per run, writer counts, readers beside how many writers.
    seconds: float
    writers: tuple[int, ...]
    readers_beside: int
    readers: int = 2
    warmup: int = 20


FULL_PLAN = Plan(
    repeats=5, rounds=10, batch=50, seconds=30.0, writers=(2, 4, 8, 16, 32), readers_beside=16
)
QUICK_PLAN = Plan(
    repeats=3, rounds=2, batch=5, seconds=0.5, writers=(2, 4), readers_beside=4, warmup=3
)


@dataclass
class Sample:
    """What one repeat measured for one ORM variant."""

    creates: int = 0
    wall: float = 0.0
    cpu: float = 0.0

    @property
    def per_second(self) -> float:
        """Creates per wall-clock second."""
        return self.creates / self.wall

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.creates * 1000


# -- ORM creates -------------------------------------------------------------------------


def add_databases(directory: Path) -> None:
    """Add the two benchmark databases to ``DATABASES``, before any connection opens."""
    from django.conf import settings
    from django.db import connections

    from django_six_demos.sqlite.database import sqlite_database

    # Django's defaults: only ENGINE and NAME.
    settings.DATABASES[DEFAULTS] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": directory / "orm-defaults.sqlite3",
    }
    settings.DATABASES[PRODUCTION] = sqlite_database(directory, file_name="orm-production.sqlite3")
    # The connection handler may have read DATABASES already: fill in the new
    # entries' defaults (TIME_ZONE, TEST...) as it does.
    connections.settings = connections.configure_settings(settings.DATABASES)


def create_tables() -> dict[str, dict[str, str]]:
    """Create the speakers' table in both databases; return the settings read back."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from django_six_demos.conference.models import Speaker

    effective = {}
    for alias in ORM_VARIANTS:
        connection = connections[alias]
        with connection.schema_editor() as editor:
            # Speaker.user's table: SQLite checks foreign keys against it.
            editor.create_model(get_user_model())
            editor.create_model(Speaker)
        with connection.cursor() as cursor:
            values = {}
            for pragma in ("journal_mode", "synchronous", "busy_timeout"):
                cursor.execute(f"PRAGMA {pragma}")
                values[pragma] = str(cursor.fetchone()[0])
        values["transaction_mode"] = str(
            getattr(connection, "transaction_mode", None) or "DEFERRED"
        )
        effective[alias] = values
    return effective


class Creator:
    """Creates speakers in one database, each with a new slug."""

    def __init__(self, alias: str) -> None:
        from django_six_demos.conference.models import Speaker

        self.alias = alias
        self.manager = Speaker.objects.using(alias)
        self.count = 0

    def create(self, n: int) -> None:
        manager = self.manager
        start = self.count
        for i in range(start, start + n):
            manager.create(name=f"Speaker {i}", slug=f"speaker-{i}", company="ACME")
        self.count += n


def measure_orm(plan: Plan, rng: random.Random) -> tuple[list[dict[str, Sample]], list[float]]:
    """Measure both variants, interleaved: one sample per variant and repeat, and the probe."""
    creators = {alias: Creator(alias) for alias in ORM_VARIANTS}
    for creator in creators.values():
        creator.create(plan.warmup)
    repeats: list[dict[str, Sample]] = []
    probes: list[float] = []
    for _ in range(plan.repeats):
        samples = {alias: Sample() for alias in ORM_VARIANTS}
        probe = 0.0
        for _ in range(plan.rounds):
            order = list(ORM_VARIANTS)
            rng.shuffle(order)
            probe += cpu_probe()
            for alias in order:
                sample = samples[alias]
                wall, cpu = time.perf_counter(), time.process_time()
                creators[alias].create(plan.batch)
                sample.cpu += time.process_time() - cpu
                sample.wall += time.perf_counter() - wall
                sample.creates += plan.batch
        repeats.append(samples)
        probes.append(probe / plan.rounds)
    return repeats, probes


def check_rows(plan: Plan) -> None:
    """Fail loudly if a database does not hold every speaker created."""
    from django_six_demos.conference.models import Speaker

    expected = plan.warmup + plan.repeats * plan.rounds * plan.batch
    for alias in ORM_VARIANTS:
        found = Speaker.objects.using(alias).count()
        if found != expected:
            raise RuntimeError(f"{alias}: {found} speakers, expected {expected}")


def report_orm(repeats: Sequence[dict[str, Sample]]) -> list[float]:
    """Print the ORM table; return the per-repeat production/defaults ratios."""
    print("\nORM: Speaker.objects.create() in autocommit, one commit each")
    print(f"  {'variant':<12} {'creates/s (wall)':>24} {'ms CPU/create':>22}")
    for alias in ORM_VARIANTS:
        samples = [r[alias] for r in repeats]
        print(
            f"  {alias:<12} {spread([s.per_second for s in samples], ',.0f'):>24}"
            f" {spread([s.cpu_ms for s in samples], '.3f'):>22}"
        )
    speedups = [r[PRODUCTION].per_second / r[DEFAULTS].per_second for r in repeats]
    print(f"  production/defaults creates/s, median [min-max]: {spread(speedups, '.2f')}x")
    return speedups


# -- The contention lab -----------------------------------------------------------------


def run_contention(
    names: Sequence[str], *, writers: int, readers: int, seconds: float, rng: random.Random
) -> dict[str, VariantResult]:
    """Run each variant once (in a random order) on a fresh scratch file; by name."""
    from django_six_demos.sqlite import contention

    order = list(names)
    rng.shuffle(order)
    results = contention.run(order, writers=writers, readers=readers, seconds=seconds)
    return {result.name: result for result in results}


def ratio(top: float, bottom: float) -> float:
    return top / bottom if bottom else math.inf


def fmt_ratio(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.2f}x"


def report_contention(
    table: dict[int, dict[str, VariantResult]], seconds: float
) -> dict[int, float]:
    """Print the writers table; return production/defaults writes/s per writer count."""
    print(f"\nContention lab: read-then-write transactions, {seconds:g} s per run")
    print(
        f"  {'writers':>7}  {'variant':<10} {'writes/s':>9} {'locked':>8} {'locked %':>8}"
        f" {'other':>6} {'p50 ms':>8} {'p99 ms':>8} {'lost':>5}"
    )
    speedups = {}
    for writers, results in table.items():
        for name, result in results.items():
            p50 = "-" if result.p50_ms is None else f"{result.p50_ms:.2f}"
            p99 = "-" if result.p99_ms is None else f"{result.p99_ms:.2f}"
            print(
                f"  {writers:>7}  {name:<10} {result.commits_per_second:>9,.0f}"
                f" {result.locked:>8,} {result.lock_error_rate:>8.1%} {result.other_errors:>6,}"
                f" {p50:>8} {p99:>8} {result.lost_rows:>5,}"
            )
        speedups[writers] = ratio(
            results[PRODUCTION].commits_per_second, results[DEFAULTS].commits_per_second
        )
    print(
        "  production/defaults writes/s: "
        + ", ".join(f"{w} writers {fmt_ratio(s)}" for w, s in speedups.items())
    )
    return speedups


def report_readers(results: dict[str, VariantResult], plan: Plan, seconds: float) -> None:
    print(
        f"\nReaders: {plan.readers} reader processes beside {plan.readers_beside} writers, "
        f"{seconds:g} s per run"
    )
    print(f"  {'variant':<10} {'reads/s':>9} {'read errors':>11} {'writes/s':>9} {'locked':>8}")
    for name, result in results.items():
        print(
            f"  {name:<10} {result.reads_per_second:>9,.0f} {result.read_errors:>11,}"
            f" {result.commits_per_second:>9,.0f} {result.locked:>8,}"
        )


# -- Main -------------------------------------------------------------------------------


def _writer_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"comma-separated numbers, not {text!r}") from None
    if not counts or any(not 1 <= count <= 64 for count in counts):
        raise argparse.ArgumentTypeError(f"writer counts must be 1 to 64, not {text!r}")
    return counts


def parse_plan(argv: Sequence[str] | None) -> tuple[Plan, int]:
    options = parser(__doc__)
    options.add_argument("--seconds", type=float, help="seconds per contention run (default 30)")
    options.add_argument(
        "--writers", type=_writer_counts, help="writer counts (default 2,4,8,16,32)"
    )
    options.add_argument(
        "--readers-beside", type=int, help="the writer count the readers run beside (default 16)"
    )
    options.add_argument("--readers", type=int, help="reader processes (default 2)")
    args, seed = parse(options, argv)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    changes: dict[str, Any] = {}
    if args.repeats is not None:
        changes["repeats"] = args.repeats
    if args.seconds is not None:
        if not 0 < args.seconds <= 3600:
            options.error("--seconds must be above 0 and at most 3600")
        changes["seconds"] = args.seconds
    if args.writers is not None:
        changes["writers"] = args.writers
    if args.readers_beside is not None:
        if not 1 <= args.readers_beside <= 64:
            options.error("--readers-beside must be 1 to 64")
        changes["readers_beside"] = args.readers_beside
    if args.readers is not None:
        if not 0 <= args.readers <= 64:
            options.error("--readers must be 0 to 64 (0 skips the readers' run)")
        changes["readers"] = args.readers
    if changes:
        plan = Plan(**{**plan.__dict__, **changes})
    return plan, seed


def main(argv: Sequence[str] | None = None) -> int:
    plan, seed = parse_plan(argv)
    rng = random.Random(seed)
    started = time.perf_counter()

    with throwaway_site() as directory:
        from django_six_demos.sqlite import contention

        add_databases(directory)
        effective = create_tables()
        print_header("SQLite, the production settings against Django's defaults")
        print(f"Settings {SETTINGS_MODULE}, two throwaway databases (seed {seed}):")
        for alias, values in effective.items():
            print(f"  {alias}: " + ", ".join(f"{k}={v}" for k, v in values.items()))
        print(
            f"ORM: {plan.repeats} repeats x {plan.rounds} rounds x {plan.batch} creates per "
            "variant, interleaved, order shuffled each round"
        )
        repeats, probes = measure_orm(plan, rng)
        check_rows(plan)
    print_probe(probes)
    orm = report_orm(repeats)

    variants = contention.variants()
    print(
        f"\nContention lab ({contention.MODULE}): writers {','.join(map(str, plan.writers))}, "
        f"{plan.seconds:g} s per run, variants in a random order at each count:"
    )
    for variant in variants.values():
        print(f"  {variant.name}: {variant.summary}")
    table = {}
    lab_probes = [cpu_probe()]
    for writers in plan.writers:
        table[writers] = run_contention(
            contention.VARIANT_NAMES, writers=writers, readers=0, seconds=plan.seconds, rng=rng
        )
        lab_probes.append(cpu_probe())
    readers = None
    if plan.readers:
        readers = run_contention(
            (DEFAULTS, PRODUCTION),
            writers=plan.readers_beside,
            readers=plan.readers,
            seconds=plan.seconds,
            rng=rng,
        )
        lab_probes.append(cpu_probe())
    print(f"CPU reference probe between the runs: {spread(lab_probes, '.1f')} ms (lower is faster)")
    speedups = report_contention(table, plan.seconds)
    if readers is not None:
        report_readers(readers, plan, plan.seconds)

    orm_median = statistics.median(orm)
    production = [results[PRODUCTION] for results in table.values()]
    locked = sum(result.locked + result.other_errors for result in production)
    lost = sum(result.lost_rows + result.unacknowledged_rows for result in production)
    lost += sum(abs(result.counter - result.commits) for result in production)
    judged = [w for w in plan.writers if w in GOAL_WRITES_AT] or [max(plan.writers)]
    worst = min(speedups[w] for w in judged)
    goals = [
        Goal(
            orm_median >= GOAL_ORM_SPEEDUP,
            f"ORM creates/s, production >= {GOAL_ORM_SPEEDUP:g}x the defaults",
            f"{orm_median:.2f}x",
        ),
        Goal(
            locked == 0 and lost == 0,
            "production: 0 lock errors and 0 lost rows at every writer count",
            f"{locked} errors, {lost} lost",
        ),
        Goal(
            worst >= GOAL_WRITES_SPEEDUP,
            f"production writes/s >= {GOAL_WRITES_SPEEDUP:g}x the defaults at "
            f"{', '.join(map(str, judged))} writers",
            ", ".join(f"{w}: {fmt_ratio(speedups[w])}" for w in judged),
        ),
    ]
    reads = None
    if readers is not None:
        reads = readers[PRODUCTION].reads_per_second
        goals.append(
            Goal(
                reads >= GOAL_READS_PER_SECOND,
                f"production: readers beside {plan.readers_beside} writers >= "
                f"{GOAL_READS_PER_SECOND:,.0f} reads/s",
                f"{reads:,.0f} reads/s (defaults: {readers[DEFAULTS].reads_per_second:,.0f})",
            )
        )
    print_goals("Goals", goals, started)
    reads_text = "-" if reads is None else f"{reads:.0f}"
    print(
        f"sqlite: orm creates/s={orm_median:.2f}x "
        f"writes/s at {judged[-1]} writers={fmt_ratio(speedups[judged[-1]])} "
        f"locked={locked} lost={lost} reads/s beside {plan.readers_beside} writers={reads_text}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
