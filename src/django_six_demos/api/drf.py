"""Django REST framework: a ``ModelSerializer`` and two generic views.

Every policy is set on the views, so a project's own ``REST_FRAMEWORK`` settings change
nothing here. https://www.django-rest-framework.org/api-guide/generic-views/
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from rest_framework import (
    ISO_8601,
    exceptions,
    generics,
    negotiation,
    pagination,
    parsers,
    permissions,
    renderers,
    serializers,
    views,
)
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response

from django_six_demos.api import talks
from django_six_demos.conference.models import Speaker, Talk


class JSONStringField(serializers.CharField):
    """A JSON string: ``CharField`` also takes numbers (it reads form posts too)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class JSONIntegerField(serializers.IntegerField):
    """A JSON integer: ``IntegerField`` also takes "45" and 45.0."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class SpeakerSerializer(serializers.ModelSerializer[Speaker]):
    class Meta:
        model = Speaker
        fields = talks.SPEAKER_FIELDS


class TalkSerializer(serializers.ModelSerializer[Talk]):
    title = JSONStringField(min_length=talks.TITLE_MIN_LENGTH, max_length=talks.TITLE_MAX_LENGTH)
    abstract = JSONStringField(
        min_length=talks.ABSTRACT_MIN_LENGTH, max_length=talks.ABSTRACT_MAX_LENGTH
    )
    duration = JSONIntegerField(min_value=talks.DURATION_MIN, max_value=talks.DURATION_MAX)
    speaker = SpeakerSerializer(read_only=True)
    # In UTC and ISO 8601 whatever TIME_ZONE and REST_FRAMEWORK's DATETIME_FORMAT say.
    created_at = serializers.DateTimeField(
        read_only=True, format=ISO_8601, default_timezone=dt.timezone.utc
    )
    updated_at = serializers.DateTimeField(
        read_only=True, format=ISO_8601, default_timezone=dt.timezone.utc
    )

    class Meta:
        model = Talk
        fields = talks.FIELDS
        read_only_fields = ("slug", "status")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # DRF ignores fields it does not know, and read-only ones: refuse them instead.
        writable = {name for name, field in self.fields.items() if not field.read_only}
        unknown = sorted(set(self.initial_data) - writable)
        if unknown:
            raise serializers.ValidationError({name: [talks.UNKNOWN_FIELD] for name in unknown})
        return attrs


class ListParameters(serializers.Serializer[None]):
    track = serializers.ChoiceField(Talk.Track.choices, required=False)
    level = serializers.ChoiceField(Talk.Level.choices, required=False)
    page = serializers.IntegerField(min_value=1, required=False)
    page_size = serializers.IntegerField(min_value=1, max_value=talks.MAX_PAGE_SIZE, required=False)


class TalkPages(pagination.PageNumberPagination):
    page_size = talks.PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = talks.MAX_PAGE_SIZE

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "page": self.page.number,
                "pages": paginator.num_pages,
                "results": data,
            }
        )


class CompactJSON(renderers.JSONRenderer):
    # Fixed here, not by REST_FRAMEWORK's UNICODE_JSON, COMPACT_JSON and STRICT_JSON.
    ensure_ascii = False
    compact = True
    strict = True


class JSONObjectParser(parsers.JSONParser):
    """A JSON object or a 400, whatever REST_FRAMEWORK's STRICT_JSON says (NaN is not JSON)."""

    strict = True

    def parse(
        self, stream: Any, media_type: Any = None, parser_context: Any = None
    ) -> dict[str, Any]:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # nested too deep
            raise exceptions.ParseError(talks.NOT_JSON) from None
        if not isinstance(data, dict):
            raise exceptions.ParseError(talks.NOT_AN_OBJECT)
        return data


class JSONOnly(negotiation.BaseContentNegotiation):
    """JSON whatever Accept, ?format= or Content-Type say, as the other three answer.

    DRF's own example: https://www.django-rest-framework.org/api-guide/content-negotiation/
    """

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0]

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)


def json_errors(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, with invalid values as 422 and their messages under "errors"."""
    if isinstance(exc, RequestDataTooBig):  # raised as DRF reads request.body, before parsing
        exc = exceptions.ParseError(talks.TOO_BIG)
    response = views.exception_handler(exc, context)
    if response is not None and isinstance(exc, serializers.ValidationError):
        # DRF answers 400; the other three 422: the JSON is well formed, some values are not.
        response.status_code = 422
        response.data = {"detail": talks.INVALID, "errors": response.data}
    return response


class Refused(exceptions.APIException):
    def __init__(self, refusal: talks.Refused) -> None:
        super().__init__(refusal.message)
        self.status_code = refusal.status


class SpeakersPropose(permissions.BasePermission):
    message = talks.NOT_A_SPEAKER

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method != "POST" or talks.speaker_of(request.user) is not None


class SpeakersEditTheirOwn(permissions.BasePermission):
    message = talks.NOT_YOURS

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return request.method in permissions.SAFE_METHODS or talks.may_change(request.user, obj)


class TalkAPIView(generics.GenericAPIView[Talk]):
    serializer_class = TalkSerializer
    authentication_classes = [SessionAuthentication]  # a session, and CSRF for writes
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    renderer_classes = [CompactJSON]
    parser_classes = [JSONObjectParser]
    content_negotiation_class = JSONOnly
    throttle_classes = []  # writes count against the site's limits instead
    filter_backends = []
    pagination_class = TalkPages

    def get_queryset(self) -> QuerySet[Talk]:
        return talks.readable(self.request.user)

    def get_exception_handler(self) -> Any:
        return json_errors

    def limit_writes(self) -> None:
        if wait := talks.write_wait(self.request._request):
            raise exceptions.Throttled(wait, detail=talks.TOO_MANY)  # adds the wait


class TalkList(TalkAPIView, generics.ListCreateAPIView[Talk]):
    http_method_names = ["get", "head", "post"]
    permission_classes = [*TalkAPIView.permission_classes, SpeakersPropose]

    def get_queryset(self) -> QuerySet[Talk]:
        # A dict: from a QueryDict, DRF reads an empty ?page= as no page at all.
        params = ListParameters(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        filters = {name: params.validated_data.get(name) for name in ("track", "level")}
        return super().get_queryset().filter(**{k: v for k, v in filters.items() if v})

    def perform_create(self, serializer: serializers.BaseSerializer[Talk]) -> None:
        self.limit_writes()
        speaker = talks.speaker_of(self.request.user)
        assert speaker is not None  # SpeakersPropose
        try:
            serializer.instance = talks.create(speaker, serializer.validated_data)
        except talks.Refused as refusal:
            raise Refused(refusal) from None


class TalkDetail(TalkAPIView, generics.RetrieveUpdateAPIView[Talk]):
    http_method_names = ["get", "head", "patch"]
    permission_classes = [*TalkAPIView.permission_classes, SpeakersEditTheirOwn]

    def perform_update(self, serializer: serializers.BaseSerializer[Talk]) -> None:
        self.limit_writes()
        assert serializer.instance is not None
        serializer.instance = talks.update(serializer.instance, serializer.validated_data)


def encode_talks(talk_list: Sequence[Talk]) -> bytes:
    return CompactJSON().render(TalkSerializer(talk_list, many=True).data)


talk_list = TalkList.as_view()
talk_detail = TalkDetail.as_view()
