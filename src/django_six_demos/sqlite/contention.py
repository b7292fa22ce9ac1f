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
from collections.abc import Callable, Iterable, Sequence
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


@dataclass(frozen=True)
class Variant:
    """How each connection of a variant is configured."""

    name: str
    label: str
    init_command: str  # run once per connection, like Django's OPTIONS["init_command"]
    begin: str
    timeout: float  # seconds, Python's sqlite3 timeout
    summary: str


def variants() -> dict[str, Variant]:
    """The three variants by name; ``production`` comes from ``sqlite_database()``."""
    from django_six_demos.sqlite.database import sqlite_database

    options = sqlite_database(Path("scratch"))["OPTIONS"]
    mode = str(options["transaction_mode"]).upper()
    return {
        "defaults": Variant(
            "defaults",
            "Django's defaults",
            "",
            "BEGIN",
            5.0,
            "rollback journal, synchronous=FULL, deferred transactions, timeout 5 s",
        ),
        "wal": Variant(
            "wal",
            "WAL alone",
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "BEGIN",
            5.0,
            "WAL, synchronous=NORMAL, still deferred transactions, timeout 5 s",
        ),
        "production": Variant(
            "production",
            "Production settings",
            str(options["init_command"]),
            f"BEGIN {mode}",
            float(options["timeout"]),
            f"sqlite_database(): WAL, synchronous=NORMAL, {mode} transactions, "
            f"timeout {float(options['timeout']):g} s",
        ),
    }


def configure(connection: sqlite3.Connection, variant: Variant) -> None:
    """Run ``variant``'s init command on ``connection``, as Django's backend does."""
    for statement in variant.init_command.split(";"):
        if statement := statement.strip():
            connection.execute(statement).fetchall()


def connect(path: Path, variant: Variant) -> sqlite3.Connection:
    """Open ``path`` configured like ``variant``, in autocommit (explicit BEGIN)."""
    connection = sqlite3.connect(path, timeout=variant.timeout, isolation_level=None)
    configure(connection, variant)
    return connection


def is_lock_error(error: sqlite3.OperationalError) -> bool:
    """Whether ``error`` is SQLite's "database is locked" (SQLITE_BUSY)."""
    return "locked" in str(error).lower()


# -- Latency histogram -----------------------------------------------------------


def bucket(seconds: float) -> int:
    """The histogram bucket of a latency."""
    return int(math.log(max(seconds * 1e6, 1.0)) / _BUCKET_GROWTH)


def percentile(histogram: dict[int, int], fraction: float) -> float | None:
    """The ``fraction`` percentile (0-1) of a bucket histogram, in seconds."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for key in sorted(histogram):
        seen += histogram[key]
        if seen >= rank:
            return math.exp((key + 0.5) * _BUCKET_GROWTH) / 1e6
    raise AssertionError("unreachable")  # pragma: no cover


# -- The child processes ------------------------------------------------------------


def _emit(stream: IO[str], kind: str, **data: Any) -> None:
    stream.write(json.dumps({"kind": kind, **data}) + "\n")
    stream.flush()


def _wait_for_go(stdin: IO[str]) -> tuple[float, float]:
    line = stdin.readline().split()
    if len(line) != 3 or line[0] != "go":
        raise SystemExit(0)  # the parent gave up before the start
    return float(line[1]), float(line[2])


def _write_loop(
    connection: sqlite3.Connection, variant: Variant, writer: int, stdout: IO[str], end: float
) -> dict[str, Any]:
    commits = locked = other = 0
    first_other = ""
    histogram: dict[int, int] = {}
    next_progress = time.monotonic() + _PROGRESS_EVERY
    while time.time() < end:
        started = time.perf_counter()
        try:
            connection.execute(variant.begin)
            # Read, then write: a deferred transaction cannot wait for the lock here.
            (total,) = connection.execute("SELECT n FROM totals WHERE id = 1").fetchone()
            connection.execute("UPDATE totals SET n = ? WHERE id = 1", (total + 1,))
            connection.execute(
                "INSERT INTO rows (writer, seq, payload) VALUES (?, ?, ?)",
                (writer, commits, _PAYLOAD),
            )
            connection.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.OperationalError):
                    connection.execute("ROLLBACK")
            if is_lock_error(error):
                locked += 1
            else:
                other += 1
                first_other = first_other or str(error)
        else:
            commits += 1
            key = bucket(time.perf_counter() - started)
            histogram[key] = histogram.get(key, 0) + 1
        if time.monotonic() >= next_progress:
            _emit(stdout, "progress", commits=commits, locked=locked, reads=0)
            next_progress += _PROGRESS_EVERY
    return {
        "commits": commits,
        "locked": locked,
        "other_errors": other,
        "first_other_error": first_other,
        "histogram": {str(k): v for k, v in histogram.items()},
    }


def _read_loop(connection: sqlite3.Connection, stdout: IO[str], end: float) -> dict[str, Any]:
    reads = errors = 0
    next_progress = time.monotonic() + _PROGRESS_EVERY
    while time.time() < end:
        try:
            connection.execute("SELECT n FROM totals WHERE id = 1").fetchone()
            connection.execute("SELECT max(id) FROM rows").fetchone()
        except sqlite3.OperationalError:
            errors += 1
        else:
            reads += 1
        if time.monotonic() >= next_progress:
            _emit(stdout, "progress", commits=0, locked=0, reads=reads)
            next_progress += _PROGRESS_EVERY
    return {"reads": reads, "read_errors": errors}


def child_main(spec: dict[str, Any], stdin: IO[str], stdout: IO[str]) -> None:
    """Run the writer or reader ``spec``, talking JSON lines to the parent."""
    variant = Variant(**spec["variant"])
    with contextlib.closing(connect(Path(spec["path"]), variant)) as connection:
        _emit(stdout, "ready")
        start, end = _wait_for_go(stdin)
        time.sleep(max(0.0, start - time.time()))
        if spec["role"] == "writer":
            result = _write_loop(connection, variant, spec["id"], stdout, end)
        else:
            result = _read_loop(connection, stdout, end)
        _emit(stdout, "done", finished=time.time(), **result)


# -- The parent ---------------------------------------------------------------------


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
        """No lock error, no other error, nothing lost, no lost update."""
        return (
            self.locked == 0
            and self.other_errors == 0
            and self.lost_rows == 0
            and self.unacknowledged_rows == 0
            and self.counter == self.commits
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "commits_per_second": self.commits_per_second,
            "reads_per_second": self.reads_per_second,
            "lock_error_rate": self.lock_error_rate,
            "clean": self.clean,
        }


class ContentionError(RuntimeError):
    """A writer or reader process failed: the run measured nothing."""


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
        self.progress: dict[str, Any] = {"commits": 0, "locked": 0, "reads": 0}
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
        (counter,) = connection.execute("SELECT n FROM totals WHERE id = 1").fetchone()
    return found, counter


def run_variant(
    variant: Variant,
    *,
    writers: int,
    readers: int = 0,
    seconds: float,
    directory: Path,
    on_progress: Callable[[Progress], None] | None = None,
    progress_every: float = 1.0,
) -> VariantResult:
    """Run ``writers`` (and ``readers``) processes for ``seconds`` on a fresh scratch file."""
    path = directory / f"contention-{variant.name}.sqlite3"
    effective = _prepare(path, variant)
    base = {"path": str(path), "variant": asdict(variant)}
    children = [_Child({**base, "role": "writer", "id": i}) for i in range(writers)]
    children += [_Child({**base, "role": "reader", "id": i}) for i in range(readers)]
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
                if on_progress is not None and time.monotonic() >= next_report:
                    next_report += progress_every
                    on_progress(_progress(variant, children, time.time() - start, seconds))
    finally:
        for child in children:
            child.finish(timeout=5)
    failed = [child for child in children if child.done is None]
    if failed:
        raise ContentionError(
            f"{len(failed)} of {len(children)} processes of the {variant.name!r} run failed "
            f"(exit {failed[0].process.returncode}): {failed[0].stderr.strip()[-500:]}"
        )
    if on_progress is not None:
        on_progress(_progress(variant, children, seconds, seconds))
    found, counter = _count_rows(path, variant)
    remove_database(path)
    return _result(variant, children, found, counter, writers, start, effective)


def _progress(
    variant: Variant, children: Iterable[_Child], elapsed: float, seconds: float
) -> Progress:
    totals = {
        key: sum(int(child.progress.get(key, 0)) for child in children)
        for key in ("commits", "locked", "reads")
    }
    return Progress(variant.name, max(0.0, elapsed), seconds, **totals)


def _result(
    variant: Variant,
    children: Sequence[_Child],
    found: dict[int, int],
    counter: int,
    writers: int,
    start: float,
    effective: dict[str, str],
) -> VariantResult:
    finals = [child.done for child in children if child.done is not None]

    def total(key: str) -> int:
        return sum(int(final.get(key, 0)) for final in finals)

    histogram: dict[int, int] = {}
    for final in finals:
        for key, count in final.get("histogram", {}).items():
            histogram[int(key)] = histogram.get(int(key), 0) + count
    # Writers come first; writer i inserted its rows with writer = i.
    acknowledged = {i: int(final["commits"]) for i, final in enumerate(finals[:writers])}
    lost = sum(max(0, acknowledged[i] - found.get(i, 0)) for i in acknowledged)
    unacknowledged = sum(max(0, found.get(i, 0) - acknowledged[i]) for i in acknowledged)
    unacknowledged += sum(count for i, count in found.items() if i not in acknowledged)
    p50, p99 = percentile(histogram, 0.50), percentile(histogram, 0.99)
    first_other = next((f["first_other_error"] for f in finals if f.get("first_other_error")), "")
    return VariantResult(
        name=variant.name,
        label=variant.label,
        summary=variant.summary,
        writers=writers,
        readers=len(finals) - writers,
        seconds=max(float(final["finished"]) for final in finals) - start,
        commits=sum(acknowledged.values()),
        locked=total("locked"),
        other_errors=total("other_errors"),
        first_other_error=first_other,
        p50_ms=None if p50 is None else round(p50 * 1000, 3),
        p99_ms=None if p99 is None else round(p99 * 1000, 3),
        expected_rows=sum(acknowledged.values()),
        found_rows=sum(found.values()),
        lost_rows=lost,
        unacknowledged_rows=unacknowledged,
        counter=counter,
        reads=total("reads"),
        read_errors=total("read_errors"),
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
    unknown = [name for name in names if name not in VARIANT_NAMES]
    if unknown:
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
    """Run each named variant in turn on a fresh scratch database; return the results.

    ``directory`` (a temporary one by default) should be on the disk to measure.
    """
    problems = validate(writers=writers, readers=readers, seconds=seconds, names=names)
    if problems:
        raise ValueError("; ".join(problems))
    all_variants = variants()
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    scratch_directory = (
        contextlib.nullcontext(str(directory))
        if directory is not None
        else tempfile.TemporaryDirectory(prefix="django-six-demos-contention-")
    )
    with scratch_directory as scratch:
        return [
            run_variant(
                all_variants[name],
                writers=writers,
                readers=readers,
                seconds=seconds,
                directory=Path(scratch),
                on_progress=on_progress,
                progress_every=progress_every,
            )
            for name in names
        ]


if __name__ == "__main__":
    child_main(json.loads(sys.argv[1]), sys.stdin, sys.stdout)
