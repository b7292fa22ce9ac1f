"""Template partials with htmx: ``{% partialdef %}`` and ``"page.html#name"`` (Django 6.0).

One view, one template: a page gets the whole explorer, htmx only its ``results`` partial.
https://docs.djangoproject.com/en/6.0/ref/templates/language/#template-partials
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.http.response import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django.views.generic import ListView

from django_six_demos import limits
from django_six_demos.conference.access import may_change, readable_speakers, readable_talks
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.demo import demo_for
from django_six_demos.htmx import HtmxHttpRequest
from django_six_demos.partials.forms import SORTS, ExplorerForm, TitleForm
from django_six_demos.partials.mixins import HtmxPartialMixin

EXPLORER = "django_six_demos/partials/explorer.html"
PAGE_SIZE = 10
EDITS_SESSION_KEY = "django_six_demos_partials_title_edits"
# Saved title edits, per signed-in user and per address (django-ratelimit rates).
TITLE_EDIT_RATE: Final = limits.Rate(per_user="10/m", per_ip="100/h")


def visible_talks(request: HttpRequest) -> QuerySet[Talk]:
    """The talks this visitor may read, with speakers: the only source of talks (and search) here."""
    return readable_talks(request.user).select_related("speaker")


def _talks(request: HttpRequest, filters: dict[str, Any]) -> QuerySet[Talk]:
    talks = visible_talks(request)
    if query := filters.get("q"):
        talks = talks.filter(
            Q(title__icontains=query)
            | Q(abstract__icontains=query)
            | Q(speaker__name__icontains=query)
        )
    if track := filters.get("track"):
        talks = talks.filter(track=track)
    if level := filters.get("level"):
        talks = talks.filter(level=level)
    return talks.order_by(*SORTS[filters.get("sort") or "title"][1])


@require_GET
# A history restore (Back/Forward, which htmx fetches with both headers) gets the page.
@vary_on_headers("HX-Request", "HX-History-Restore-Request")
def index(request: HtmxHttpRequest) -> TemplateResponse:
    """The talk explorer: the full page, or only its results for htmx."""
    form = ExplorerForm(request.GET or None)
    paginator = Paginator(_talks(request, form.filters()), PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as error:
        raise Http404(f"No such page of results: {error}") from error
    context = {
        **demo_for(__name__).context(),
        "form": form,
        "page_obj": page,
        "talks": page.object_list,
    }
    # The partial's name is fixed here, never taken from the request. htmx's history
    # restore (Back/Forward with no snapshot) sends HX-Request too, and swaps in the
    # whole page it gets: give it the page, whose form shows the address's filters.
    if request.htmx and not request.htmx.history_restore_request:
        # oob: the results carry the count for the page's live region (hx-swap-oob).
        return TemplateResponse(request, f"{EXPLORER}#results", {**context, "oob": True})
    # Only the full page shows the edit counter: the partial need not touch the session.
    context["edits"] = request.session.get(EDITS_SESSION_KEY, 0)
    return TemplateResponse(request, EXPLORER, context)


@require_http_methods(["GET", "POST"])
def edit_title(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Edit a talk's title in place: GET the form row, POST the new title."""
    # A talk the visitor may not read is "not found", never "forbidden".
    talk = get_object_or_404(visible_talks(request), pk=pk)
    if not request.user.is_authenticated:
        return HttpResponseForbidden("Sign in to edit talk titles.", content_type="text/plain")
    if not may_change(request.user, talk):
        return HttpResponseForbidden(
            "You can edit only your own talks' titles.", content_type="text/plain"
        )
    if request.method == "GET":
        context = {"talk": talk, "form": TitleForm(instance=talk), "editing": True}
        return TemplateResponse(request, f"{EXPLORER}#row", context)
    form = TitleForm(request.POST, instance=talk)
    if not form.is_valid():
        # 422: the htmx config in base.html swaps it, so the errors show in place.
        context = {"talk": visible_talks(request).get(pk=pk), "form": form, "editing": True}
        return TemplateResponse(request, f"{EXPLORER}#row", context, status=422)
    # Only saves count against the limits: fixing a rejected title is free.
    if refusal := limits.over_limit(request, "partials-title-edit", TITLE_EDIT_RATE, "title edits"):
        return refusal
    form.save()
    edits = request.session[EDITS_SESSION_KEY] = request.session.get(EDITS_SESSION_KEY, 0) + 1
    # The saved row, plus the page's edit counter out of band (hx-swap-oob).
    return TemplateResponse(request, f"{EXPLORER}#row-saved", {"talk": talk, "edits": edits})


@require_GET
def title_row(request: HtmxHttpRequest, pk: int) -> TemplateResponse:
    """One talk's row, as the explorer shows it (the editor's Cancel button)."""
    talk = get_object_or_404(visible_talks(request), pk=pk)
    return TemplateResponse(request, f"{EXPLORER}#row", {"talk": talk})


if TYPE_CHECKING:
    # ListView is generic only in django-stubs, not at runtime.
    SpeakerListBase = ListView[Speaker]
else:
    SpeakerListBase = ListView


class SpeakerListView(HtmxPartialMixin, SpeakerListBase):
    """Speakers, paged: the class-based twin of the explorer, via HtmxPartialMixin."""

    model = Speaker
    paginate_by = 8
    template_name = "django_six_demos/partials/speakers.html"
    htmx_partial = "list"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[Speaker]:
        # The conference app's rule, as in the CRUD room.
        return readable_speakers(self.request.user).order_by("name", "pk")
