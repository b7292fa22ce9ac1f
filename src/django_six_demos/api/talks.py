"""What the four APIs share: which talks a user reads and writes, the rules of every field and
parameter, the JSON's field order and datetime form, the write limits and how talks are saved.

Each flavour validates in its own library's idiom, with these constants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse

from django_six_demos import limits
from django_six_demos.conference import access
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.conference.slugs import unique_slug

if TYPE_CHECKING:
    from django_six_demos.conference.access import AnyUser

# The keys of a talk object, and of its speaker, in the order every flavour writes them.
FIELDS: Final = (
    "id",
    "title",
    "slug",
    "abstract",
    "track",
    "level",
    "status",
    "duration",
    "speaker",
    "created_at",
    "updated_at",
)
SPEAKER_FIELDS: Final = ("id", "name", "slug", "company")
# What a create sends (all of them) and an edit (any of them); nothing else is accepted.
INPUT_FIELDS: Final = ("title", "abstract", "track", "level", "duration")

# Field rules. Lengths count after surrounding whitespace is stripped, as Django's forms do.
TITLE_MIN_LENGTH: Final = 3
TITLE_MAX_LENGTH: Final = 200
ABSTRACT_MIN_LENGTH: Final = 20
ABSTRACT_MAX_LENGTH: Final = 5000
# Whole minutes, a JSON integer: true, 45.0 and "45" are the wrong type.
DURATION_MIN: Final = 5
DURATION_MAX: Final = 180
TRACKS: Final = tuple(Talk.Track.values)
LEVELS: Final = tuple(Talk.Level.values)
# Text a database can store: no NUL (PostgreSQL refuses it) and no lone surrogate (not UTF-8).
STORABLE_TEXT: Final = "^[^\x00\ud800-\udfff]*$"

# List parameters: ?track=&level=&page=&page_size=. An empty value (?track=) is a bad value,
# as DRF, Ninja and msgspec read it; unknown parameters are ignored.
LIST_PARAMETERS: Final = ("track", "level", "page", "page_size")
PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100

# Writes (creates and edits), per signed-in user and per address; a speaker's talks, any status.
WRITE_RATE: Final = limits.Rate(per_user="10/m", per_ip="100/h")
WRITE_GROUP: Final = "api-write"
MAX_TALKS_PER_SPEAKER: Final = 10

# json.dumps arguments for the compact, unescaped UTF-8 every flavour writes.
JSON_DUMPS: Final[dict[str, Any]] = {"separators": (",", ":"), "ensure_ascii": False}

# The messages every flavour answers with.
NOT_FOUND: Final = "No such talk, or not one you may read."
SIGN_IN: Final = "Sign in to propose or edit talks."
NOT_A_SPEAKER: Final = "Only speakers may propose talks: this account has no speaker profile."
NOT_YOURS: Final = "You may edit only your own talks."
CAP: Final = f"A speaker may have at most {MAX_TALKS_PER_SPEAKER} talks."
CONFLICT: Final = "Someone saved at the same moment: please send it again."
NOT_JSON: Final = "The body is not JSON."
NOT_AN_OBJECT: Final = "The body must be a JSON object."
TOO_BIG: Final = "The body is too large."
INVALID: Final = "Some values are not valid: see errors."
UNKNOWN_FIELD: Final = "Unknown field."
NO_SUCH_PAGE: Final = "No such page."
TOO_MANY: Final = "Too many changes in a short time."


def readable(user: AnyUser) -> QuerySet[Talk]:
    """The talks ``user`` may read, with their speaker, in list order (title, then id)."""
    return access.readable_talks(user).select_related("speaker").order_by("title", "pk")


def may_change(user: AnyUser, talk: Talk) -> bool:
    """Whether ``user`` may edit ``talk`` (loaded with its speaker): its speaker, or staff."""
    return access.may_change(user, talk)


def speaker_of(user: AnyUser) -> Speaker | None:
    return access.speaker_of(user)


def timestamp(value: dt.datetime) -> str:
    """A datetime as msgspec writes it natively: UTC, "Z", microseconds only when not zero."""
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def strip(text: Any) -> Any:
    """Text without surrounding whitespace, as Django's forms and DRF clean it (``str.strip``).

    Pydantic's ``strip_whitespace`` keeps U+001C to U+001F, which ``str.strip`` removes.
    """
    return text.strip() if isinstance(text, str) else text


def write_wait(request: HttpRequest) -> int | None:
    """Count one write per user and per address; past either limit, the seconds to wait."""
    waits = [
        wait
        for key, rate in (("user", WRITE_RATE.per_user), ("ip", WRITE_RATE.per_ip))
        if (wait := limits.limited_for(request, WRITE_GROUP, key, rate)) is not None
    ]
    return max(waits, default=None)


def too_many(seconds: int) -> str:
    return f"{TOO_MANY} Try again in {seconds} s."


class Refused(Exception):
    """A valid write the shared rules refuse: 403 (the cap) or 409 (a slug race)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def create(speaker: Speaker, fields: Mapping[str, Any]) -> Talk:
    """Save a validated talk for ``speaker``: submitted, with a unique slug, all or nothing."""
    try:
        with transaction.atomic():
            # Counted in the saving transaction: on SQLite (IMMEDIATE) two at once cannot pass.
            if Talk.objects.filter(speaker=speaker).count() >= MAX_TALKS_PER_SPEAKER:
                raise Refused(403, CAP)
            talk = Talk(speaker=speaker, status=Talk.Status.SUBMITTED, **fields)
            talk.slug = unique_slug(Talk, talk.title, fallback="talk")
            talk.save()
    except IntegrityError:
        # A race: another request took the same slug after unique_slug() looked.
        raise Refused(409, CONFLICT) from None
    return talk


def update(talk: Talk, fields: Mapping[str, Any]) -> Talk:
    """Save validated changes to ``talk``; its slug stays, so links to it keep working."""
    for name, value in fields.items():
        setattr(talk, name, value)
    with transaction.atomic():
        talk.save()
    return talk


def error(status: int, detail: str, errors: Mapping[str, Any] | None = None) -> JsonResponse:
    """The error body of every flavour: ``{"detail": …}``, and for a 422 ``"errors"`` by field."""
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JsonResponse(body, status=status, json_dumps_params=JSON_DUMPS)


def throttled(seconds: int) -> JsonResponse:
    """A 429 with the seconds to wait, in the body and in Retry-After."""
    response = error(429, too_many(seconds))
    response["Retry-After"] = str(seconds)
    return response
