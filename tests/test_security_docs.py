"""The security reference page quotes the code's limits and caps: each figure is checked."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

from django_six_demos import limits
from django_six_demos.api import talks as api_talks
from django_six_demos.crud import permissions as crud_permissions
from django_six_demos.crud import views as crud_views
from django_six_demos.csp import collector
from django_six_demos.partials import views as partials_views
from django_six_demos.sqlite import models as sqlite_models
from django_six_demos.sqlite import views as sqlite_views
from django_six_demos.streaming import forms as streaming_forms
from django_six_demos.streaming import views as streaming_views
from django_six_demos.tasks import caps as tasks_caps
from django_six_demos.tasks import views as tasks_views

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reference" / "security.rst"
MODULES: tuple[ModuleType, ...] = (
    tasks_views,
    tasks_caps,
    sqlite_views,
    sqlite_models,
    crud_views,
    crud_permissions,
    partials_views,
    collector,
    streaming_views,
    streaming_forms,
    api_talks,
)
# ``NAME`` (value): a constant and what the page says it is.
QUOTED = re.compile(r"``([A-Z][A-Z0-9_]+)`` \(([^()]+)\)")


def said(value: object) -> str:
    """A constant's value as the page words it."""
    if isinstance(value, limits.Rate):
        return str(value)
    if isinstance(value, str):
        return f"{limits.in_words(value)} per address"
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        if seconds % 60 == 0 and seconds >= 120:
            return f"{seconds // 60} minutes"
        return f"{seconds} s"
    return str(value)


def constant(name: str) -> object:
    # One value, though a module may import it from another, or two rooms name their own
    # (the CRUD and API rooms' WRITE_RATE): the page quotes one name for both.
    values: list[object] = []
    for module in MODULES:
        value = getattr(module, name, None)
        if value is not None and value not in values:
            values.append(value)
    assert len(values) == 1, f"{name}: {len(values)} different values in the modules checked"
    return values[0]


def quoted() -> list[tuple[str, str]]:
    text = " ".join(PAGE.read_text().split())
    # Each distinct quote once: two rows may quote the same constant the same way.
    return list(dict.fromkeys(QUOTED.findall(text)))


def test_the_page_quotes_every_limit_and_cap():
    names = {name for name, _ in quoted()}
    assert {
        "EMAILS_RATE",
        "EXPORT_RATE",
        "SMALL_TASK_RATE",
        "REENQUEUE_RATE",
        "LAB_RATE",
        "LAB_COOL_DOWN",
        "KEEP_RUNS",
        "WRITE_RATE",
        "MAX_TALKS_PER_SPEAKER",
        "TITLE_EDIT_RATE",
        "MAX_READY_PER_QUEUE",
        "KEEP_EXPORTS",
        "KEEP_RESULTS",
        "MAX_TOTAL_DELAY",
        "REPORT_RATE",
        "MAX_REPORTS_PER_REQUEST",
        "MAX_BODY_BYTES",
        "MAX_STORED_REPORTS",
        "ASK_RATE",
        "STOP_RATE",
        "MAX_PROMPT_LENGTH",
        "MAX_MESSAGES_PER_CONVERSATION",
        "MAX_CONVERSATIONS_PER_USER",
    } <= names


@pytest.mark.parametrize(("name", "words"), quoted())
def test_each_quoted_figure_is_the_codes(name, words):
    assert words == said(constant(name))


def test_a_wrong_figure_would_be_caught():
    assert said(limits.Rate("3/h", "10/h")) != "3 an hour per user, 20 an hour per address"
    assert said(timedelta(minutes=2)) == "2 minutes"
    assert said(timedelta(seconds=10)) == "10 s"
