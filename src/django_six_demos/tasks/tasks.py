"""The tasks room's ``@task`` functions, run by a worker.
https://docs.djangoproject.com/en/6.0/topics/tasks/

Module-level functions (the worker imports them by path) taking only JSON-able arguments.
"""

from __future__ import annotations

import csv
import io
import itertools
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from django.core.mail import EmailMessage
from django.utils import timezone

from django_six_demos import compat
from django_six_demos.compat import task
from django_six_demos.conference.models import Speaker, Talk
from django_six_demos.tasks.caps import MAX_TOTAL_DELAY
from django_six_demos.tasks.models import ScheduleExport
from django_six_demos.tasks.reaper import idempotent

if TYPE_CHECKING:
    from django_six_demos.compat import TaskContext

# For a speaker without a user's address (RFC 2606): demo mail never reaches a real person.
DERIVED_EMAIL_DOMAIN: Final = "speakers.example"

PROGRESS_EVERY: Final = 10  # talks between two progress writes
MAX_DELAY_MS: Final = 1000  # the slow export's pause per talk, at most


def speaker_email(speaker: Speaker) -> str:
    """Return the address to write to ``speaker`` at (see DERIVED_EMAIL_DOMAIN)."""
    if speaker.user is not None and speaker.user.email:
        return speaker.user.email
    return f"{speaker.slug}@{DERIVED_EMAIL_DOMAIN}"


def _acceptance_message(speaker: Speaker, talks: list[Talk], grant: str | None) -> EmailMessage:
    count = len(talks)
    lines = [
        f"Dear {speaker.name},",
        "",
        "Good news: the programme committee accepted "
        + ("your talk:" if count == 1 else f"your {count} talks:"),
        "",
        *(f"  - {t.title} ({t.get_track_display()}, {t.duration} minutes)" for t in talks),
        "",
    ]
    if grant is not None:
        lines += [f"You will receive a travel grant of EUR {grant}.", ""]
    lines += ["See you at the conference!", "The programme committee"]
    # Arguments after the first four by keyword: Django 6.0 deprecated positional ones.
    return EmailMessage(
        subject="Your talk is accepted" if count == 1 else f"Your {count} talks are accepted",
        body="\n".join(lines),
        to=[speaker_email(speaker)],
    )


@task(queue_name="emails")
def send_acceptance_emails(
    *, travel_grant: str | None = None, speaker_id: int | None = None
) -> dict[str, Any]:
    """Email every speaker with an accepted talk, or only ``speaker_id``; return what was sent.

    ``travel_grant`` is a decimal *string*: ``enqueue()`` refuses a ``Decimal`` (not JSON).
    """
    grant = None if travel_grant is None else f"{Decimal(travel_grant):.2f}"
    talks = Talk.objects.filter(status=Talk.Status.ACCEPTED).select_related("speaker__user")
    if speaker_id is not None:
        talks = talks.filter(speaker_id=speaker_id)
    talks = talks.order_by("speaker__name", "speaker__pk", "title", "pk")
    by_speaker = [(s, list(group)) for s, group in itertools.groupby(talks, lambda t: t.speaker)]
    messages = [_acceptance_message(speaker, group, grant) for speaker, group in by_speaker]
    # One connection for every message (one SMTP session, not one per email).
    sent = compat.mail_connection().send_messages(messages) if messages else 0
    recipients = [address for message in messages for address in message.to]
    return {
        "emails": sent,
        "talks": sum(len(group) for _, group in by_speaker),
        "derived_addresses": sum(a.endswith(f"@{DERIVED_EMAIL_DOMAIN}") for a in recipients),
        "travel_grant": grant,
    }


# Talks have no times: the export lays them out back to back, one room per track.
CONFERENCE_START: Final = datetime(2026, 10, 5, 9, 0, tzinfo=dt_timezone.utc)
DAY_END: Final = CONFERENCE_START.replace(hour=17, minute=30).timetz()
CHANGEOVER: Final = timedelta(minutes=10)


class Slot(NamedTuple):
    talk: Talk
    room: str
    start: datetime
    end: datetime


def accepted_talks() -> list[Talk]:
    """Return the accepted talks, with their speakers, in schedule order."""
    talks = Talk.objects.filter(status=Talk.Status.ACCEPTED).select_related("speaker")
    return list(talks.order_by("track", "title", "pk"))


def schedule(talks: Iterable[Talk]) -> list[Slot]:
    """Lay ``talks`` out from CONFERENCE_START: a room per track, days end at DAY_END."""
    rooms = dict(Talk.Track.choices)
    slots = []
    by_track = sorted(talks, key=lambda t: t.track)
    for track, in_track in itertools.groupby(by_track, lambda t: t.track):
        start = CONFERENCE_START
        for talk in sorted(in_track, key=lambda t: (t.title, t.pk)):
            end = start + timedelta(minutes=talk.duration)
            if end.timetz() > DAY_END or end.date() != start.date():
                # The talk would run past the end of the day: next morning.
                next_day = start.date() + timedelta(days=1)
                start = datetime.combine(next_day, CONFERENCE_START.timetz())
                end = start + timedelta(minutes=talk.duration)
            slots.append(Slot(talk, rooms.get(track, track), start, end))
            start = end + CHANGEOVER
    return sorted(slots, key=lambda s: (s.start, s.room, s.talk.pk))


OnSlot = Callable[[int], None]

CSV_HEADER: Final = ("Date", "Start (UTC)", "End (UTC)", "Room", "Title", "Speaker", "Level")


def _csv_cell(value: str) -> str:
    # Spreadsheets evaluate a cell starting with = + - @ (or a tab or CR) as a
    # formula. Titles are user input (CSV injection): quote such a cell.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def schedule_csv(slots: list[Slot], *, on_slot: OnSlot | None = None) -> str:
    """Return ``slots`` as CSV, calling ``on_slot(n)`` after the n-th talk."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for number, (talk, room, start, end) in enumerate(slots, start=1):
        row = [start.date().isoformat(), start.strftime("%H:%M"), end.strftime("%H:%M"), room]
        row += [_csv_cell(talk.title), _csv_cell(talk.speaker.name), talk.get_level_display()]
        writer.writerow(row)
        if on_slot is not None:
            on_slot(number)
    return out.getvalue()


# iCalendar by hand: an export needs only RFC 5545's escaping, UTC times and folding.
def ics_text(value: str) -> str:
    """Escape ``value`` as an iCalendar TEXT value (RFC 5545 section 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def ics_fold(line: str) -> str:
    """Fold a content line into lines of at most 75 octets, never splitting a character (3.1)."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def _ics_time(value: datetime) -> str:
    return value.astimezone(dt_timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def schedule_ics(slots: list[Slot], *, stamp: datetime, on_slot: OnSlot | None = None) -> str:
    """Return ``slots`` as an iCalendar file stamped ``stamp``, calling ``on_slot(n)`` per talk."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//django-six-demos//Conference schedule//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for number, (talk, room, start, end) in enumerate(slots, start=1):
        description = (
            f"{talk.speaker.name} ({talk.get_level_display()}, {talk.duration} minutes)"
            f"\n\n{talk.abstract}"
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:talk-{talk.pk}@django-six-demos.example",
            f"DTSTAMP:{_ics_time(stamp)}",
            f"DTSTART:{_ics_time(start)}",
            f"DTEND:{_ics_time(end)}",
            f"SUMMARY:{ics_text(talk.title)}",
            f"LOCATION:{ics_text(room)}",
            f"DESCRIPTION:{ics_text(description)}",
            "END:VEVENT",
        ]
        if on_slot is not None:
            on_slot(number)
    lines.append("END:VCALENDAR")
    return "".join(f"{ics_fold(line)}\r\n" for line in lines)


@idempotent
@task(queue_name="exports", takes_context=True)
def build_schedule_export(
    context: TaskContext[Any, Any], export_id: int, *, delay_ms: int = 0
) -> dict[str, Any]:
    """Write the schedule into ScheduleExport ``export_id``, with progress and its result id.

    ``delay_ms`` pauses after each talk, shortened to add up to MAX_TOTAL_DELAY at most.
    """
    if not 0 <= delay_ms <= MAX_DELAY_MS:
        raise ValueError(f"delay_ms must be between 0 and {MAX_DELAY_MS}, got {delay_ms}")
    export = ScheduleExport.objects.filter(pk=export_id).first()
    if export is None:
        raise ValueError(f"Schedule export {export_id} no longer exists: it was pruned.")
    slots = schedule(accepted_talks())
    pause = min(delay_ms / 1000, MAX_TOTAL_DELAY.total_seconds() / max(len(slots), 1))
    exports = ScheduleExport.objects.filter(pk=export.pk)
    # Starts from scratch: a re-run (re-enqueued, or by the reaper) overwrites.
    exports.update(
        result_id=context.task_result.id, total=len(slots), done=0, content="", finished_at=None
    )

    def progress(done: int) -> None:
        if pause:
            time.sleep(pause)
        if done % PROGRESS_EVERY == 0:
            exports.update(done=done)

    if export.format == ScheduleExport.Format.CSV:
        content = schedule_csv(slots, on_slot=progress)
    elif export.format == ScheduleExport.Format.ICS:
        content = schedule_ics(slots, stamp=timezone.now(), on_slot=progress)
    else:
        raise ValueError(f"Unknown export format {export.format!r}")
    if not exports.update(content=content, done=len(slots), finished_at=timezone.now()):
        raise ValueError(f"Schedule export {export_id} was pruned while it was built.")
    return {
        "export_id": export.pk,
        "format": export.format,
        "talks": len(slots),
        "bytes": len(content.encode()),
        "filename": export.filename,
    }


class DemoFailure(Exception):
    """What :func:`fail_on_demand` raises."""


@task()
def fail_on_demand(message: str) -> None:
    """Raise :class:`DemoFailure`: the result becomes FAILED, with the traceback."""
    raise DemoFailure(message)


@task(takes_context=True)
def report_attempt(context: TaskContext[Any, Any]) -> dict[str, Any]:
    """Return this run's attempt number, result id and worker, from the task context."""
    result = context.task_result
    return {
        "attempt": context.attempt,
        "result_id": str(result.id),
        "worker_id": result.worker_ids[-1] if result.worker_ids else None,
    }
