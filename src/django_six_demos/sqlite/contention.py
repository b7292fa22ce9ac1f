"""The contention lab: N writer processes on a scratch SQLite file, per settings variant.

Variants: Django's defaults, WAL alone and ``sqlite_database()``'s settings; writers are
plain ``sqlite3`` (``python -m`` this module), so the lab measures SQLite's own locking.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Final

from django_six_demos.sqlite.backup import remove_database

MODULE: Final = "django_six_demos.sqlite.contention"
VARIANT_NAMES: Final = ("defaults", "wal", "production")
MAX_WRITERS: Final = 64
MAX_READERS: Final = 64
MAX_SECONDS: Final = 3600.0
# Latency buckets 5 % wide: percentiles merge across processes without every sample.
_BUCKET_GROWTH: Final = math.log(1.05)
_PROGRESS_EVERY: Final = 0.25  # seconds, from each child
_PAYLOAD: Final = "x" * 100
_READY_TIMEOUT: Final = 60.0
_COUNTER: Final = "SELECT n FROM totals WHERE id = 1"
SCHEMA: Final = """
CREATE TABLE totals (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO totals (id, n) VALUES (1, 0);
CREATE TABLE rows (
    id INTEGER PRIMARY KEY,
    writer INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    payload TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Variant:
    """How each connection of a variant is configured."""

    name: str
    label: str
    summary: str
    init_command: str = ""  # run once per connection, like Django's OPTIONS["init_command"]
    begin: str = "BEGIN"
    timeout: float = 5.0  # seconds, Python's sqlite3 timeout


def variants() -> dict[str, Variant]:
    """The three variants by name; ``production`` comes from ``sqlite_database()``."""
    from django_six_demos.sqlite.database import sqlite_database

    options = sqlite_database(Path("scratch"))["OPTIONS"]
    mode, timeout = str(options["transaction_mode"]).upper(), float(options["timeout"])
    deferred = "deferred transactions, timeout 5 s"
    wal = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    production = f"WAL, synchronous=NORMAL, {mode} transactions, timeout {timeout:g} s"
    return {
        variant.name: variant
        for variant in (
            Variant(
                "defaults", "Django's defaults", f"rollback journal, synchronous=FULL, {deferred}"
            ),
            Variant("wal", "WAL alone", f"WAL, synchronous=NORMAL, still {deferred}", wal),
            Variant(
                "production",
                "Production settings",
                f"sqlite_database(): {production}",
                str(options["init_command"]),
                f"BEGIN {mode}",
                timeout,
            ),
        )
    }


def connect(path: Path, variant: Variant) -> sqlite3.Connection:
    """Open ``path`` in autocommit and run ``variant``'s init command, as Django's backend does."""
    connection = sqlite3.connect(path, timeout=variant.timeout, isolation_level=None)
    for statement in variant.init_command.split(";"):
        if statement := statement.strip():
            connection.execute(statement).fetchall()
    return connection


def bucket(seconds: float) -> int:
    """The histogram bucket of a latency."""
    return int(math.log(max(seconds * 1e6, 1.0)) / _BUCKET_GROWTH)


def percentile(histogram: dict[int, int], fraction: float) -> float | None:
    """The ``fraction`` percentile (0-1) of a bucket histogram, in seconds."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = max(1, math.ceil(fraction * total)), 0
    for key in sorted(histogram):
        seen += histogram[key]
        if seen >= rank:
            return math.exp((key + 0.5) * _BUCKET_GROWTH) / 1e6
    raise AssertionError("unreachable")  # pragma: no cover


# -- The child processes: JSON lines on stdout, "go START END" on stdin ----------------


def _emit(stream: IO[str], kind: str, **data: Any) -> None:
    stream.write(json.dumps({"kind": kind, **data}) + "\n")
    stream.flush()


def _write(connection: sqlite3.Connection, variant: Variant, writer: int, seq: int) -> None:
    connection.execute(variant.begin)
    # Read, then write: a deferred transaction cannot wait for the lock here.
    (total,) = connection.execute(_COUNTER).fetchone()
    connection.execute("UPDATE totals SET n = ? WHERE id = 1", (total + 1,))
    connection.execute(
        "INSERT INTO rows (writer, seq, payload) VALUES (?, ?, ?)", (writer, seq, _PAYLOAD)
    )
    connection.execute("COMMIT")


def child_main(spec: dict[str, Any], stdin: IO[str], stdout: IO[str]) -> None:
    """Run the writer or reader ``spec``, talking JSON lines to the parent."""
    variant, writer = Variant(**spec["variant"]), spec["role"] == "writer"
    counts = dict.fromkeys(("commits", "locked", "other_errors", "reads", "read_errors"), 0)
    histogram: Counter[str] = Counter()
    first_other = ""
    with contextlib.closing(connect(Path(spec["path"]), variant)) as connection:
        _emit(stdout, "ready")
        go = stdin.readline().split()
        if len(go) != 3 or go[0] != "go":
            raise SystemExit(0)  # the parent gave up before the start
        end = float(go[2])
        time.sleep(max(0.0, float(go[1]) - time.time()))
        next_progress = time.monotonic() + _PROGRESS_EVERY
        while time.time() < end:
            started = time.perf_counter()
            try:
                if writer:
                    _write(connection, variant, spec["id"], counts["commits"])
                else:
                    connection.execute(_COUNTER).fetchone()
                    connection.execute("SELECT max(id) FROM rows").fetchone()
            except sqlite3.OperationalError as error:
                if connection.in_transaction:
                    with contextlib.suppress(sqlite3.OperationalError):
                        connection.execute("ROLLBACK")
                if not writer:
                    counts["read_errors"] += 1
                elif "locked" in str(error).lower():  # SQLITE_BUSY
                    counts["locked"] += 1
                else:
                    counts["other_errors"] += 1
                    first_other = first_other or str(error)
            else:
                counts["commits" if writer else "reads"] += 1
                if writer:
                    histogram[str(bucket(time.perf_counter() - started))] += 1
            if time.monotonic() >= next_progress:
                _emit(stdout, "progress", **counts)
                next_progress += _PROGRESS_EVERY
        extra = {"finished": time.time(), "first_other_error": first_other, "histogram": histogram}
        _emit(stdout, "done", **counts, **extra)


@dataclass
class Progress:
    """Where a variant's run is: sums over its processes so far."""

    variant: str
    elapsed: float
    seconds: float
    commits: int
    locked: int
    reads: int

    def __str__(self) -> str:
        text = (
            f"{self.variant}: {min(self.elapsed, self.seconds):.1f}/{self.seconds:g} s, "
            f"{self.commits:,} commits, {self.locked:,} locked"
        )
        return text + (f", {self.reads:,} reads" if self.reads else "")


@dataclass
class VariantResult:
    """What one variant's run measured."""

    name: str
    label: str
    summary: str
    writers: int
    readers: int
    seconds: float
    commits: int
    locked: int
    other_errors: int
    first_other_error: str
    p50_ms: float | None
    p99_ms: float | None
    expected_rows: int
    found_rows: int
    lost_rows: int
    unacknowledged_rows: int  # found, but no writer saw them committed
    counter: int  # equals the commits unless an update was lost
    reads: int
    read_errors: int
    # The PRAGMAs in effect on a connection configured like the writers.
    effective: dict[str, str] = field(default_factory=dict)

    @property
    def commits_per_second(self) -> float:
        return self.commits / self.seconds if self.seconds else 0.0

    @property
    def reads_per_second(self) -> float:
        return self.reads / self.seconds if self.seconds else 0.0

    @property
    def lock_error_rate(self) -> float:
        attempts = self.commits + self.locked + self.other_errors
        return self.locked / attempts if attempts else 0.0

    @property
    def clean(self) -> bool:
        errors = (self.locked, self.other_errors, self.lost_rows, self.unacknowledged_rows)
        return not any(errors) and self.counter == self.commits

    def to_dict(self) -> dict[str, Any]:
        computed = ("commits_per_second", "reads_per_second", "lock_error_rate", "clean")
        return asdict(self) | {name: getattr(self, name) for name in computed}


class ContentionError(RuntimeError):
    """A writer or reader process failed: the run measured nothing."""


def _prepare(path: Path, variant: Variant) -> dict[str, str]:
    remove_database(path)
    with contextlib.closing(connect(path, variant)) as connection:
        connection.executescript(SCHEMA)
        return {
            name: str(connection.execute(f"PRAGMA {name}").fetchone()[0])
            for name in ("journal_mode", "synchronous", "busy_timeout")
        }


class _Child:
    """One writer or reader process, and a thread reading its JSON lines (and errors)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        env = dict(os.environ)
        # Children import this module from where the parent did, installed or not.
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", MODULE, json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.ready = threading.Event()
        self.progress: dict[str, Any] = {}
        self.done: dict[str, Any] | None = None
        self.stderr = ""  # whatever the process printed that is not a message
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                message = json.loads(line)
                kind = message.pop("kind")
            except (ValueError, TypeError, AttributeError, KeyError):
                self.stderr += line
                continue
            if kind == "ready":
                self.ready.set()
            else:
                self.progress = message
                self.done = message if kind == "done" else self.done
        self.ready.set()  # the process ended: stop waiting for it

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()

    def finish(self, timeout: float) -> None:
        """Close stdin (a child still waiting for "go" exits), wait, kill after ``timeout``."""
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._thread.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _count_rows(path: Path, variant: Variant) -> tuple[dict[int, int], int]:
    with contextlib.closing(connect(path, variant)) as connection:
        found = dict(connection.execute("SELECT writer, count(*) FROM rows GROUP BY writer"))
        (counter,) = connection.execute(_COUNTER).fetchone()
    return found, counter


def _run_variant(
    variant: Variant,
    directory: Path,
    writers: int,
    readers: int,
    seconds: float,
    on_progress: Callable[[Progress], None] | None,
    progress_every: float,
) -> VariantResult:
    path = directory / f"contention-{variant.name}.sqlite3"
    effective = _prepare(path, variant)
    base = {"path": str(path), "variant": asdict(variant)}
    children = [_Child({**base, "role": "writer", "id": i}) for i in range(writers)]
    children += [_Child({**base, "role": "reader", "id": i}) for i in range(readers)]

    def report(elapsed: float) -> None:
        if on_progress is not None:
            totals = {
                key: sum(int(child.progress.get(key, 0)) for child in children)
                for key in ("commits", "locked", "reads")
            }
            on_progress(Progress(variant.name, max(0.0, elapsed), seconds, **totals))

    start = time.time()
    try:
        for child in children:
            child.ready.wait(_READY_TIMEOUT)
        if all(child.process.poll() is None for child in children):
            # Everyone starts together, once every process is connected.
            start = time.time() + 0.1
            for child in children:
                child.send(f"go {start!r} {start + seconds!r}")
            # Past the deadline (a writer may wait for the lock up to its timeout)
            # finish() kills what is left, and the run fails.
            deadline = start + seconds + variant.timeout + 30
            next_report = time.monotonic() + progress_every
            while (
                any(child.process.poll() is None for child in children) and time.time() < deadline
            ):
                time.sleep(0.05)
                if time.monotonic() >= next_report:
                    next_report += progress_every
                    report(time.time() - start)
    finally:
        for child in children:
            child.finish(timeout=5)
    failed = [child for child in children if child.done is None]
    if failed:
        raise ContentionError(
            f"{len(failed)} of {len(children)} processes of the {variant.name!r} run failed "
            f"(exit {failed[0].process.returncode}): {failed[0].stderr.strip()[-500:]}"
        )
    report(seconds)
    found, counter = _count_rows(path, variant)
    remove_database(path)
    finals = [child.done for child in children if child.done is not None]
    histogram: Counter[int] = Counter()
    for final in finals:
        histogram.update({int(key): count for key, count in final["histogram"].items()})
    # Writers come first; writer i inserted its rows with writer = i.
    acknowledged = {i: int(final["commits"]) for i, final in enumerate(finals[:writers])}
    p50, p99 = (percentile(histogram, fraction) for fraction in (0.50, 0.99))
    return VariantResult(
        name=variant.name,
        label=variant.label,
        summary=variant.summary,
        writers=writers,
        readers=readers,
        seconds=max(float(final["finished"]) for final in finals) - start,
        commits=sum(acknowledged.values()),
        locked=sum(final["locked"] for final in finals),
        other_errors=sum(final["other_errors"] for final in finals),
        first_other_error=next(
            (f["first_other_error"] for f in finals if f["first_other_error"]), ""
        ),
        p50_ms=None if p50 is None else round(p50 * 1000, 3),
        p99_ms=None if p99 is None else round(p99 * 1000, 3),
        expected_rows=sum(acknowledged.values()),
        found_rows=sum(found.values()),
        lost_rows=sum(max(0, n - found.get(i, 0)) for i, n in acknowledged.items()),
        unacknowledged_rows=sum(max(0, n - acknowledged.get(i, 0)) for i, n in found.items()),
        counter=counter,
        reads=sum(final["reads"] for final in finals),
        read_errors=sum(final["read_errors"] for final in finals),
        effective=effective,
    )


def validate(*, writers: int, readers: int, seconds: float, names: Sequence[str]) -> list[str]:
    """The problems with a run's parameters (none when it may run)."""
    problems = []
    if not 1 <= writers <= MAX_WRITERS:
        problems.append(f"writers must be 1 to {MAX_WRITERS}, not {writers}")
    if not 0 <= readers <= MAX_READERS:
        problems.append(f"readers must be 0 to {MAX_READERS}, not {readers}")
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_SECONDS):
        problems.append(f"seconds must be above 0 and at most {MAX_SECONDS:g}, not {seconds}")
    if unknown := [name for name in names if name not in VARIANT_NAMES]:
        problems.append(f"unknown variants {unknown}; choose from {list(VARIANT_NAMES)}")
    if not names:
        problems.append("name at least one variant")
    return problems


def run(
    names: Sequence[str] = VARIANT_NAMES,
    *,
    writers: int,
    readers: int = 0,
    seconds: float,
    directory: Path | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    progress_every: float = 1.0,
) -> list[VariantResult]:
    """Run each named variant on a fresh scratch file in ``directory``, on the disk to measure."""
    if problems := validate(writers=writers, readers=readers, seconds=seconds, names=names):
        raise ValueError("; ".join(problems))
    known = variants()
    with contextlib.ExitStack() as stack:
        if directory is None:
            prefix = "django-six-demos-contention-"
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
        directory.mkdir(parents=True, exist_ok=True)
        return [
            _run_variant(
                known[name], directory, writers, readers, seconds, on_progress, progress_every
            )
            for name in names
        ]


if __name__ == "__main__":
    child_main(json.loads(sys.argv[1]), sys.stdin, sys.stdout)
