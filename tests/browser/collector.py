"""A CSP report collector for the browser tests (the live server runs in-process)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

# Reports received by the live server, which runs in a thread of the test process.
REPORTS: list[dict[str, Any]] = []


@csrf_exempt
@require_POST
def collect_report(request: HttpRequest) -> HttpResponse:
    REPORTS.append(json.loads(request.body))
    return HttpResponse(status=204)
