from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import timezone

from django_six_demos.csp.models import CspReport

PARTIALS = "https://demos.example/partials/"
CSP = "https://demos.example/csp/"


def run(*args: str, answer: str | None = None) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with mock.patch("builtins.input", return_value=answer) as ask:
        call_command("demos_csp_report", *args, stdout=out, stderr=err)
    if answer is None:
        ask.assert_not_called()
    return out.getvalue(), err.getvalue()


class DemosCspReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        rows = [
            ("script-src-elem", PARTIALS, 0),
            ("script-src-elem", PARTIALS, 1),
            ("script-src-elem", CSP, 2),
            ("img-src", PARTIALS, 30),
            ("style-src-attr", "https://demos.example/old/", 100),
        ]
        for directive, page, hours_ago in rows:
            CspReport.objects.create(
                format=CspReport.Format.REPORT_URI,
                effective_directive=directive,
                document_uri=page,
                received_at=timezone.now() - timedelta(hours=hours_ago, minutes=1),
            )

    def test_prints_counts_by_directive_and_by_page(self):
        out, _ = run()

        assert out.splitlines() == [
            "CSP violation reports stored: 5",
            "",
            "By directive",
            "      3  script-src-elem",
            "      1  img-src",
            "      1  style-src-attr",
            "",
            "By page (top 10)",
            f"      3  {PARTIALS}",
            f"      1  {CSP}",
            "      1  https://demos.example/old/",
        ]

    def test_top_limits_the_pages(self):
        out, _ = run("--top", "1")

        assert "By page (top 1)" in out
        assert CSP not in out
        assert "style-src-attr" in out

    def test_since_counts_only_recent_reports(self):
        out, _ = run("--since", "24")

        assert out.splitlines()[0] == "CSP violation reports in the last 24 hours: 3"
        assert "img-src" not in out

    def test_json(self):
        out, _ = run("--json", "--since", "48", "--top", "5")

        assert json.loads(out) == {
            "since_hours": 48.0,
            "total": 4,
            "by_directive": [
                {"directive": "script-src-elem", "count": 3},
                {"directive": "img-src", "count": 1},
            ],
            "by_page": [{"page": PARTIALS, "count": 3}, {"page": CSP, "count": 1}],
        }

    def test_nothing_stored(self):
        CspReport.objects.all().delete()

        assert run()[0] == "No CSP violation reports stored.\n"
        assert run("--since", "1.5")[0] == "No CSP violation reports in the last 1.5 hours.\n"

    def test_clear_asks_first(self):
        out, err = run("--clear", answer="no")

        assert err == "Nothing deleted.\n"
        assert "Deleted" not in out
        assert CspReport.objects.count() == 5

        out, _ = run("--clear", answer="yes")

        assert out.endswith("Deleted 5 reports.\n")
        assert CspReport.objects.count() == 0

    def test_clear_without_input(self):
        out, _ = run("--clear", "--no-input")

        assert "Deleted 5 reports." in out
        assert CspReport.objects.count() == 0

    def test_clear_with_json_reports_the_deleted_count(self):
        out, _ = run("--clear", "--noinput", "--json")

        assert json.loads(out)["deleted"] == 5
        assert json.loads(out)["total"] == 5

    def test_bad_arguments_are_refused(self):
        for args, message in (
            (["--clear", "--since", "1"], "cannot be combined"),
            (["--top", "0"], "--top"),
            (["--since", "0"], "--since"),
            (["--since", "-3"], "--since"),
            (["--since", "nan"], "--since"),
            (["--since", "inf"], "--since"),
            (["--since", "1e300"], "--since"),
        ):
            with pytest.raises(CommandError, match=message):
                run(*args)
        assert CspReport.objects.count() == 5
