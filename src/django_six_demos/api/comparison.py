"""The comparison page's figures: each approach's lines of code, response bytes and serializer time.

The benchmark's last run is read from ``data/benchmark.json`` (``python -m benchmarks.api
--write-results`` writes it); lines are counted and bytes measured here, from the code as it is.
"""

from __future__ import annotations

import ast
import functools
import io
import statistics
import time
import tokenize
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Annotated, Final

import msgspec

from django_six_demos import frame
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.frame.source import display_path, file_version

BENCHMARK_FILE: Final = Path(__file__).resolve().parent / "data" / "benchmark.json"
RUN_COMMAND: Final = "python -m benchmarks.api --write-results"
# The approach every other is compared with, and the one the serializer goal is about.
BASELINE: Final = "drf"
FASTEST_SERIALIZER: Final = "msgspec"
# The live measurement: as the benchmark, 100 talks with their speakers, one call per sample.
SAMPLE_TALKS: Final = 100
WARM_UP_ROUNDS: Final = 1
ROUNDS: Final = 7

Encoder = Callable[[Sequence[Talk]], bytes]
NonNegative = Annotated[float, msgspec.Meta(ge=0)]
Count = Annotated[int, msgspec.Meta(ge=0)]


# The file's shape, checked by msgspec as it is read: a wrong type, a negative figure or a
# missing key makes the whole file unreadable, never a half-filled table.
class FlavourFigures(msgspec.Struct, frozen=True):
    serializer_us: NonNegative
    serializer_ratio: NonNegative
    bytes: Count
    rps: NonNegative
    p50_ms: NonNegative
    p99_ms: NonNegative
    errors: Count

    @property
    def serializer_ms(self) -> float:
        return self.serializer_us / 1000


class Goals(msgspec.Struct, frozen=True):
    serializer_ratio: NonNegative
    rps_ratio: NonNegative


class Benchmark(msgspec.Struct, frozen=True):
    measured_on: str
    django: str
    python: str
    server: str
    connections: Count
    seconds: NonNegative
    talks: Count
    goals: Goals
    flavours: dict[str, FlavourFigures]

    @property
    def baseline(self) -> FlavourFigures:
        return self.flavours[BASELINE]

    @property
    def serializer_ratio(self) -> float:
        """How many times faster than DRF's serializer the fastest approach's serializer is."""
        return self.flavours[FASTEST_SERIALIZER].serializer_ratio

    @property
    def rps_leader(self) -> str:
        """The approach that served the most requests a second."""
        return max(self.flavours, key=lambda name: self.flavours[name].rps)

    @property
    def rps_ratio(self) -> float:
        base = self.baseline.rps
        return self.flavours[self.rps_leader].rps / base if base else 0.0

    @property
    def errors(self) -> int:
        return sum(figures.errors for figures in self.flavours.values())

    @property
    def serializer_goal_met(self) -> bool:
        return self.serializer_ratio >= self.goals.serializer_ratio

    @property
    def rps_goal_met(self) -> bool:
        return self.rps_ratio >= self.goals.rps_ratio


def load_benchmark(path: Path, names: Iterable[str]) -> tuple[Benchmark | None, str]:
    """The last run's figures in ``path``, or None and why: "missing" or "unreadable".

    ``names`` are the approaches the page shows; a run that lacks one of them is unreadable.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "missing"
    except OSError:
        return None, "unreadable"
    try:
        benchmark = msgspec.json.decode(data, type=Benchmark)
    except msgspec.DecodeError:  # Not JSON, or JSON of another shape (ValidationError).
        return None, "unreadable"
    if not {*names, BASELINE, FASTEST_SERIALIZER} <= benchmark.flavours.keys():
        return None, "unreadable"
    return benchmark, ""


def lines_of_code(source: str) -> int:
    """Count the lines holding code: not blank, not only a comment, not part of a docstring.

    No package among the project's dependencies counts them; the tokenizer and the syntax
    tree of the standard library tell code, comments and docstrings apart.
    """
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    not_code = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
    code: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in not_code:
            code.update(range(token.start[0], token.end[0] + 1))
    return len(code - docstrings)


@dataclass(frozen=True)
class ModuleSource:
    """An approach's module as it is on disk now: highlighted, and its lines of code counted."""

    source: frame.Source
    lines: int
    total_lines: int


def module_source(filename: str) -> ModuleSource | None:
    """Read ``filename`` from disk; None if it is gone or is not Python."""
    version = file_version(filename)
    return None if version is None else _module_source(filename, version)


# ``version`` is only part of the key: an edited file misses the cache and is read again.
@functools.lru_cache(maxsize=16)
def _module_source(filename: str, version: tuple[int, int, int, int]) -> ModuleSource | None:
    try:
        code = Path(filename).read_text(encoding="utf-8")
        lines = lines_of_code(code)
    except (OSError, UnicodeDecodeError, SyntaxError, tokenize.TokenError):
        return None
    path = display_path(filename)
    title = path.removesuffix(".py").replace("/", ".")
    source = frame.Source(title=title, path=path, language="python", code=code)
    return ModuleSource(source, lines, len(code.splitlines()))


@functools.cache
def sample_talks() -> tuple[Talk, ...]:
    """The first 100 talks of the seed data with their speakers, in memory: no database.

    Each talk holds its speaker already, as after ``select_related("speaker")``; the
    timestamps have microseconds, as saved rows do.
    """
    path = resources.files("django_six_demos.conference") / "data" / "seed.json"
    data = msgspec.json.decode(path.read_bytes())
    speakers: dict[str, Speaker] = {}
    for pk, row in enumerate(data["speakers"], start=1):
        speakers[row["slug"]] = Speaker(
            pk=pk, name=row["name"], slug=row["slug"], company=row["company"], bio=row["bio"]
        )
    start = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
    talks = []
    for pk, row in enumerate(data["talks"][:SAMPLE_TALKS], start=1):
        created = start + timedelta(hours=pk, microseconds=pk * 7919)
        talk = Talk(
            pk=pk,
            title=row["title"],
            slug=row["slug"],
            abstract=row["abstract"],
            track=row["track"],
            level=row["level"],
            status=row["status"],
            duration=row["duration"],
            created_at=created,
            updated_at=created + timedelta(days=1),
        )
        talk.speaker = speakers[row["speaker"]]
        talks.append(talk)
    return tuple(talks)


def response_bytes(encode: Encoder) -> int:
    """The size of the JSON an approach writes for the sample's 100 talks."""
    return len(encode(sample_talks()))


def time_serializers(
    encoders: Mapping[str, Encoder], talks: Sequence[Talk], rounds: int = ROUNDS
) -> dict[str, float]:
    """Each encoder's median time in microseconds for ``talks``, the encoders interleaved.

    Every round runs each encoder once, starting with the next one in turn, so a slow moment
    of the machine or a cache warmed by the previous encoder falls on all of them alike.
    """
    names = list(encoders)
    for _ in range(WARM_UP_ROUNDS):
        for name in names:
            encoders[name](talks)
    samples: dict[str, list[int]] = {name: [] for name in names}
    for turn in range(rounds):
        shift = turn % len(names)
        for name in names[shift:] + names[:shift]:
            encode = encoders[name]
            start = time.perf_counter_ns()
            encode(talks)
            samples[name].append(time.perf_counter_ns() - start)
    return {name: statistics.median(times) / 1000 for name, times in samples.items()}


@dataclass(frozen=True)
class LiveTimes:
    """Serializer times measured in this process: microseconds per approach, and when."""

    measured_at: datetime
    microseconds: dict[str, float]

    def ratio(self, name: str) -> float | None:
        """How many times faster than DRF's serializer ``name``'s is (DRF's own is 1.0)."""
        own, base = self.microseconds.get(name), self.microseconds.get(BASELINE)
        return base / own if own and base is not None else None


def measure_live(encoders: Mapping[str, Encoder]) -> LiveTimes:
    """Time every approach's serializer now, on the sample's 100 talks."""
    return LiveTimes(datetime.now(timezone.utc), time_serializers(encoders, sample_talks()))
