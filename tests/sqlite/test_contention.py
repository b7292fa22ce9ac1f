from __future__ import annotations

import io
import re
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import SimpleTestCase

from django_six_demos.sqlite import contention
from django_six_demos.sqlite.database import sqlite_database
from django_six_demos.sqlite.management.commands import demos_contention
from tests.databases import sqlite_envs_only


def table_rows(output: str) -> dict[str, dict[str, str]]:
    """Return the command's final table as {variant: {column: cell}}."""
    lines = output.splitlines()
    [header] = [i for i, line in enumerate(lines) if line.split()[:2] == ["variant", "commits"]]
    titles = [title for title, *_ in demos_contention.COLUMNS]
    rows = {}
    for line in lines[header + 1 :]:
        cells = line.split()
        if len(cells) != len(titles):
            break
        rows[cells[0]] = dict(zip(titles, cells, strict=True))
    return rows


@pytest.mark.slow
@sqlite_envs_only("Eight writer processes of the contention command")
class ContentionCommandTests(SimpleTestCase):
    def test_eight_writer_processes_lose_nothing_and_never_lock_with_the_production_settings(self):
        out = io.StringIO()

        call_command(
            "demos_contention",
            "--writers=8",
            "--seconds=3",
            "--variants=defaults,production",
            "--check",
            stdout=out,
        )

        output = out.getvalue()
        rows = table_rows(output)
        production, defaults = rows["production"], rows["defaults"]
        assert production["locked"] == "0"
        assert production["other"] == "0"
        assert production["lost"] == "0"
        assert production["expected"] == production["found"]
        assert int(production["commits"].replace(",", "")) > 0
        # How many locks Django's defaults hit depends on the disk; they still
        # commit, and keep every row they acknowledged.
        assert int(defaults["commits"].replace(",", "")) > 0
        assert re.fullmatch(r"[\d,]+", defaults["locked"])
        assert defaults["lost"] == "0"
        assert defaults["commits"] == defaults["expected"] == defaults["found"]
        # Progress while it ran, then the verdict.
        assert re.search(r"production: \d\.\d/3 s, [\d,]+ commits, 0 locked", output)
        assert "check: the production settings had no error and lost nothing." in output


class ContentionCommandArgumentTests(SimpleTestCase):
    def test_check_needs_the_production_variant(self):
        with pytest.raises(CommandError, match="--check judges the production variant"):
            call_command("demos_contention", "--variants=wal", "--check")

    def test_refuses_out_of_range_and_unknown_values(self):
        for args in (
            ["--writers=0"],
            ["--writers=65"],
            ["--writers=many"],
            ["--readers=-1"],
            ["--seconds=0"],
            ["--seconds=nan"],
            ["--variants=defaults,fast"],
            ["--variants=,"],
        ):
            with self.subTest(args), pytest.raises(CommandError):
                call_command("demos_contention", *args)

    def test_check_fails_when_production_locks(self):
        dirty = make_result("production", locked=3)
        out = io.StringIO()

        with (
            mock.patch.object(contention, "run", return_value=[dirty]),
            pytest.raises(CommandError, match="production: 3 lock errors") as raised,
        ):
            call_command("demos_contention", "--variants=production", "--check", stdout=out)

        assert raised.value.returncode == 1

    def test_reports_readers_other_errors_and_lost_updates(self):
        result = make_result(
            "wal", readers=1, reads=5000, other_errors=1, first_other_error="disk I/O error"
        )
        result.counter = result.commits - 2
        out = io.StringIO()

        with mock.patch.object(contention, "run", return_value=[result]):
            call_command("demos_contention", "--variants=wal", "--readers=1", stdout=out)

        output = out.getvalue()
        assert "wal: 2,500 reads/s, 0 read errors" in output
        assert "wal: first other error: disk I/O error" in output
        assert "wal: the shared counter reads 98 after 100 commits (lost updates)" in output

    def test_a_failed_process_is_a_command_error(self):
        with (
            mock.patch.object(contention, "run", side_effect=contention.ContentionError("boom")),
            pytest.raises(CommandError, match="boom"),
        ):
            call_command("demos_contention", stdout=io.StringIO())


def make_result(name: str, **changes: Any) -> contention.VariantResult:
    fields = {
        "name": name,
        "label": name,
        "summary": "",
        "writers": 2,
        "readers": 0,
        "seconds": 2.0,
        "commits": 100,
        "locked": 0,
        "other_errors": 0,
        "first_other_error": "",
        "p50_ms": 0.1,
        "p99_ms": 1.0,
        "expected_rows": 100,
        "found_rows": 100,
        "lost_rows": 0,
        "unacknowledged_rows": 0,
        "counter": 100,
        "reads": 0,
        "read_errors": 0,
    }
    return contention.VariantResult(**{**fields, **changes})


class VariantTests(SimpleTestCase):
    def test_production_is_derived_from_sqlite_database(self):
        options = sqlite_database(Path("x"))["OPTIONS"]
        production = contention.variants()["production"]

        assert production.init_command == options["init_command"]
        assert production.begin == "BEGIN IMMEDIATE"
        assert production.timeout == 20.0

    def test_wal_alone_keeps_deferred_transactions(self):
        wal = contention.variants()["wal"]

        assert wal.begin == "BEGIN"
        assert "journal_mode=WAL" in wal.init_command

    def test_defaults_run_no_pragma(self):
        defaults = contention.variants()["defaults"]

        assert (defaults.init_command, defaults.begin, defaults.timeout) == ("", "BEGIN", 5.0)

    def test_each_variant_is_in_effect_on_its_connections(self):
        with tempfile.TemporaryDirectory() as directory:
            for variant, expected in (
                (
                    "defaults",
                    {"journal_mode": "delete", "synchronous": "2", "busy_timeout": "5000"},
                ),
                ("wal", {"journal_mode": "wal", "synchronous": "1", "busy_timeout": "5000"}),
                (
                    "production",
                    {"journal_mode": "wal", "synchronous": "1", "busy_timeout": "20000"},
                ),
            ):
                path = Path(directory) / f"{variant}.sqlite3"
                assert contention._prepare(path, contention.variants()[variant]) == expected


class HistogramTests(SimpleTestCase):
    def test_percentiles_are_within_the_bucket_width(self):
        histogram: dict[int, int] = {}
        for microseconds in range(1, 1001):
            key = contention.bucket(microseconds / 1e6)
            histogram[key] = histogram.get(key, 0) + 1

        p50 = contention.percentile(histogram, 0.5)
        p99 = contention.percentile(histogram, 0.99)

        assert p50 == pytest.approx(500e-6, rel=0.05)
        assert p99 == pytest.approx(990e-6, rel=0.05)

    def test_no_samples_no_percentile(self):
        assert contention.percentile({}, 0.5) is None


class ValidateTests(SimpleTestCase):
    def test_bounds(self):
        assert contention.validate(writers=8, readers=0, seconds=3, names=["production"]) == []
        problems = contention.validate(writers=0, readers=99, seconds=0, names=["x"])
        assert len(problems) == 4

    def test_run_refuses_bad_parameters_before_starting_anything(self):
        with pytest.raises(ValueError, match="writers must be 1 to 64"):
            contention.run(writers=100, seconds=1)

    def test_no_variant_is_a_problem(self):
        assert contention.validate(writers=1, readers=0, seconds=1, names=[]) == [
            "name at least one variant"
        ]


class ChildTests(SimpleTestCase):
    """The child processes' code, run in process (their coverage is not collected)."""

    def run_child(self, role: str, variant: str = "production") -> list[dict[str, Any]]:
        import json

        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "child.sqlite3"
            chosen = contention.variants()[variant]
            contention._prepare(path, chosen)
            start = time.time()
            stdin = io.StringIO(f"go {start!r} {start + 0.6!r}\n")
            stdout = io.StringIO()
            spec = {"path": str(path), "variant": asdict(chosen), "role": role, "id": 0}
            contention.child_main(spec, stdin, stdout)
            if role == "writer":
                found, counter = contention._count_rows(path, chosen)
        messages = [json.loads(line) for line in stdout.getvalue().splitlines()]
        if role == "writer":
            assert found == {0: messages[-1]["commits"]}
            assert counter == messages[-1]["commits"]
        return messages

    def test_a_writer_reports_ready_progress_and_its_commits(self):
        messages = self.run_child("writer")

        assert messages[0] == {"kind": "ready"}
        assert messages[1]["kind"] == "progress"
        done = messages[-1]
        assert done["kind"] == "done"
        assert done["commits"] > 0
        assert sum(done["histogram"].values()) == done["commits"]
        assert done["locked"] == 0

    def test_a_reader_counts_reads(self):
        done = self.run_child("reader", "wal")[-1]

        assert done["reads"] > 0
        assert done["read_errors"] == 0

    def test_a_child_exits_quietly_when_the_parent_gives_up(self):
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "child.sqlite3"
            variant = contention.variants()["wal"]
            spec = {"path": str(path), "variant": asdict(variant), "role": "writer", "id": 0}
            with pytest.raises(SystemExit) as exited:
                contention.child_main(spec, io.StringIO(""), io.StringIO())

        assert exited.value.code == 0


class RunTests(SimpleTestCase):
    @pytest.mark.slow
    def test_run_reports_every_figure_and_progress(self):
        reports: list[contention.Progress] = []
        with tempfile.TemporaryDirectory() as directory:
            [result] = contention.run(
                ["production"],
                writers=2,
                readers=1,
                seconds=0.5,
                directory=Path(directory),
                on_progress=reports.append,
                progress_every=0.2,
            )
            # The scratch database is gone afterwards.
            assert list(Path(directory).iterdir()) == []

        assert result.clean
        assert result.commits == result.expected_rows == result.found_rows == result.counter
        assert result.reads > 0
        assert result.p50_ms is not None and result.p99_ms is not None
        assert result.p50_ms <= result.p99_ms
        assert result.effective["journal_mode"] == "wal"
        assert result.to_dict()["clean"] is True
        assert reports[-1].elapsed == reports[-1].seconds == 0.5
        assert "production: 0.5/0.5 s" in str(reports[-1])

    def test_processes_that_cannot_start_fail_the_run(self):
        with (
            mock.patch.object(contention, "MODULE", "django_six_demos.sqlite.no_such_module"),
            pytest.raises(contention.ContentionError, match="2 of 2 processes"),
        ):
            contention.run(["wal"], writers=2, seconds=0.2)
