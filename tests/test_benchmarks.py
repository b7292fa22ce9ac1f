"""The benchmarks still run: a smoke test, not a timing (the figures are in docs/performance.rst)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The key figures, on the last line of the output.
LAST_LINE = re.compile(
    r"partials: partial/full req/s=\d+\.\d\dx bytes=\d+\.\d\dx row/full req/s=\d+\.\d\dx "
    r"\(frame off\)"
)


@pytest.mark.slow
def test_partials_benchmark_runs_and_prints_its_figures():
    # Without pytest-django's settings: the benchmark picks its own.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-W", "error", "benchmarks/partials.py", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

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
