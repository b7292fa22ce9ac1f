"""Seed the conference with demo speakers, talks and users: ``manage.py demos_seed``.

The data is ``conference/data/seed.json``, looked up by slug, so a re-run creates only
what is missing; users the command did not create are left alone.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import QuerySet
from django.utils.text import slugify

# DEMO_USERS is re-exported: the tests and the docs' tests read it from here.
from django_six_demos.conference.demo_users import DEMO_USERS as DEMO_USERS
from django_six_demos.conference.demo_users import DemoUser
from django_six_demos.conference.models import SeededUser, Speaker, Talk

BENCHMARK_SLUG_PREFIX = "benchmark-talk-"
# Bounds the memory of one INSERT; Django lowers it further where SQLite needs it.
_BATCH_SIZE = 1000


Seed = dict[str, Any]


@functools.cache
def catalogue() -> tuple[tuple[Seed, ...], tuple[Seed, ...]]:
    """Return the speakers and talks ``seed.json`` lists (a talk names its speaker's slug)."""
    path = resources.files("django_six_demos.conference") / "data" / "seed.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(data["speakers"]), tuple(data["talks"])


def benchmark_slug(number: int) -> str:
    """Return the slug of the benchmark talk with this 1-based number."""
    return f"{BENCHMARK_SLUG_PREFIX}{number:05d}"


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _slugs(rows: QuerySet[Speaker] | QuerySet[Talk]) -> set[str]:
    return set(rows.values_list("slug", flat=True))


class Command(BaseCommand):
    help = (
        "Seed the conference with demo speakers, talks and users (staff, ada, grace). "
        "Safe to run repeatedly: only missing rows are created."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--extra-talks",
            type=int,
            metavar="N",
            help="Also make exactly N benchmark talks exist (benchmark-talk-00001 onwards).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        extra_talks: int | None = options["extra_talks"]
        # call_command(extra_talks=-1) bypasses argparse, so check here.
        if extra_talks is not None and extra_talks < 0:
            raise CommandError(f"--extra-talks must be 0 or more, not {extra_talks}.")
        bench_created = bench_removed = 0
        # One transaction: an error anywhere leaves the database as it was.
        with transaction.atomic():
            speakers_created, talks_created = self._seed_conference()
            users_created, left_alone = self._seed_users()
            if extra_talks is not None:
                bench_created, bench_removed = self._seed_benchmark(extra_talks)
        if options["verbosity"] < 1:
            return

        summary = "Created {}, {}, {}".format(
            _plural(speakers_created, "speaker", "speakers"),
            _plural(talks_created, "talk", "talks"),
            _plural(users_created, "user", "users"),
        )
        if speakers_created == talks_created == users_created == 0:
            summary += " (already seeded)"
        self.stdout.write(self.style.SUCCESS(summary + "."))
        for demo in left_alone:
            line = f"User {demo.username!r} already exists and demos_seed did not create it"
            line += ": left as it is"
            if demo.speaker_name is not None:
                line += f" (not linked to speaker {demo.speaker_name})"
            self.stdout.write(self.style.WARNING(line + "."))
        if users_created and not settings.DEBUG:
            self.stdout.write(
                self.style.WARNING(
                    "DEBUG is off, so the demo users have no password: "
                    "set one with 'manage.py changepassword <username>'."
                )
            )
        if extra_talks is not None:
            line = "Created " + _plural(bench_created, "benchmark talk", "benchmark talks")
            if bench_removed:
                line += f", removed {bench_removed}"
            self.stdout.write(self.style.SUCCESS(f"{line} ({extra_talks} in total)."))

    def _seed_conference(self) -> tuple[int, int]:
        speaker_seeds, talk_seeds = catalogue()
        there = _slugs(Speaker.objects.filter(slug__in=[s["slug"] for s in speaker_seeds]))
        new_speakers = [Speaker(**s) for s in speaker_seeds if s["slug"] not in there]
        Speaker.objects.bulk_create(new_speakers, batch_size=_BATCH_SIZE)

        there = _slugs(Talk.objects.filter(slug__in=[t["slug"] for t in talk_seeds]))
        missing = [t for t in talk_seeds if t["slug"] not in there]
        # A talk whose speaker someone deleted waits until a re-run recreates the speaker.
        by_slug = Speaker.objects.in_bulk({t["speaker"] for t in missing}, field_name="slug")
        new_talks = [
            Talk(**{**t, "speaker": by_slug[t["speaker"]]})
            for t in missing
            if t["speaker"] in by_slug
        ]
        Talk.objects.bulk_create(new_talks, batch_size=_BATCH_SIZE)
        return len(new_speakers), len(new_talks)

    def _seed_users(self) -> tuple[int, list[DemoUser]]:
        """Create the demo users whose names are free; return how many, and those left alone."""
        user_model = get_user_model()
        field = user_model.USERNAME_FIELD
        users = user_model._default_manager.filter(
            **{f"{field}__in": [d.username for d in DEMO_USERS]}
        )
        existing = {getattr(user, field): user for user in users}
        seeded = SeededUser.objects.filter(user__in=list(existing.values()))
        ours = set(seeded.values_list("user_id", flat=True))
        created = 0
        left_alone: list[DemoUser] = []
        for demo in DEMO_USERS:
            user = existing.get(demo.username)
            if user is None:
                user = user_model(**{field: demo.username}, email=f"{demo.username}@example.com")
                user.is_staff = user.is_superuser = demo.is_staff
                if settings.DEBUG:
                    user.set_password(demo.password)
                else:
                    # A public password on a deployed site would be an open door.
                    user.set_unusable_password()
                user.save()
                SeededUser.objects.create(user=user)
                created += 1
            elif user.pk not in ours:
                # The host project's user: a seeded speaker's mail must not reach it.
                left_alone.append(demo)
                continue
            if demo.speaker_name is None:
                continue
            speaker = Speaker.objects.filter(slug=slugify(demo.speaker_name)).first()
            # Only a free speaker, to a user without one: never undo an admin's reassignment.
            if (
                speaker is not None
                and speaker.user_id is None
                and not Speaker.objects.filter(user=user).exists()
            ):
                speaker.user = user
                speaker.save(update_fields=["user"])
        return created, left_alone

    def _seed_benchmark(self, target: int) -> tuple[int, int]:
        existing = dict(
            Talk.objects.filter(slug__startswith=BENCHMARK_SLUG_PREFIX).values_list("slug", "pk")
        )
        wanted = {benchmark_slug(number): number for number in range(1, target + 1)}
        surplus = [pk for slug, pk in existing.items() if slug not in wanted]
        # In chunks, under the database's query parameter limit.
        for start in range(0, len(surplus), _BATCH_SIZE):
            Talk.objects.filter(pk__in=surplus[start : start + _BATCH_SIZE]).delete()

        missing = [(number, slug) for slug, number in wanted.items() if slug not in existing]
        if not missing:
            return 0, len(surplus)
        # The catalogue's text, tracks, levels and statuses, cycled; speakers round-robin.
        _, talk_seeds = catalogue()
        speakers = list(Speaker.objects.order_by("pk"))
        if not speakers:
            raise CommandError("Benchmark talks need at least one speaker.")
        new_talks = []
        for number, slug in missing:
            seed = talk_seeds[(number - 1) % len(talk_seeds)]
            title = f"{seed['title']} (benchmark #{number:05d})"
            speaker = speakers[(number - 1) % len(speakers)]
            new_talks.append(Talk(**{**seed, "title": title, "slug": slug, "speaker": speaker}))
        Talk.objects.bulk_create(new_talks, batch_size=_BATCH_SIZE)
        return len(new_talks), len(surplus)
