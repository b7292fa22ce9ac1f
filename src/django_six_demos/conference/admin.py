"""Admin for the conference domain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from django_six_demos.conference.models import Speaker, Talk

if TYPE_CHECKING:
    # ModelAdmin is generic only in django-stubs, not at runtime.
    SpeakerAdminBase = admin.ModelAdmin[Speaker]
    TalkAdminBase = admin.ModelAdmin[Talk]
else:
    SpeakerAdminBase = TalkAdminBase = admin.ModelAdmin


@admin.register(Speaker)
class SpeakerAdmin(SpeakerAdminBase):
    list_display = ["name", "company", "user"]
    search_fields = ["name", "company"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Talk)
class TalkAdmin(TalkAdminBase):
    list_display = ["title", "speaker", "track", "level", "status", "duration"]
    list_filter = ["track", "level", "status"]
    search_fields = ["title", "abstract", "speaker__name"]
    list_select_related = ["speaker"]
    prepopulated_fields = {"slug": ["title"]}
