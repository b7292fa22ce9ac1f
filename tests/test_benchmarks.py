"""The benchmarks still run: a smoke test, not a timing (the figures are in docs/performance.rst)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import sqlite_envs_only

ROOT = Path(__file__).resolve().parent.parent

# The key figures, on the last line of the output.
LAST_LINE = re.compile(
    r"partials: partial/full req/s=\d+\.\d\dx bytes=\d+\.\d\dx row/full req/s=\d+\.\d\dx "
    r"\(frame off\)"
)
CSP_LAST_LINE = re.compile(r"csp: overhead=-?\d+\.\d% \(goal <= 5 %\), A/A=-?\d+\.\d%")
SQLITE_LAST_LINE = re.compile(
    r"sqlite: orm creates/s=\d+\.\d\dx writes/s at \d+ writers=(\d+\.\d\dx|inf) "
    r"locked=\d+ lost=\d+ reads/s beside \d+ writers=\d+"
)


def run_quick(name: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m benchmarks.<name> --quick`` from the repository root."""
    # Without pytest-django's settings: the benchmark picks its own.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", f"benchmarks.{name}", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_partials_benchmark_runs_and_prints_its_figures():
    result = run_quick("partials")

    assert result.returncode == 0, result.stderr
    assert not result.stderr
    lines = result.stdout.splitlines()
    assert LAST_LINE.fullmatch(lines[-1]), lines[-1]
    # Both frame modes, the A/A control, the probe and a verdict per goal.
    assert "Frame on (as the demo serves it)" in lines
    assert any(line.startswith("Frame off") for line in lines)
    assert sum("A/A control" in line for line in lines) == 2
    assert any(line.startswith("CPU reference probe:") for line in lines)
    assert len([line for line in lines if re.match(r"  (PASS|FAIL)  ", line)]) == 3


@pytest.mark.slow
def test_csp_benchmark_runs_and_prints_its_figures():
    result = run_quick("csp_overhead")

    assert result.returncode == 0, result.stderr
    assert not result.stderr
    lines = result.stdout.splitlines()
    assert CSP_LAST_LINE.fullmatch(lines[-1]), lines[-1]
    # The three variants, the A/A verdict, the probe and the goal's verdict.
    for label in ("with CSP", "with CSP (A/A)", "without CSP"):
        assert any(line.startswith(f"  {label} ") for line in lines), label
    assert any(line.startswith("  A/A control: the identical pair") for line in lines)
    assert any(line.startswith("CPU reference probe:") for line in lines)
    assert len([line for line in lines if re.match(r"  (PASS|FAIL)  ", line)]) == 1


TASKS_LAST_LINE = re.compile(
    r"tasks: p50=\d+ms max=\d+ms idle=\d+\.\d% throughput 1w=\d+/s 2w=\d+/s"
)


@pytest.mark.slow
def test_tasks_benchmark_runs_and_prints_its_figures():
    result = run_quick("tasks_latency")

    assert result.returncode == 0, result.stderr
    assert not result.stderr
    lines = result.stdout.splitlines()
    assert TASKS_LAST_LINE.fullmatch(lines[-1]), lines[-1]
    # The latency and throughput tables, the probe and a verdict per goal.
    assert any(line.startswith("  demos_worker --interval 0.1 ") for line in lines)
    assert any(line.startswith("CPU reference probe:") for line in lines)
    assert len([line for line in lines if re.match(r"  (PASS|FAIL)  ", line)]) == 4


@pytest.mark.slow
@sqlite_envs_only("The SQLite benchmark's quick run (python -m benchmarks.sqlite --quick)")
def test_sqlite_benchmark_runs_and_prints_its_figures():
    result = run_quick("sqlite")

    assert result.returncode == 0, result.stderr
    assert not result.stderr
    lines = result.stdout.splitlines()
    assert SQLITE_LAST_LINE.fullmatch(lines[-1]), lines[-1]
    # The settings read back, both parts, the probe and a verdict per goal.
    assert any(line.startswith("  defaults: journal_mode=delete") for line in lines)
    assert any(line.startswith("  production: journal_mode=wal") for line in lines)
    assert any(line.startswith("  production/defaults creates/s") for line in lines)
    assert any(line.startswith("Contention lab: read-then-write") for line in lines)
    assert any(line.startswith("Readers: ") for line in lines)
    assert any(line.startswith("CPU reference probe:") for line in lines)
    assert len([line for line in lines if re.match(r"  (PASS|FAIL)  ", line)]) == 4


CRUD_LAST_LINE = re.compile(
    r"crud: queries 10k/10=(\d+)/(\d+) p50=\d+\.\dms p99=\d+\.\dms at 16 connections "
    r"req/s=\d+ p99 10k/10=\d+\.\d\dx \(frame on\)"
)


@pytest.mark.slow
def test_crud_list_benchmark_runs_and_prints_its_figures():
    pytest.importorskip("gunicorn", reason="gunicorn is in the 'example' dependency group")
    if shutil.which("wrk") is None:
        # CI must run it: there a missing wrk is a broken set-up, not a reason to skip.
        if os.environ.get("CI"):
            pytest.fail("wrk is not installed (apt-get install wrk); CI runs this benchmark")
        pytest.skip("benchmarks.crud_list needs wrk (apt-get install wrk)")

    result = run_quick("crud_list")

    assert result.returncode == 0, result.stderr
    assert not result.stderr
    lines = result.stdout.splitlines()
    last = CRUD_LAST_LINE.fullmatch(lines[-1])
    assert last, lines[-1]
    # The query count does not grow with the talks.
    assert last[1] == last[2]
    # The query table, both servers under load, the probe, the load and a verdict per goal.
    assert any(line.startswith("  first page, frame on ") for line in lines)
    for label in ("10,000 talks, frame on", "10 talks, frame on"):
        assert any(line.startswith(f"  {label} ") for line in lines), label
    assert any(line.startswith("CPU reference probe:") for line in lines)
    assert any(line.startswith("Before the runs, load average:") for line in lines)
    verdicts = [line for line in lines if re.match(r"  (PASS|FAIL)  ", line)]
    assert len(verdicts) == 3
    assert verdicts[0].startswith("  PASS  the same query count")
    # Every answer under load was the page.
    assert verdicts[2].startswith("  PASS  0 errors and 0 non-200 answers")


STREAMING_LAST_LINE = re.compile(
    r"streaming: asgi held=(\d+)/(\d+) errors=\d+ p99 gap=\d+ms first token \+-?\d+ms "
    r"mem=-?\d+KiB/stream peak asgi/sync=\d+/\d+=\d+\.\d\dx cpu=\d+%"
)


@pytest.mark.slow
def test_streaming_benchmark_runs_and_prints_its_figures():
    pytest.importorskip("uvicorn", reason="uvicorn is in the 'example' dependency group")
    pytest.importorskip("gunicorn", reason="gunicorn is in the 'example' dependency group")

    result = run_quick("streaming")

    assert result.returncode == 0, result.stderr
    assert not result.stderr
    lines = result.stdout.splitlines()
    last = STREAMING_LAST_LINE.fullmatch(lines[-1])
    assert last, lines[-1]
    # Twenty light streams: the ASGI worker reads every answer to its end.
    assert last[1] == last[2] == "20"
    # Both servers side by side, the probe and a verdict per goal.
    header = next(line for line in lines if line.strip().startswith("uvicorn, 1 process"))
    assert "gunicorn, 2 workers x 16 threads" in header
    for label in ("answers read to the end", "peak open streams", "gap between tokens, p99 ms"):
        assert any(line.startswith(f"  {label} ") for line in lines), label
    assert any(line.startswith("CPU reference probe:") for line in lines)
    verdicts = [line for line in lines if re.match(r"  (PASS|FAIL)  ", line)]
    assert len(verdicts) == 5
    assert verdicts[0].startswith("  PASS  the ASGI worker holds all 20 with 0 errors")


API_LAST_LINE = re.compile(
    r"api: serializer vs drf (?:\w+=\d+\.\d\dx ){3}req/s (\w+)/drf=\d+\.\d\dx "
    r"p99 drf=\d+\.\dms \w+=\d+\.\dms errors=(\d+) \(100 talks, uvicorn\)"
)


@pytest.mark.slow
def test_api_benchmark_runs_and_prints_its_figures():
    pytest.importorskip("uvicorn", reason="uvicorn is in the 'example' dependency group")
    if shutil.which("wrk") is None:
        if os.environ.get("CI"):
            pytest.fail("wrk is not installed (apt-get install wrk); CI runs this benchmark")
        pytest.skip("benchmarks.api needs wrk (apt-get install wrk)")

    result = run_quick("api")

    assert result.returncode == 0, result.stderr
    assert not result.stderr
    lines = result.stdout.splitlines()
    last = API_LAST_LINE.fullmatch(lines[-1])
    assert last, lines[-1]
    assert last[1] in {"plain", "ninja", "msgspec"}
    # The four approaches in process and under load, where the time goes, the probe, the
    # verdicts; every answer under load was the page of 100 talks.
    for name in ("plain", "drf", "ninja", "msgspec"):
        assert any(line.startswith(f"  {name} (") for line in lines), name
        assert any(line.startswith(f"  {name}, 100 talks ") for line in lines), name
    assert any(line.startswith("Where the time goes: ") for line in lines)
    assert any(line.startswith("CPU reference probe:") for line in lines)
    verdicts = [line for line in lines if re.match(r"  (PASS|FAIL)  ", line)]
    assert len(verdicts) == 3
    assert verdicts[2].startswith("  PASS  0 errors for every approach")
    assert last[2] == "0"
