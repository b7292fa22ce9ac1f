"""Django Ninja: type hints are the validation, the serializer and the OpenAPI schema.

Pydantic checks the query, the body and each talk on the way out; ``django_auth`` checks the
session and CSRF token of writes. Swagger UI is served at ``ninja/docs`` (see docs.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import BadRequest, RequestDataTooBig
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, ModelSchema, NinjaAPI, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import BaseRenderer
from ninja.security import django_auth
from pydantic import AfterValidator, BeforeValidator, ConfigDict, StringConstraints, field_validator
from pydantic_core import PydanticCustomError, to_json

from django_six_demos.api import docs, talks
from django_six_demos.conference.models import Speaker, Talk


def storable(text: str) -> str:
    # A pattern would print the NUL in its message; pydantic refuses lone surrogates itself.
    if "\x00" in text:
        raise PydanticCustomError("storable", "Text a database cannot store.")
    return text


def stripped(value: Any) -> Any:
    # str.strip(), as Django's forms: pydantic's strip_whitespace keeps U+001C to U+001F.
    return value.strip() if isinstance(value, str) else value


# Validators given last run first: the lengths count the stripped text.
Title = Annotated[
    str,
    StringConstraints(min_length=talks.TITLE_MIN_LENGTH, max_length=talks.TITLE_MAX_LENGTH),
    AfterValidator(storable),
    BeforeValidator(stripped),
]
Abstract = Annotated[
    str,
    StringConstraints(min_length=talks.ABSTRACT_MIN_LENGTH, max_length=talks.ABSTRACT_MAX_LENGTH),
    AfterValidator(storable),
    BeforeValidator(stripped),
]
# strict: true, 45.0 and "45" are refused, not converted.
Duration = Annotated[int, Field(strict=True, ge=talks.DURATION_MIN, le=talks.DURATION_MAX)]


class TalkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: Title
    abstract: Abstract
    track: Talk.Track
    level: Talk.Level
    duration: Duration


class TalkEdit(Schema):
    """Any of ``TalkIn``'s fields; one left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    abstract: Abstract | None = None
    track: Talk.Track | None = None
    level: Talk.Level | None = None
    duration: Duration | None = None

    @field_validator("*")
    @classmethod
    def not_null(cls, value: object) -> object:  # Defaults are not validated: a null sent is.
        if value is None:
            raise PydanticCustomError("not_null", "Leave the field out to keep it as it is.")
        return value


class SpeakerOut(ModelSchema):
    class Meta:
        model = Speaker
        fields = list(talks.SPEAKER_FIELDS)


class TalkOut(Schema):  # A ModelSchema would put the nested speaker first.
    id: int
    title: str
    slug: str
    abstract: str
    track: Talk.Track
    level: Talk.Level
    status: Talk.Status
    duration: int
    speaker: SpeakerOut
    created_at: datetime
    updated_at: datetime


class ListQuery(Schema):
    track: Talk.Track | None = None
    level: Talk.Level | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(talks.PAGE_SIZE, ge=1, le=talks.MAX_PAGE_SIZE)


class TalkPage(Schema):
    count: int
    page: int
    pages: int
    results: list[TalkOut]


def not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")  # json.loads() takes NaN and Infinity


class ObjectParser(Parser):
    """A JSON object, or a 400 saying why not (Ninja would read ``[]`` as a 422)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json.loads(request.body, parse_constant=not_json)
        except (ValueError, RecursionError):  # RecursionError: nested too deep
            raise BadRequest(talks.NOT_JSON) from None
        if not isinstance(data, dict):
            raise BadRequest(talks.NOT_AN_OBJECT)
        return data


class CompactJSON(BaseRenderer):
    """pydantic's encoder: compact UTF-8, datetimes as msgspec writes them (Ninja's default,
    Django's JSON encoder, cuts them to milliseconds)."""

    media_type = "application/json"

    def render(self, request: HttpRequest | None, data: Any, *, response_status: int) -> bytes:
        return to_json(data)


renderer = CompactJSON()
api = NinjaAPI(
    title="Talks API",
    urls_namespace="django_six_demos_api:ninja",  # Ninja reverses its docs URLs in it
    renderer=renderer,
    parser=ObjectParser(),
    docs=docs.CspSwagger(),
    docs_decorator=docs.docs_policy,
)
router = Router()


@router.get("/talks/", response=TalkPage, url_name="talks")
def list_talks(request: HttpRequest, query: Query[ListQuery]) -> dict[str, Any]:
    found = talks.readable(request.user)
    for name in ("track", "level"):
        if value := getattr(query, name):
            found = found.filter(**{name: value})
    paginator = Paginator(found, query.page_size)
    try:
        page = paginator.page(query.page)
    except EmptyPage:
        raise Http404(talks.NO_SUCH_PAGE) from None
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "results": page,
    }


@router.post("/talks/", response={201: TalkOut}, auth=django_auth)
def create_talk(request: HttpRequest, payload: TalkIn) -> Talk | HttpResponse:
    speaker = talks.speaker_of(request.user)
    if speaker is None:
        return error(request, 403, talks.NOT_A_SPEAKER)
    if wait := talks.write_wait(request):
        return talks.throttled(wait)
    return talks.create(speaker, payload.model_dump())


@router.get("/talks/{int:pk}/", response=TalkOut, url_name="talk")
def talk(request: HttpRequest, pk: int) -> Talk:
    return talks.readable(request.user).get(pk=pk)


@router.patch("/talks/{int:pk}/", response=TalkOut, auth=django_auth)
def edit_talk(request: HttpRequest, pk: int, payload: TalkEdit) -> Talk | HttpResponse:
    talk = talks.readable(request.user).get(pk=pk)
    if not talks.may_change(request.user, talk):
        return error(request, 403, talks.NOT_YOURS)
    if wait := talks.write_wait(request):
        return talks.throttled(wait)
    return talks.update(talk, payload.model_dump(exclude_unset=True))


api.add_router("/", router)


def encode_talks(talk_list: Sequence[Talk]) -> bytes:
    """What a response does with each talk: validate through the schema, dump, render."""
    data = [TalkOut.model_validate(talk).model_dump() for talk in talk_list]
    return renderer.render(None, data, response_status=200)


# -- Errors: every flavour's bodies, {"detail"} and for a 422 {"detail", "errors"} ------------


def error(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if any(problem["loc"] == ("body", "payload") for problem in exc.errors):
        return error(request, 400, talks.NOT_JSON)  # An empty body: Ninja skips the parser.
    errors: dict[str, list[str]] = {}
    for problem in exc.errors:
        *_, name = problem["loc"]  # ("query", "page"), ("body", "payload", "title")
        message = talks.UNKNOWN_FIELD if problem["type"] == "extra_forbidden" else problem["msg"]
        errors.setdefault(str(name), []).append(message)
    return error(request, 422, talks.INVALID, errors=errors)


@api.exception_handler(HttpError)
def refused_by_ninja(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja words every body its parser refuses "Cannot parse request body": say why.
    reason = exc.__cause__ if isinstance(exc.__cause__, BadRequest) else exc
    return error(request, exc.status_code, str(reason))


@api.exception_handler(AuthenticationError)
def anonymous(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 403, talks.SIGN_IN)  # a session, not credentials: 403, not 401


@api.exception_handler(Talk.DoesNotExist)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error(request, 404, talks.NOT_FOUND)


@api.exception_handler(Http404)
def no_such_page(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, str(exc))


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error(request, 400, talks.TOO_BIG)


@api.exception_handler(talks.Refused)
def refused(request: HttpRequest, exc: talks.Refused) -> HttpResponse:
    return error(request, exc.status, exc.message)
