"""msgspec: typed ``Struct``s, checked and encoded by ``msgspec.json``, in plain Django views.

The structs say the JSON's shape and its constraints; the views are Django's.
https://jcristharif.com/msgspec/
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

import msgspec
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods
from msgspec import UNSET, Meta, UnsetType

from django_six_demos.api import talks
from django_six_demos.conference.models import Talk

Title = Annotated[
    str,
    Meta(
        min_length=talks.TITLE_MIN_LENGTH,
        max_length=talks.TITLE_MAX_LENGTH,
        pattern=talks.STORABLE_TEXT,
    ),
]
Abstract = Annotated[
    str,
    Meta(
        min_length=talks.ABSTRACT_MIN_LENGTH,
        max_length=talks.ABSTRACT_MAX_LENGTH,
        pattern=talks.STORABLE_TEXT,
    ),
]
Duration = Annotated[int, Meta(ge=talks.DURATION_MIN, le=talks.DURATION_MAX)]


class SpeakerOut(msgspec.Struct):
    id: int
    name: str
    slug: str
    company: str


class TalkOut(msgspec.Struct):
    id: int
    title: str
    slug: str
    abstract: str
    track: str
    level: str
    status: str
    duration: int
    speaker: SpeakerOut
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, talk: Talk) -> TalkOut:
        speaker = talk.speaker
        return cls(
            id=talk.pk,
            title=talk.title,
            slug=talk.slug,
            abstract=talk.abstract,
            track=talk.track,
            level=talk.level,
            status=talk.status,
            duration=talk.duration,
            speaker=SpeakerOut(speaker.pk, speaker.name, speaker.slug, speaker.company),
            # msgspec writes the time zone it is given: UTC, as "Z".
            created_at=talk.created_at.astimezone(dt.timezone.utc),
            updated_at=talk.updated_at.astimezone(dt.timezone.utc),
        )


class TalkPage(msgspec.Struct):
    count: int
    page: int
    pages: int
    results: list[TalkOut]


class TalkIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    abstract: Abstract
    track: Talk.Track
    level: Talk.Level
    duration: Duration


class TalkEdit(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | UnsetType = UNSET
    abstract: Abstract | UnsetType = UNSET
    track: Talk.Track | UnsetType = UNSET
    level: Talk.Level | UnsetType = UNSET
    duration: Duration | UnsetType = UNSET


class ListParameters(msgspec.Struct):
    track: Talk.Track | UnsetType = UNSET
    level: Talk.Level | UnsetType = UNSET
    page: Annotated[int, Meta(ge=1)] = 1
    page_size: Annotated[int, Meta(ge=1, le=talks.MAX_PAGE_SIZE)] = talks.PAGE_SIZE


StructT = TypeVar("StructT", bound=msgspec.Struct)

encoder = msgspec.json.Encoder()
decoder = msgspec.json.Decoder()


def encode_talks(talk_list: Sequence[Talk]) -> bytes:
    return encoder.encode([TalkOut.of(talk) for talk in talk_list])


def answer(data: msgspec.Struct, status: int = 200) -> HttpResponse:
    return HttpResponse(encoder.encode(data), status=status, content_type="application/json")


# Where msgspec's message names the field: "… - at `$.duration`", "… field `title`".
FIELD = re.compile(r"(?: - at `\$\.(\w+)`| field `(.*)`)$")


def invalid(error: msgspec.ValidationError) -> JsonResponse:
    """A 422 naming the field; msgspec stops at the first error."""
    message = str(error)
    match = FIELD.search(message)
    field = (match[1] or match[2]) if match else "__all__"
    return talks.error(422, talks.INVALID, {field: [message]})


def changes(request: HttpRequest, struct: type[StructT]) -> StructT | JsonResponse:
    """The body as ``struct``, or the answer saying why it is not one (400 or 422)."""
    try:
        data = decoder.decode(request.body)
    except RequestDataTooBig:
        return talks.error(400, talks.TOO_BIG)
    except (msgspec.DecodeError, RecursionError):  # RecursionError: nested too deep
        return talks.error(400, talks.NOT_JSON)
    if not isinstance(data, dict):
        return talks.error(400, talks.NOT_AN_OBJECT)
    # msgspec checks values, it does not clean them: strip text as the other three do.
    for name in ("title", "abstract"):
        if name in data:
            data[name] = talks.strip(data[name])
    try:
        return msgspec.convert(data, struct)
    except msgspec.ValidationError as error:
        return invalid(error)


def fields(struct: msgspec.Struct) -> dict[str, Any]:
    values = msgspec.structs.asdict(struct)
    return {name: value for name, value in values.items() if value is not UNSET}


@require_http_methods(["GET", "HEAD", "POST"])
def talk_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return create(request)
    try:
        # Query strings are text: strict=False reads "2" as 2.
        params = msgspec.convert(request.GET.dict(), ListParameters, strict=False)
    except msgspec.ValidationError as error:
        return invalid(error)
    found = talks.readable(request.user)
    if params.track is not UNSET:
        found = found.filter(track=params.track)
    if params.level is not UNSET:
        found = found.filter(level=params.level)
    paginator = Paginator(found, params.page_size)
    try:
        page = paginator.page(params.page)
    except EmptyPage:
        return talks.error(404, talks.NO_SUCH_PAGE)
    results = [TalkOut.of(talk) for talk in page]
    return answer(TalkPage(paginator.count, page.number, paginator.num_pages, results))


def create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return talks.error(403, talks.SIGN_IN)
    speaker = talks.speaker_of(request.user)
    if speaker is None:
        return talks.error(403, talks.NOT_A_SPEAKER)
    talk_in = changes(request, TalkIn)
    if isinstance(talk_in, JsonResponse):
        return talk_in
    if wait := talks.write_wait(request):
        return talks.throttled(wait)
    try:
        talk = talks.create(speaker, fields(talk_in))
    except talks.Refused as refusal:
        return talks.error(refusal.status, refusal.message)
    return answer(TalkOut.of(talk), status=201)


@require_http_methods(["GET", "HEAD", "PATCH"])
def talk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "PATCH" and not request.user.is_authenticated:
        return talks.error(403, talks.SIGN_IN)
    talk = talks.readable(request.user).filter(pk=pk).first()
    if talk is None:
        return talks.error(404, talks.NOT_FOUND)
    if request.method == "PATCH":
        return edit(request, talk)
    return answer(TalkOut.of(talk))


def edit(request: HttpRequest, talk: Talk) -> HttpResponse:
    if not talks.may_change(request.user, talk):
        return talks.error(403, talks.NOT_YOURS)
    talk_edit = changes(request, TalkEdit)
    if isinstance(talk_edit, JsonResponse):
        return talk_edit
    if wait := talks.write_wait(request):
        return talks.throttled(wait)
    return answer(TalkOut.of(talks.update(talk, fields(talk_edit))))
