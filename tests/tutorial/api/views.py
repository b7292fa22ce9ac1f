"""Chapter 7's first code: a JSON API with nothing but Django, the accepted talks and one talk.

The view picks the fields; ``JsonResponse`` encodes them with ``DjangoJSONEncoder``, which
also writes datetimes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from django_six_demos.conference.models import Talk


def accepted_talks() -> QuerySet[Talk]:
    # One query: each talk's speaker comes in the same SELECT.
    return Talk.objects.filter(status=Talk.Status.ACCEPTED).select_related("speaker")


def talk_data(talk: Talk) -> dict[str, Any]:
    return {
        "id": talk.pk,
        "title": talk.title,
        "track": talk.track,
        "duration": talk.duration,
        "speaker": {"id": talk.speaker.pk, "name": talk.speaker.name},
        "created_at": talk.created_at,
    }


@require_GET
def talk_list(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"results": [talk_data(talk) for talk in accepted_talks()]})


@require_GET
def talk_detail(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(talk_data(get_object_or_404(accepted_talks(), pk=pk)))
