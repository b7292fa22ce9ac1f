"""Plain Django: function views answering ``JsonResponse``, forms checking the JSON object and
the query string, ``Paginator`` for pages. No package at all.

https://docs.djangoproject.com/en/6.0/ref/request-response/#jsonresponse-objects
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import BadRequest, RequestDataTooBig, ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.core.validators import RegexValidator
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_http_methods

from django_six_demos.api import talks
from django_six_demos.conference.models import Talk


class JSONText(forms.CharField):
    """A JSON string: ``CharField`` would store 12345 or ["a"] as their text."""

    default_validators = [RegexValidator(talks.STORABLE_TEXT, "Text a database cannot store.")]

    def to_python(self, value: Any) -> str | None:
        if value not in self.empty_values and not isinstance(value, str):
            raise ValidationError("Expected a string.", code="invalid")
        return super().to_python(value)


class JSONInteger(forms.IntegerField):
    """A JSON integer: ``IntegerField`` also takes "45" and 45.0."""

    def to_python(self, value: Any) -> int | None:
        if value not in self.empty_values and (
            isinstance(value, bool) or not isinstance(value, int)
        ):
            raise ValidationError("Expected an integer.", code="invalid")
        return super().to_python(value)


class TalkForm(forms.Form):
    title = JSONText(min_length=talks.TITLE_MIN_LENGTH, max_length=talks.TITLE_MAX_LENGTH)
    abstract = JSONText(min_length=talks.ABSTRACT_MIN_LENGTH, max_length=talks.ABSTRACT_MAX_LENGTH)
    track = forms.ChoiceField(choices=Talk.Track.choices)
    level = forms.ChoiceField(choices=Talk.Level.choices)
    duration = JSONInteger(min_value=talks.DURATION_MIN, max_value=talks.DURATION_MAX)


class ListParameters(forms.Form):
    track = forms.ChoiceField(choices=Talk.Track.choices, required=False)
    level = forms.ChoiceField(choices=Talk.Level.choices, required=False)
    page = forms.IntegerField(min_value=1, required=False)
    page_size = forms.IntegerField(min_value=1, max_value=talks.MAX_PAGE_SIZE, required=False)

    def clean(self) -> dict[str, Any]:
        # A form reads ?page= as no page; the other three flavours as a bad one.
        for name in self.fields:
            if self.data.get(name) == "":
                self.add_error(name, "Give a value, or leave the parameter out.")
        return super().clean() or {}


def as_dict(talk: Talk) -> dict[str, Any]:
    speaker = talk.speaker
    return {
        "id": talk.pk,
        "title": talk.title,
        "slug": talk.slug,
        "abstract": talk.abstract,
        "track": talk.track,
        "level": talk.level,
        "status": talk.status,
        "duration": talk.duration,
        "speaker": {
            "id": speaker.pk,
            "name": speaker.name,
            "slug": speaker.slug,
            "company": speaker.company,
        },
        "created_at": talks.timestamp(talk.created_at),
        "updated_at": talks.timestamp(talk.updated_at),
    }


def encode_talks(talk_list: Sequence[Talk]) -> bytes:
    return json.dumps([as_dict(talk) for talk in talk_list], **talks.JSON_DUMPS).encode()


def answer(data: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params=talks.JSON_DUMPS)


def not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")  # json.loads() takes NaN and Infinity


def json_object(request: HttpRequest) -> dict[str, Any]:
    """The body as a JSON object; ``BadRequest`` saying why it is not one."""
    try:
        data = json.loads(request.body, parse_constant=not_json)
    except RequestDataTooBig:
        raise BadRequest(talks.TOO_BIG) from None
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        raise BadRequest(talks.NOT_JSON) from None
    if not isinstance(data, dict):
        raise BadRequest(talks.NOT_AN_OBJECT)
    return data


def cleaned(request: HttpRequest, *, partial: bool = False) -> dict[str, Any]:
    """The body's fields, as ``TalkForm`` cleans them; an edit (``partial``) sends only some."""
    data = json_object(request)
    form = TalkForm(data)
    if partial:
        for name in form.fields.keys() - data.keys():
            del form.fields[name]
    unknown = {name: [talks.UNKNOWN_FIELD] for name in data.keys() - form.fields.keys()}
    if not form.is_valid() or unknown:
        raise ValidationError({**unknown, **form.errors})
    return form.cleaned_data


@require_http_methods(["GET", "HEAD", "POST"])
def talk_list(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        return create(request)
    params = ListParameters(request.GET)
    if not params.is_valid():
        return talks.error(422, talks.INVALID, params.errors)
    found = talks.readable(request.user)
    for name in ("track", "level"):
        if value := params.cleaned_data[name]:
            found = found.filter(**{name: value})
    paginator = Paginator(found, params.cleaned_data["page_size"] or talks.PAGE_SIZE)
    try:
        page = paginator.page(params.cleaned_data["page"] or 1)
    except EmptyPage:
        return talks.error(404, talks.NO_SUCH_PAGE)
    return answer(
        {
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "results": [as_dict(talk) for talk in page],
        }
    )


def create(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return talks.error(403, talks.SIGN_IN)
    speaker = talks.speaker_of(request.user)
    if speaker is None:
        return talks.error(403, talks.NOT_A_SPEAKER)
    try:
        fields = cleaned(request)
    except BadRequest as error:
        return talks.error(400, str(error))
    except ValidationError as error:
        return talks.error(422, talks.INVALID, error.message_dict)
    if wait := talks.write_wait(request):
        return talks.throttled(wait)
    try:
        talk = talks.create(speaker, fields)
    except talks.Refused as refusal:
        return talks.error(refusal.status, refusal.message)
    return answer(as_dict(talk), status=201)


@require_http_methods(["GET", "HEAD", "PATCH"])
def talk_detail(request: HttpRequest, pk: int) -> JsonResponse:
    if request.method == "PATCH" and not request.user.is_authenticated:
        return talks.error(403, talks.SIGN_IN)
    talk = talks.readable(request.user).filter(pk=pk).first()
    if talk is None:
        return talks.error(404, talks.NOT_FOUND)
    if request.method == "PATCH":
        return edit(request, talk)
    return answer(as_dict(talk))


def edit(request: HttpRequest, talk: Talk) -> JsonResponse:
    if not talks.may_change(request.user, talk):
        return talks.error(403, talks.NOT_YOURS)
    try:
        fields = cleaned(request, partial=True)
    except BadRequest as error:
        return talks.error(400, str(error))
    except ValidationError as error:
        return talks.error(422, talks.INVALID, error.message_dict)
    if wait := talks.write_wait(request):
        return talks.throttled(wait)
    return answer(as_dict(talks.update(talk, fields)))
