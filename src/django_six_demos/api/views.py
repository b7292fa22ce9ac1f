"""The API room's comparison page: the four approaches side by side, their source and figures.

``measure`` times the four serializers in this process when a visitor asks (a GET that does
work, so it is rate-limited and its result shared for a minute).
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from django_six_demos import limits
from django_six_demos.api import comparison
from django_six_demos.api.comparison import (
    BASELINE,
    Benchmark,
    Encoder,
    FlavourFigures,
    LiveTimes,
    ModuleSource,
)
from django_six_demos.api.flavours import FLAVOURS, Flavour
from django_six_demos.conference.access import public_talks
from django_six_demos.conference.models import Talk
from django_six_demos.demo import demo_for
from django_six_demos.htmx import HtmxHttpRequest

INDEX: Final = "django_six_demos/api/index.html"
# The filtered list each section links to: one track, one level.
EXAMPLE_FILTER: Final = {"track": Talk.Track.WEB.value, "level": Talk.Level.BEGINNER.value}

# Timing the four serializers keeps this process busy for a noticeable moment, too much to
# spend on every view of a page anyone may reload: it runs when a visitor presses the
# button. The result is stored in the cache and shown to every visitor for a minute, so
# presses in that minute cost nothing; one address may press a few times a minute.
LIVE_CACHE_KEY: Final = "django_six_demos_api:live-serializer-times"
LIVE_CACHE_SECONDS: Final = 60
MEASURE_GROUP: Final = "api-measure"
MEASURE_RATE_PER_IP: Final = "10/m"


@dataclass(frozen=True)
class Approach:
    """One approach as the page shows it: its module, its endpoints and its figures."""

    name: str
    label: str
    module: ModuleSource | None
    list_url: str
    filtered_url: str
    detail_url: str | None
    response_bytes: int
    figures: FlavourFigures | None  # From the last benchmark run.
    live_us: float | None  # Measured in this process, when a visitor last asked.
    live_ratio: float | None

    @property
    def is_baseline(self) -> bool:
        return self.name == BASELINE

    @property
    def live_ms(self) -> float | None:
        return None if self.live_us is None else self.live_us / 1000


def _encoder(flavour: Flavour) -> Encoder:
    module = importlib.import_module(flavour.module)
    encode: Encoder = module.encode_talks
    return encode


def encoders() -> dict[str, Encoder]:
    """Each approach's ``encode_talks``, in page order."""
    return {flavour.name: _encoder(flavour) for flavour in FLAVOURS}


# What an approach writes for the sample cannot change without a restart (the module is
# imported once), so it is measured once per process.
@functools.cache
def _response_bytes(name: str) -> int:
    return comparison.response_bytes(encoders()[name])


def _approaches(
    benchmark: Benchmark | None, live: LiveTimes | None, detail_pk: int | None
) -> list[Approach]:
    approaches = []
    for flavour in FLAVOURS:
        module = importlib.import_module(flavour.module)
        list_url = flavour.list_url()
        approaches.append(
            Approach(
                name=flavour.name,
                label=flavour.label,
                module=comparison.module_source(module.__file__ or ""),
                list_url=list_url,
                filtered_url=f"{list_url}?{urlencode(EXAMPLE_FILTER)}",
                detail_url=flavour.detail_url(detail_pk) if detail_pk is not None else None,
                response_bytes=_response_bytes(flavour.name),
                figures=benchmark.flavours[flavour.name] if benchmark else None,
                live_us=live.microseconds.get(flavour.name) if live else None,
                live_ratio=live.ratio(flavour.name) if live else None,
            )
        )
    return approaches


def _context(benchmark_file: Path, live: LiveTimes | None) -> dict[str, Any]:
    benchmark, problem = comparison.load_benchmark(benchmark_file, (f.name for f in FLAVOURS))
    # A talk every visitor may open, for the detail links.
    detail_pk = public_talks().order_by("title", "pk").values_list("pk", flat=True).first()
    approaches = _approaches(benchmark, live, detail_pk)
    return {
        **demo_for(__name__).context(),
        "approaches": approaches,
        "by_name": {approach.name: approach for approach in approaches},
        "benchmark": benchmark,
        "problem": problem,
        "run_command": comparison.RUN_COMMAND,
        "live": live,
        "live_cache_seconds": LIVE_CACHE_SECONDS,
        "measure_rate": limits.in_words(MEASURE_RATE_PER_IP),
        "sample_talks": comparison.SAMPLE_TALKS,
        "rounds": comparison.ROUNDS,
        "example_filter": EXAMPLE_FILTER,
    }


@require_GET
@never_cache
def index(request: HtmxHttpRequest) -> TemplateResponse:
    """The comparison page: the figures, each approach's source and endpoints, the trade-offs."""
    live: LiveTimes | None = cache.get(LIVE_CACHE_KEY)
    return TemplateResponse(request, INDEX, _context(comparison.BENCHMARK_FILE, live))


@require_GET
@never_cache
def measure(request: HtmxHttpRequest) -> HttpResponse:
    """Time the four serializers now (or show the last minute's times): for htmx, the table."""
    live: LiveTimes | None = cache.get(LIVE_CACHE_KEY)
    if live is None:
        # Anyone may ask, so the limit is per address (a per-user key would put every
        # anonymous visitor in one bucket).
        wait = limits.limited_for(request, MEASURE_GROUP, "ip", MEASURE_RATE_PER_IP)
        if wait is not None:
            message = f"Too many measurements: try again in {wait} s."
            return limits.refused(request, message, status=429, retry_after=wait)
        live = comparison.measure_live(encoders())
        cache.set(LIVE_CACHE_KEY, live, LIVE_CACHE_SECONDS)
    template = f"{INDEX}#measured" if request.htmx else INDEX
    response = TemplateResponse(request, template, _context(comparison.BENCHMARK_FILE, live))
    patch_vary_headers(response, ("HX-Request",))
    return response
