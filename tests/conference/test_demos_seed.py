"""The demos_seed management command: realistic, idempotent demo data."""

from __future__ import annotations

import re
from collections import Counter
from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import SimpleTestCase, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.text import slugify

from django_six_demos.conference.management.commands import demos_seed
from django_six_demos.conference.management.commands.demos_seed import (
    BENCHMARK_SLUG_PREFIX,
    DEMO_USERS,
)
from django_six_demos.conference.models import SeededUser, Speaker, Talk

User = get_user_model()

# The command hashes three passwords per run; the default hasher is slow on
# purpose, which would dominate these tests. The demo passwords are set only
# while DEBUG is on (local use), as in the example project's development settings.
fast_hashing = override_settings(
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], DEBUG=True
)


def seed(*args: str, **options: object) -> str:
    out = StringIO()
    call_command("demos_seed", *args, stdout=out, **options)
    return out.getvalue()


def benchmark_talks():
    return Talk.objects.filter(slug__startswith=BENCHMARK_SLUG_PREFIX)


class CatalogueTests(SimpleTestCase):
    """seed.json is edited by hand: what the command relies on holds."""

    def test_slugs_follow_names_and_titles_and_are_unique(self):
        speakers, talks = demos_seed.catalogue()
        assert [s["slug"] for s in speakers] == [slugify(s["name"]) for s in speakers]
        assert [t["slug"] for t in talks] == [slugify(t["title"]) for t in talks]
        assert len({s["slug"] for s in speakers}) == len(speakers)
        assert len({t["slug"] for t in talks}) == len(talks)

    def test_talks_name_known_speakers_and_valid_choices(self):
        speakers, talks = demos_seed.catalogue()
        assert {t["speaker"] for t in talks} <= {s["slug"] for s in speakers}
        assert {t["track"] for t in talks} <= set(Talk.Track.values)
        assert {t["level"] for t in talks} <= set(Talk.Level.values)
        assert {t["status"] for t in talks} <= set(Talk.Status.values)


@fast_hashing
class FirstRunTests(TestCase):
    output: str

    @classmethod
    def setUpTestData(cls):
        cls.output = seed()

    def test_reports_what_it_created(self):
        assert self.output == "Created 40 speakers, 120 talks, 3 users.\n"

    def test_creates_exactly_what_it_reports(self):
        match = re.match(r"Created (\d+) speakers, (\d+) talks, (\d+) users\.", self.output)
        assert match is not None
        speakers, talks, users = map(int, match.groups())
        assert Speaker.objects.count() == speakers
        assert Talk.objects.count() == talks
        assert User.objects.count() == users

    def test_talks_cover_every_track_level_and_status(self):
        assert set(Talk.objects.values_list("track", flat=True)) == set(Talk.Track.values)
        assert set(Talk.objects.values_list("level", flat=True)) == set(Talk.Level.values)
        assert set(Talk.objects.values_list("status", flat=True)) == set(Talk.Status.values)

    def test_tracks_are_evenly_spread(self):
        per_track = Counter(Talk.objects.values_list("track", flat=True))
        assert min(per_track.values()) >= 20

    def test_most_talks_are_accepted_or_submitted(self):
        statuses = Counter(Talk.objects.values_list("status", flat=True))
        decided = statuses[Talk.Status.ACCEPTED] + statuses[Talk.Status.SUBMITTED]
        assert decided >= 0.7 * Talk.objects.count()
        assert statuses[Talk.Status.ACCEPTED] > statuses[Talk.Status.WAITLISTED]
        assert statuses[Talk.Status.WAITLISTED] > 0
        assert statuses[Talk.Status.REJECTED] > 0

    def test_durations_are_talk_slots_with_a_few_workshops(self):
        durations = Counter(Talk.objects.values_list("duration", flat=True))
        assert set(durations) == {25, 45, 90}
        assert 1 <= durations[90] <= 10

    def test_every_speaker_has_at_least_one_talk(self):
        assert not Speaker.objects.filter(talks__isnull=True).exists()

    def test_titles_and_abstracts_read_like_talks(self):
        for talk in Talk.objects.all():
            assert talk.title[0].isupper() or talk.title.startswith("htmx"), talk.title
            # Several sentences, not a placeholder.
            assert len(re.findall(r"[.?!](?:\s|$)", talk.abstract)) >= 3, talk.abstract

    def test_demo_users_sign_in_with_the_documented_passwords(self):
        for demo in DEMO_USERS:
            user = User.objects.get(username=demo.username)
            assert user.check_password(demo.password), demo.username
            assert user.is_staff is demo.is_staff

    def test_staff_user_is_staff_and_superuser(self):
        staff = User.objects.get(username="staff")
        assert staff.is_staff
        assert staff.is_superuser
        assert not Speaker.objects.filter(user=staff).exists()

    def test_speaker_users_own_accepted_and_submitted_talks(self):
        for username in ("ada", "grace"):
            user = User.objects.get(username=username)
            assert not user.is_staff
            assert not user.is_superuser
            speaker = Speaker.objects.get(user=user)
            statuses = Counter(speaker.talks.values_list("status", flat=True))
            assert statuses[Talk.Status.ACCEPTED] >= 1, username
            assert statuses[Talk.Status.SUBMITTED] >= 1, username
            assert speaker.talks.count() >= 3, username

    def test_speaker_users_match_their_documented_speaker_names(self):
        for demo in DEMO_USERS:
            if demo.speaker_name is not None:
                speaker = Speaker.objects.get(user__username=demo.username)
                assert speaker.name == demo.speaker_name

    def test_creates_no_benchmark_talks_by_default(self):
        assert not benchmark_talks().exists()

    def test_records_each_user_it_created(self):
        recorded = SeededUser.objects.values_list("user__username", flat=True)
        assert sorted(recorded) == sorted(demo.username for demo in DEMO_USERS)


@fast_hashing
class RerunTests(TestCase):
    def test_second_run_creates_nothing_and_says_so(self):
        seed()
        output = seed()
        assert output == "Created 0 speakers, 0 talks, 0 users (already seeded).\n"
        assert Speaker.objects.count() == 40
        assert Talk.objects.count() == 120
        assert User.objects.count() == 3

    def test_rerun_recreates_only_missing_rows(self):
        seed()
        Talk.objects.latest("pk").delete()
        User.objects.filter(username="grace").delete()
        output = seed()
        assert output == "Created 0 speakers, 1 talk, 1 user.\n"
        assert Talk.objects.count() == 120
        # The recreated user is linked to the speaker the deletion freed.
        assert Speaker.objects.get(user__username="grace").name == "Grace Hopper"

    def test_rerun_links_a_freed_speaker_to_its_own_user_again(self):
        seed()
        Speaker.objects.filter(slug="ada-lovelace").update(user=None)
        seed()
        assert Speaker.objects.get(slug="ada-lovelace").user == User.objects.get(username="ada")

    def test_rerun_keeps_a_password_changed_on_a_user_it_created(self):
        seed()
        ada = User.objects.get(username="ada")
        ada.set_password("changed-on-purpose")
        ada.save()
        seed()
        ada.refresh_from_db()
        assert ada.check_password("changed-on-purpose")

    def test_reassigned_speaker_is_not_taken_back(self):
        seed()
        other = User.objects.create_user("someone-else")
        Speaker.objects.filter(user__username="ada").update(user=other)
        seed()
        assert Speaker.objects.get(slug="ada-lovelace").user == other

    def test_catalogue_is_the_same_on_every_build(self):
        first = demos_seed.catalogue()
        demos_seed.catalogue.cache_clear()
        assert demos_seed.catalogue() == first

    def test_failure_leaves_nothing_half_written(self):
        with (
            mock.patch.object(demos_seed.Command, "_seed_users", side_effect=RuntimeError("boom")),
            pytest.raises(RuntimeError, match="boom"),
        ):
            seed()
        assert not Speaker.objects.exists()
        assert not Talk.objects.exists()

    def test_verbosity_zero_prints_nothing(self):
        out, err = StringIO(), StringIO()
        call_command("demos_seed", "--extra-talks", "5", verbosity=0, stdout=out, stderr=err)
        assert out.getvalue() == ""
        assert err.getvalue() == ""
        assert Talk.objects.count() == 125


@fast_hashing
class ExtraTalksTests(TestCase):
    def test_creates_exactly_n_benchmark_talks(self):
        output = seed("--extra-talks", "250")
        assert output.splitlines()[-1] == "Created 250 benchmark talks (250 in total)."
        assert benchmark_talks().count() == 250
        assert Talk.objects.count() == 120 + 250
        assert benchmark_talks().filter(slug="benchmark-talk-00001").exists()
        assert benchmark_talks().filter(slug="benchmark-talk-00250").exists()

    def test_is_idempotent_as_a_target_count(self):
        seed(extra_talks=250)
        output = seed(extra_talks=250)
        assert output == (
            "Created 0 speakers, 0 talks, 0 users (already seeded).\n"
            "Created 0 benchmark talks (250 in total).\n"
        )
        assert benchmark_talks().count() == 250

    def test_tops_up_to_a_larger_target(self):
        seed(extra_talks=100)
        output = seed(extra_talks=250)
        assert output.splitlines()[-1] == "Created 150 benchmark talks (250 in total)."
        assert benchmark_talks().count() == 250

    def test_removes_benchmark_talks_beyond_a_smaller_target(self):
        seed(extra_talks=250)
        output = seed(extra_talks=100)
        assert output.splitlines()[-1] == "Created 0 benchmark talks, removed 150 (100 in total)."
        assert benchmark_talks().count() == 100
        assert not benchmark_talks().filter(slug="benchmark-talk-00101").exists()
        # The seeded catalogue is untouched.
        assert Talk.objects.count() == 120 + 100

    def test_zero_removes_every_benchmark_talk(self):
        seed(extra_talks=50)
        seed(extra_talks=0)
        assert not benchmark_talks().exists()
        assert Talk.objects.count() == 120

    def test_are_spread_over_speakers_tracks_levels_and_statuses(self):
        seed(extra_talks=400)
        talks = benchmark_talks()
        assert talks.values("speaker").distinct().count() == Speaker.objects.count()
        assert set(talks.values_list("track", flat=True)) == set(Talk.Track.values)
        assert set(talks.values_list("level", flat=True)) == set(Talk.Level.values)
        assert set(talks.values_list("status", flat=True)) == set(Talk.Status.values)

    def test_ten_thousand_talks_take_few_queries(self):
        seed()
        with CaptureQueriesContext(connection) as queries:
            seed(extra_talks=10_000)
        assert benchmark_talks().count() == 10_000
        # Batched inserts, not one query per talk: this is what keeps 10,000
        # talks down to a second or two on SQLite.
        assert len(queries) < 200
        assert benchmark_talks().filter(slug="benchmark-talk-10000").exists()

    def test_negative_count_is_a_command_error(self):
        with pytest.raises(CommandError, match="--extra-talks must be 0 or more"):
            seed("--extra-talks", "-1")
        with pytest.raises(CommandError, match="--extra-talks must be 0 or more"):
            seed(extra_talks=-5)
        assert not Talk.objects.exists()


@fast_hashing
class HostUsersTests(TestCase):
    """Users the command finds already there belong to the host project."""

    def test_an_existing_user_is_left_as_it_is_and_not_linked(self):
        User.objects.create_user(
            "ada", email="ada@host.example", password="her-own", first_name="Ada"
        )
        output = seed()

        assert output == (
            "Created 40 speakers, 120 talks, 2 users.\n"
            "User 'ada' already exists and demos_seed did not create it: left as it is "
            "(not linked to speaker Ada Lovelace).\n"
        )
        ada = User.objects.get(username="ada")
        assert ada.check_password("her-own")
        assert not ada.check_password("ada-demo")
        assert (ada.email, ada.is_staff, ada.is_superuser) == ("ada@host.example", False, False)
        # No speaker, so none of the seeded speaker's mail reaches her inbox.
        assert Speaker.objects.get(slug="ada-lovelace").user is None
        assert not Speaker.objects.filter(user=ada).exists()
        assert not SeededUser.objects.filter(user=ada).exists()

    def test_an_existing_staff_name_gets_no_rights_and_no_password(self):
        User.objects.create_user("staff", password="their-own")
        output = seed()

        assert "User 'staff' already exists and demos_seed did not create it: left as it is.\n" in (
            output
        )
        staff = User.objects.get(username="staff")
        assert (staff.is_staff, staff.is_superuser) == (False, False)
        assert staff.check_password("their-own")

    def test_a_host_user_stays_unlinked_on_every_run(self):
        User.objects.create_user("grace", password="her-own")
        seed()
        output = seed()

        assert output == (
            "Created 0 speakers, 0 talks, 0 users (already seeded).\n"
            "User 'grace' already exists and demos_seed did not create it: left as it is "
            "(not linked to speaker Grace Hopper).\n"
        )
        assert Speaker.objects.get(slug="grace-hopper").user is None

    def test_a_database_seeded_before_users_were_recorded_is_left_alone(self):
        # Users from an older demos_seed carry no record: they may have been
        # handed to real people since, so they are not the command's any more.
        seed()
        SeededUser.objects.all().delete()
        Speaker.objects.update(user=None)
        output = seed()

        assert output.count("demos_seed did not create it") == len(DEMO_USERS)
        assert not Speaker.objects.filter(user__isnull=False).exists()

    def test_the_host_user_keeps_its_name_after_the_seeded_one_is_deleted(self):
        seed()
        User.objects.filter(username="ada").delete()
        host = User.objects.create_user("ada", password="her-own")
        seed()

        assert not SeededUser.objects.filter(user=host).exists()
        assert Speaker.objects.get(slug="ada-lovelace").user is None


class DeployedSiteTests(TestCase):
    @override_settings(DEBUG=False)
    def test_without_debug_demo_users_get_no_usable_password(self):
        output = seed()

        for demo in DEMO_USERS:
            user = User.objects.get(username=demo.username)
            assert not user.has_usable_password(), demo.username
        assert "DEBUG is off, so the demo users have no password" in output

    @override_settings(DEBUG=False)
    def test_without_debug_an_existing_user_keeps_its_password(self):
        User.objects.create_user("grace", password="her-own")
        seed()

        assert User.objects.get(username="grace").check_password("her-own")
