"""Filters of the CRUD demo's lists, with django-filter (neapolitan's ``filterset_class``).

A value that does not validate is left out and reported by ``filterset.errors``.
"""

from __future__ import annotations

from typing import Final

import django_filters  # type: ignore[import-untyped]
from django import forms
from django.db.models import Q, QuerySet

from django_six_demos.conference.models import Speaker, Talk

SEARCH_MAX_LENGTH: Final = 100


def search_box(placeholder: str) -> django_filters.CharFilter:
    """A search box, filtered by the FilterSet's ``search()`` method."""
    return django_filters.CharFilter(
        label="Search",
        method="search",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": placeholder}),
    )


class TalkFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    """Search and filter talks: text, track, level and status."""

    q = search_box("Title, abstract or speaker")
    track = django_filters.ChoiceFilter(choices=Talk.Track.choices, empty_label="All tracks")
    level = django_filters.ChoiceFilter(choices=Talk.Level.choices, empty_label="All levels")
    status = django_filters.ChoiceFilter(choices=Talk.Status.choices, empty_label="Any status")

    def search(self, queryset: QuerySet[Talk], name: str, value: str) -> QuerySet[Talk]:
        return queryset.filter(
            Q(title__icontains=value)
            | Q(abstract__icontains=value)
            | Q(speaker__name__icontains=value)
        )


class SpeakerFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    """Search speakers by name or company."""

    q = search_box("Name or company")

    def search(self, queryset: QuerySet[Speaker], name: str, value: str) -> QuerySet[Speaker]:
        return queryset.filter(Q(name__icontains=value) | Q(company__icontains=value))
