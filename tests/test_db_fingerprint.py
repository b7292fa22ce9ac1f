"""``manage.py demos_db_fingerprint``: equal rows give equal lines, any change shows.

The move to PostgreSQL itself, with this command as its proof, is tested in
``test_move_to_postgresql.py``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_six_demos.conference.models import Speaker
from django_six_demos.csp.models import CspReport
from django_six_demos.management.commands.demos_db_fingerprint import canonical_json, normalise

pytestmark = pytest.mark.django_db

# What migrate creates in every test database; the tests below leave it out.
MIGRATE_ROWS = ("-e", "contenttypes", "-e", "auth.Permission")
EMPTY_DIGEST = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256(b"")


def fingerprint(*args: str) -> dict[str, tuple[str, str]]:
    """Run the command; return each line's (row count, digest) by model label."""
    out = StringIO()
    call_command("demos_db_fingerprint", *args, stdout=out, stderr=StringIO())
    lines = [line.split(" ") for line in out.getvalue().splitlines()]
    assert all(len(parts) == 3 for parts in lines), lines
    return {label: (rows, digest) for label, rows, digest in lines}


SPEAKERS = [
    (3, "Grace Hopper", "grace-hopper", "grace"),
    (7, "Ada Lovelace", "ada-lovelace", "ada"),
    (11, "Katherine Johnson", "katherine-johnson", None),
]
SESSION_KEYS = ["b" * 32, "A" * 32, "a" * 32, "é" * 32]


def create_rows(order: int) -> None:
    """The same rows, with the same primary keys, inserted in the given order (1 or -1)."""
    joined = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    for pk, name, slug, username in SPEAKERS[::order]:
        user = (
            User.objects.create(pk=pk, username=username, date_joined=joined) if username else None
        )
        Speaker.objects.create(pk=pk, name=name, slug=slug, bio="Bio.\nTwo lines.", user=user)
    expires = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    for key in SESSION_KEYS[::order]:
        Session.objects.create(session_key=key, session_data="{}", expire_date=expires)
    # Equal instants in two time zones are the same value.
    received = dt.datetime(2026, 11, 24, 12, 30, 0, 123456, tzinfo=dt.timezone.utc)
    if order < 0:
        received = received.astimezone(dt.timezone(dt.timedelta(hours=2)))
    CspReport.objects.create(pk=1, received_at=received, format="report-to", line_number=4)


def test_the_same_rows_give_the_same_lines_whatever_the_insertion_order():
    create_rows(1)
    first = fingerprint(*MIGRATE_ROWS)
    for model in (Speaker, User, Session, CspReport):
        model.objects.all().delete()
    create_rows(-1)

    assert fingerprint(*MIGRATE_ROWS) == first
    assert {label: rows for label, (rows, _) in first.items()} == {
        "auth.User": "2",
        "django_six_demos_conference.Speaker": "3",
        "django_six_demos_csp.CspReport": "1",
        "sessions.Session": "4",
    }


def test_one_changed_field_changes_only_that_models_digest():
    create_rows(1)
    before = fingerprint(*MIGRATE_ROWS)
    Speaker.objects.filter(pk=7).update(bio="Bio.\nTwo lines!")
    after = fingerprint(*MIGRATE_ROWS)

    changed = {label for label in before if before[label] != after[label]}
    assert changed == {"django_six_demos_conference.Speaker"}
    assert after["django_six_demos_conference.Speaker"][0] == "3"


def test_a_changed_microsecond_changes_the_digest():
    # What a JSON dump loses (it keeps milliseconds): the command must see it.
    create_rows(1)
    before = fingerprint("django_six_demos_csp")
    CspReport.objects.update(
        received_at=dt.datetime(2026, 11, 24, 12, 30, 0, 123000, tzinfo=dt.timezone.utc)
    )

    assert fingerprint("django_six_demos_csp") != before


def test_a_foreign_key_to_a_natural_key_model_counts_by_its_natural_key():
    # migrate recreates permissions (and content types) under new primary
    # keys: a group keeping the same permissions must keep its digest.
    group = Group.objects.create(name="editors")
    permission = Permission.objects.get(codename="change_talk")
    group.permissions.add(permission)
    before = fingerprint("auth")

    Permission.objects.filter(pk=permission.pk).delete()
    group.permissions.add(
        Permission.objects.create(
            codename=permission.codename,
            name=permission.name,
            content_type=permission.content_type,
        )
    )
    after = fingerprint("auth")

    assert after["auth.Group"] == before["auth.Group"]
    assert after["auth.Permission"] != before["auth.Permission"]


def test_excluded_apps_and_models_are_left_out():
    create_rows(1)

    everything = fingerprint()
    without_auth = fingerprint("-e", "auth", "--exclude", "sessions")
    without_users = fingerprint("-e", "auth.user")

    assert {"auth.User", "auth.Permission", "sessions.Session"} <= set(everything)
    assert not any(label.startswith(("auth.", "sessions.")) for label in without_auth)
    assert "django_six_demos_conference.Speaker" in without_auth
    assert "auth.User" not in without_users and "auth.Permission" in without_users


def test_an_empty_database_prints_nothing():
    out, err = StringIO(), StringIO()
    call_command("demos_db_fingerprint", *MIGRATE_ROWS, stdout=out, stderr=err)

    assert out.getvalue() == ""
    assert err.getvalue() == "No rows in the selected models.\n"


def test_named_apps_and_models_are_listed_even_when_empty():
    lines = fingerprint("django_six_demos_csp", "django_six_demos_conference.Talk")

    assert lines == {
        "django_six_demos_csp.CspReport": ("0", EMPTY_DIGEST),
        "django_six_demos_conference.Talk": ("0", EMPTY_DIGEST),
    }


def test_the_database_option_reads_that_database():
    create_rows(1)

    assert fingerprint("--database", "default") == fingerprint()
    with pytest.raises(CommandError, match="No database 'elsewhere'"):
        call_command("demos_db_fingerprint", "--database", "elsewhere")


@pytest.mark.parametrize("label", ["nosuchapp", "auth.NoSuchModel"])
def test_unknown_labels_are_errors(label):
    with pytest.raises(CommandError, match="Unknown"):
        call_command("demos_db_fingerprint", label)
    with pytest.raises(CommandError, match="Unknown"):
        call_command("demos_db_fingerprint", "-e", label)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        # SQLite and PostgreSQL may return the same value in different forms.
        (decimal.Decimal("1.50"), decimal.Decimal("1.5")),
        (
            dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc),
        ),
        ({"b": 1, "a": [1, {"d": 2, "c": 3}]}, {"a": [1, {"c": 3, "d": 2}], "b": 1}),
        (b"\x00\xff", memoryview(b"\x00\xff")),
    ],
)
def test_normalise_makes_equal_values_equal(one, other):
    assert canonical_json(normalise(one)) == canonical_json(normalise(other))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (decimal.Decimal("100"), "100"),
        (decimal.Decimal("0.10"), "0.1"),
        (
            dt.datetime(2026, 11, 24, 13, 0, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            "2026-11-24T12:00:00.000005+00:00",
        ),
        (dt.datetime(2026, 11, 24, 12, 0), "2026-11-24T12:00:00"),
        (dt.date(2026, 11, 24), "2026-11-24"),
        (dt.time(9, 30), "09:30:00"),
        (dt.timedelta(seconds=1, microseconds=5), 1_000_005),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (b"\x00\xff", "00ff"),
        ((1, decimal.Decimal("2.0")), [1, "2"]),
        (1.5, 1.5),
        (None, None),
    ],
)
def test_normalise(value, expected):
    assert normalise(value) == expected


def test_the_lines_are_sorted_by_label():
    create_rows(1)
    out = StringIO()
    call_command("demos_db_fingerprint", stdout=out)
    labels = [line.split(" ")[0] for line in out.getvalue().splitlines()]

    assert labels == sorted(labels)
    assert timezone.is_aware(CspReport.objects.get().received_at)
