"""Who may read and change which talks: one rule for every room.

Anonymous visitors read accepted talks; a speaker also their own; staff everything. Rooms list,
link and open talks only from here, so a talk listed in one room opens in all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet

from django_six_demos.conference.models import Speaker, Talk

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


def speaker_of(user: AnyUser) -> Speaker | None:
    """Return the Speaker row linked to ``user``, if any (one query)."""
    if not user.is_authenticated:
        return None
    return Speaker.objects.filter(user_id=user.pk).first()


def is_staff(user: AnyUser) -> bool:
    return bool(user.is_authenticated and getattr(user, "is_staff", False))


def readable_talks(user: AnyUser, speaker: Speaker | None = None) -> QuerySet[Talk]:
    """Accepted talks for everyone, plus a speaker's own; staff read every talk.

    ``speaker`` is ``speaker_of(user)`` when the caller has it already.
    """
    if is_staff(user):
        return Talk.objects.all()
    speaker = speaker if speaker is not None else speaker_of(user)
    if speaker is not None:
        return Talk.objects.filter(Q(status=Talk.Status.ACCEPTED) | Q(speaker=speaker))
    return public_talks()


def public_talks() -> QuerySet[Talk]:
    """The talks every visitor may read: what a room shows when it acts for no one in particular."""
    return Talk.objects.filter(status=Talk.Status.ACCEPTED)


def writable_talks(user: AnyUser, speaker: Speaker | None = None) -> QuerySet[Talk]:
    """A speaker's own talks; staff change every talk."""
    if is_staff(user):
        return Talk.objects.all()
    speaker = speaker if speaker is not None else speaker_of(user)
    if speaker is not None:
        return Talk.objects.filter(speaker=speaker)
    return Talk.objects.none()


def readable_speakers(user: AnyUser, speaker: Speaker | None = None) -> QuerySet[Speaker]:
    """Speakers with a talk ``user`` may read, and their own profile; staff see all.

    A speaker whose talks are all unpublished is not announced: that would say who submitted.
    """
    if is_staff(user):
        return Speaker.objects.all()
    speaker = speaker if speaker is not None else speaker_of(user)
    condition = Q(Exists(readable_talks(user, speaker).filter(speaker=OuterRef("pk"))))
    if speaker is not None:
        condition |= Q(pk=speaker.pk)
    return Speaker.objects.filter(condition)


def may_change(user: AnyUser, talk: Talk) -> bool:
    """The question ``writable_talks`` answers, for a talk already loaded."""
    return is_staff(user) or (user.is_authenticated and talk.speaker.user_id == user.pk)
