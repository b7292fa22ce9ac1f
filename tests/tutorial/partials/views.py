"""Template partials with Django's own API (6.0+): one template, two addresses.

The partials chapter opens with this: the page renders ``talks.html``, one row
renders ``talks.html#talk-row``, the partial that the page defines inline.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from django_six_demos.conference.models import Talk


@require_GET
def talk_list(request: HttpRequest) -> HttpResponse:
    talks = Talk.objects.filter(status=Talk.Status.ACCEPTED).select_related("speaker")
    return render(request, "talks.html", {"talks": talks})


@require_GET
def talk_row(request: HttpRequest, pk: int) -> HttpResponse:
    talk = get_object_or_404(Talk, pk=pk, status=Talk.Status.ACCEPTED)
    # "template#partial": only the row, from the template that defines it.
    return render(request, "talks.html#talk-row", {"talk": talk})
