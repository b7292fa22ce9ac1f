"""Neapolitan CRUD views: one ``CRUDView`` subclass per model gives its five views and URLs.

https://noumenal.es/neapolitan/ . Saves and deletes are confirmed with the messages framework;
the talk list's speakers load with fetch modes: https://docs.djangoproject.com/en/6.1/topics/db/fetch-modes/
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar, Final, NamedTuple

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page
from django.db import IntegrityError, transaction
from django.db.models import Count, Model, Q, QuerySet
from django.forms import BaseModelForm
from django.http import HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect
from neapolitan.views import CRUDView, Role  # type: ignore[import-untyped]

from django_six_demos import accounts, compat
from django_six_demos.conference.access import (
    is_staff,
    readable_speakers,
    readable_talks,
    speaker_of,
    writable_talks,
)
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.conference.slugs import unique_slug
from django_six_demos.crud.filters import SpeakerFilterSet, TalkFilterSet
from django_six_demos.crud.forms import SpeakerForm, StaffTalkForm, TalkForm
from django_six_demos.crud.permissions import WRITE_RATE, RolePermissionMixin
from django_six_demos.demo import demo_for
from django_six_demos.htmx import HtmxHttpRequest
from django_six_demos.queries import count_queries

TEMPLATE_DIR: Final = "django_six_demos/crud"
# The partial each role answers htmx with. Fixed here, never read from the request.
HTMX_PARTIALS: Final = {
    Role.LIST: "rows",
    Role.CREATE: "form",
    Role.UPDATE: "form",
    Role.DELETE: "confirm",
}
TALKS_PER_PAGE: Final = 10
SPEAKERS_PER_PAGE: Final = 20
# The most talks a speaker may have (any status); staff are not limited.
MAX_TALKS_PER_SPEAKER: Final = 10


class ListQueries(NamedTuple):
    """What one page of the talk list cost in queries, and from a plain queryset (naive)."""

    used: int
    naive: int


class DemoCRUDView(RolePermissionMixin, CRUDView):  # type: ignore[misc]
    """The project-level ``CRUDView``: permissions, one set of generic templates, htmx answers."""

    # What the generic templates show that differs per model; the partials of "<model>.html"
    # they include; sign_in_label replaces the create button for anonymous visitors.
    columns: ClassVar[tuple[str, ...]]
    create_label: ClassVar[str]
    sign_in_label: ClassVar[str] = ""
    deletes_too: ClassVar[str] = ""  # after "Delete <object>" in the confirmation
    model_partials: ClassVar[tuple[str, ...]] = ("lead", "row", "record")

    @cached_property
    def speaker(self) -> Speaker | None:
        return speaker_of(self.request.user)

    @property
    def parts(self) -> dict[str, str]:
        name = f"{TEMPLATE_DIR}/{self.model._meta.model_name}.html"
        return {part: f"{name}#{part}" for part in self.model_partials}

    @property
    def hidden_filters(self) -> frozenset[str]:
        return frozenset()

    @property
    def answers_with_partial(self) -> bool:
        """Whether this request gets a partial: htmx asked, and not for Back/Forward.

        htmx's history restore (no snapshot kept: hx-history="false") sends HX-Request
        too, and swaps in the whole page it gets, the form bound to the address.
        """
        return bool(self.request.htmx) and not self.request.htmx.history_restore_request

    def get_template_names(self) -> list[str]:
        name = f"{TEMPLATE_DIR}/object{self.template_name_suffix}.html"
        partial = HTMX_PARTIALS.get(self.role)
        if self.answers_with_partial and partial:
            return [f"{name}#{partial}"]
        return [name]

    def redirect(self, url: str) -> HttpResponseBase:
        # htmx would follow a 302 inside its request and swap the next page into the form.
        if self.request.htmx:
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)

    def save_form(self, form: BaseModelForm[Any]) -> Model:
        obj: Model = form.save()
        return obj

    def confirm(self, obj: Model, done: str) -> None:
        """Say what happened (e.g. 'Talk “Typed ORMs” created.') on the next page.

        Every save and delete answers with a redirect (for htmx, HX-Redirect: a full page
        load), so the base template's header shows the message on the page that follows.
        """
        name = capfirst(self.model._meta.verbose_name)
        # fail_silently: a project without MessageMiddleware still saves, just unannounced.
        messages.success(self.request, f"{name} “{obj}” {done}.", fail_silently=True)

    def form_valid(self, form: BaseModelForm[Any]) -> HttpResponseBase:
        if refusal := self.over_the_write_limit():
            return refusal
        try:
            with transaction.atomic():
                self.object = self.save_form(form)
        except IntegrityError:
            # A race: another request took the same slug after unique_slug() looked.
            form.add_error(None, "Someone saved at the same moment: please save again.")
            return self.form_invalid(form)
        except ValidationError as error:
            # save_form() refused inside the transaction (a cap): nothing saved.
            form.add_error(None, error)
            return self.form_invalid(form)
        self.confirm(self.object, "created" if self.role == Role.CREATE else "updated")
        return self.redirect(self.get_success_url())

    def form_invalid(self, form: BaseModelForm[Any]) -> TemplateResponse:
        # 422: the site's htmx config swaps it in, so the errors show in place.
        response: TemplateResponse = super().form_invalid(form)
        response.status_code = 422
        return response

    def process_deletion(self, request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.object = self.get_object()
        if refusal := self.over_the_write_limit():
            return refusal
        self.object.delete()
        self.confirm(self.object, "deleted")
        return self.redirect(self.get_success_url())

    def next_url(self) -> str | None:
        """Return the request's ``next`` (where to go after a delete) if it is on this site."""
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        url = data.get("next")
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return url
        return None

    def get_success_url(self) -> str:
        if self.role == Role.DELETE and (url := self.next_url()):
            return url
        return str(super().get_success_url())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(demo_for(__name__).context())
        context["may_create"] = self.request.user.is_authenticated and self.may_create()
        context["list_view_url"] = Role.LIST.reverse(self)
        if self.object is not None:
            context["may_update"] = self.may_change(self.object, Role.UPDATE)
            context["may_delete"] = self.may_change(self.object, Role.DELETE)
            context["delete_view_url"] = Role.DELETE.reverse(self, self.object)
            context["detail_view_url"] = Role.DETAIL.reverse(self, self.object)
        if self.role == Role.LIST:
            context["changeable"] = {
                obj.pk for obj in self.object_list if self.may_change(obj, Role.UPDATE)
            }
            # The rows partial then carries the count for the page's live region (hx-swap-oob).
            context["oob"] = self.answers_with_partial
        if self.role == Role.DELETE:
            context["next"] = self.next_url()
        return context


class TalkView(DemoCRUDView):
    """Talks: everyone reads accepted talks, speakers manage their own, staff all."""

    model = Talk
    url_base = "demos-talk"
    paginate_by = TALKS_PER_PAGE
    filterset_class = TalkFilterSet
    forbidden_message: ClassVar[str] = "You can change only your own talks."
    columns = ("Title", "Speaker", "Track", "Level", "Status", "Minutes")
    create_label = "Propose a talk"
    sign_in_label = "Sign in to propose a talk"
    model_partials = (*DemoCRUDView.model_partials, "rows_end", "page_end", "form_lead")

    @property
    def hidden_filters(self) -> frozenset[str]:
        # Only signed-in users see talks other than accepted ones.
        return frozenset() if self.request.user.is_authenticated else frozenset({"status"})

    def may_create(self) -> bool:
        return is_staff(self.request.user) or self.speaker is not None

    def readable_queryset(self) -> QuerySet[Talk]:
        # Django 6.1: FETCH_PEERS; before: select_related("speaker").
        return compat.peers_fetching(readable_talks(self.request.user, self.speaker), "speaker")

    def writable_queryset(self) -> QuerySet[Talk]:
        return writable_talks(self.request.user, self.speaker)

    def may_change(self, obj: Model, role: Role = Role.UPDATE) -> bool:
        assert isinstance(obj, Talk)
        if is_staff(self.request.user):
            return True
        return self.speaker is not None and obj.speaker_id == self.speaker.pk

    def get_form_class(self) -> type[TalkForm]:
        return StaffTalkForm if is_staff(self.request.user) else TalkForm

    def save_form(self, form: BaseModelForm[Any]) -> Talk:
        talk = form.save(commit=False)
        assert isinstance(talk, Talk)
        if self.role == Role.CREATE:
            if not is_staff(self.request.user):
                assert self.speaker is not None  # may_create() said so
                talk.speaker = self.speaker
                # Counted in the saving transaction: on SQLite (IMMEDIATE) two at once cannot pass.
                if Talk.objects.filter(speaker=self.speaker).count() >= MAX_TALKS_PER_SPEAKER:
                    raise ValidationError(
                        f"A speaker may have at most {MAX_TALKS_PER_SPEAKER} talks: "
                        "delete one to propose another."
                    )
            talk.slug = unique_slug(Talk, talk.title, fallback="talk")
        talk.save()
        return talk

    def paginate_queryset(self, queryset: QuerySet[Talk], page_size: int) -> Page[Talk]:
        with count_queries() as queries:
            page: Page[Talk] = super().paginate_queryset(queryset, page_size)
            talks = list(page.object_list)
            loaded = queries.count
            # Django 6.1: the first access loads every speaker of the page (FETCH_PEERS).
            self.speakers_on_page = {talk.speaker for talk in talks}
        page.object_list = talks
        self.list_queries = ListQueries(used=queries.count, naive=loaded + len(talks))
        return page

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.role == Role.LIST:
            context["list_queries"] = self.list_queries
            context["has_fetch_modes"] = compat.HAS_FETCH_MODES
        return context


class SpeakerView(DemoCRUDView):
    """Speakers: public profiles; speakers edit their own, staff add and remove them."""

    model = Speaker
    url_base = "demos-speaker"
    paginate_by = SPEAKERS_PER_PAGE
    filterset_class = SpeakerFilterSet
    form_class = SpeakerForm
    forbidden_message: ClassVar[str] = (
        "You can edit only your own speaker profile; staff add and remove speakers."
    )
    columns = ("Name", "Company", "Accepted talks")
    create_label = "Add a speaker"
    deletes_too = " and all their talks"

    def may_create(self) -> bool:
        return is_staff(self.request.user)

    def readable_queryset(self) -> QuerySet[Speaker]:
        """Speakers with a talk the user may read, and their own profile; staff see all."""
        speakers = readable_speakers(self.request.user, self.speaker)
        # With an aggregate Django ignores Meta.ordering: order explicitly, or pages overlap.
        return speakers.annotate(
            accepted_talks=Count("talks", filter=Q(talks__status=Talk.Status.ACCEPTED))
        ).order_by("name", "pk")

    def writable_queryset(self) -> QuerySet[Speaker]:
        if is_staff(self.request.user):
            return Speaker.objects.all()
        if self.role == Role.UPDATE and self.speaker is not None:
            return Speaker.objects.filter(pk=self.speaker.pk)
        return Speaker.objects.none()

    def may_change(self, obj: Model, role: Role = Role.UPDATE) -> bool:
        if is_staff(self.request.user):
            return True
        return role == Role.UPDATE and self.speaker is not None and obj.pk == self.speaker.pk

    def save_form(self, form: BaseModelForm[Any]) -> Speaker:
        speaker = form.save(commit=False)
        assert isinstance(speaker, Speaker)
        if self.role == Role.CREATE:
            speaker.slug = unique_slug(Speaker, speaker.name, fallback="speaker")
        speaker.save()
        return speaker

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.role == Role.DETAIL:
            context["talks"] = readable_talks(self.request.user, self.speaker).filter(
                speaker_id=self.object.pk
            )
        return context


@require_GET
def index(request: HtmxHttpRequest) -> TemplateResponse:
    """The room: what neapolitan gives, what this demo adds, who may do what."""
    context = {
        **demo_for(__name__).context(),
        "speaker": speaker_of(request.user),
        # The demos' own sign-in page: the project's LOGIN_URL may serve nothing.
        "login_url": accounts.sign_in_url(request.get_full_path()),
        "has_fetch_modes": compat.HAS_FETCH_MODES,
        "write_rate": WRITE_RATE,
        "max_talks": MAX_TALKS_PER_SPEAKER,
    }
    return TemplateResponse(request, f"{TEMPLATE_DIR}/index.html", context)
