"""The async story: one stream served by a sync worker and by an async one, in plain words.

The figures come from ``data/async_story.json``, which ``python -m benchmarks.streaming
--write-story`` writes; the page sets each beside its goal and says when there are none yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from django.core.handlers.asgi import ASGIRequest
from django.views.generic import TemplateView

from django_six_demos.demo import demo_for

STORY_FILE: Final = Path(__file__).resolve().parent / "data" / "async_story.json"
STORY_TEMPLATE: Final = "django_six_demos/streaming/story.html"
RUN_COMMAND: Final = "python -m benchmarks.streaming --write-story"

# The goals the async worker is held to (the benchmark judges the same ones).
GAP_GOAL_INTERVALS: Final = 2  # p99 gap between tokens: at most twice the model's interval
FIRST_BYTE_GOAL_MS: Final = 25  # first byte, p50, above the model's own first-token delay
MEMORY_GOAL_KIB: Final = 64  # server memory growth per open stream
RATIO_GOAL: Final = 30  # streams held at once, async worker over the sync deployment


@dataclass(frozen=True)
class Row:
    """One figure: what it measures, its goal, each server's value, and whether it was met."""

    label: str
    goal: str
    asgi: str
    wsgi: str
    met: bool | None  # None: a figure without a goal


@dataclass(frozen=True)
class Story:
    measured_on: str
    django: str
    clients: int
    arrival_seconds: int
    tokens: int
    token_interval_ms: int
    first_token_delay_ms: int
    asgi_server: str
    wsgi_server: str
    rows: list[Row]

    @property
    def answer_seconds(self) -> float:
        """How long one answer takes the model to give: every token at its interval."""
        return self.tokens * self.token_interval_ms / 1000

    @property
    def tokens_per_second(self) -> float:
        return 1000 / self.token_interval_ms

    @property
    def met_all(self) -> bool:
        return all(row.met is not False for row in self.rows)


def _ms(value: int) -> str:
    return f"{value:,} ms"


def story_rows(data: dict[str, Any]) -> list[Row]:
    """The table: each figure of ``data`` (async_story.json) beside its goal."""
    asgi, wsgi = data["asgi"], data["wsgi"]
    clients, gap_goal = int(data["clients"]), GAP_GOAL_INTERVALS * int(data["token_interval_ms"])
    return [
        Row(
            "Streams open at once (peak)",
            f"all {clients:,}",
            f"{asgi['peak_streams']:,}",
            f"{wsgi['peak_streams']:,}",
            asgi["peak_streams"] >= clients,
        ),
        Row(
            "Errors (refused, dropped or cut short)",
            "0",
            f"{asgi['errors']:,}",
            f"{wsgi['errors']:,}",
            asgi["errors"] == 0,
        ),
        Row(
            "Longest wait between two tokens (p99)",
            f"at most {_ms(gap_goal)}",
            _ms(asgi["p99_gap_ms"]),
            _ms(wsgi["p99_gap_ms"]),
            asgi["p99_gap_ms"] <= gap_goal,
        ),
        Row(
            "First byte, beyond the model's own delay (p50)",
            f"at most {_ms(FIRST_BYTE_GOAL_MS)}",
            _ms(asgi["first_byte_over_model_ms_p50"]),
            _ms(wsgi["first_byte_over_model_ms_p50"]),
            asgi["first_byte_over_model_ms_p50"] <= FIRST_BYTE_GOAL_MS,
        ),
        Row(
            "Server memory per open stream",
            f"at most {MEMORY_GOAL_KIB} KiB",
            f"{asgi['memory_kib_per_stream']:,} KiB",
            "not measured",
            asgi["memory_kib_per_stream"] <= MEMORY_GOAL_KIB,
        ),
        Row(
            "Processor time (share of one core)",
            "no goal",
            f"{asgi['cpu_percent']} %",
            "not measured",
            None,
        ),
        Row(
            "Streams held at once, async over sync",
            f"at least {RATIO_GOAL}×",
            f"{float(data['ratio']):,.1f}×",
            "1×",
            float(data["ratio"]) >= RATIO_GOAL,
        ),
    ]


def load_story(path: Path) -> tuple[Story | None, str]:
    """The figures in ``path``, or None and why there are none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "missing"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None, "unreadable"
    try:
        if int(data["token_interval_ms"]) <= 0:
            return None, "unreadable"
        return Story(
            measured_on=str(data["measured_on"]),
            django=str(data["django"]),
            clients=int(data["clients"]),
            arrival_seconds=int(data["arrival_seconds"]),
            tokens=int(data["tokens"]),
            token_interval_ms=int(data["token_interval_ms"]),
            first_token_delay_ms=int(data["first_token_delay_ms"]),
            asgi_server=str(data["asgi"]["server"]),
            wsgi_server=str(data["wsgi"]["server"]),
            rows=story_rows(data),
        ), ""
    except (KeyError, TypeError, ValueError):
        return None, "unreadable"


class AsyncStoryView(TemplateView):
    """The story in words, and the benchmark's figures when it has been run."""

    template_name = STORY_TEMPLATE
    story_file: Path = STORY_FILE

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        story, problem = load_story(self.story_file)
        return {
            **super().get_context_data(**kwargs),
            **demo_for(__name__).context(),
            "story": story,
            "problem": problem,
            "run_command": RUN_COMMAND,
            "served_by_asgi": isinstance(self.request, ASGIRequest),
        }
