"""Admin for the tasks demo's own rows (django-tasks-db registers its task results)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest

from django_six_demos.tasks.models import Rerun, ScheduleExport

if TYPE_CHECKING:
    # ModelAdmin is generic only in django-stubs, not at runtime.
    ScheduleExportAdminBase = admin.ModelAdmin[ScheduleExport]
    RerunAdminBase = admin.ModelAdmin[Rerun]
else:
    ScheduleExportAdminBase = RerunAdminBase = admin.ModelAdmin


@admin.register(ScheduleExport)
class ScheduleExportAdmin(ScheduleExportAdminBase):
    list_display = ["pk", "format", "result_id", "done", "total", "created_at", "finished_at"]
    list_filter = ["format"]
    search_fields = ["result_id"]
    # Written by the task only: the admin shows them.
    readonly_fields = [
        "format",
        "result_id",
        "done",
        "total",
        "content",
        "created_at",
        "finished_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Rerun)
class RerunAdmin(RerunAdminBase):
    list_display = ["original_id", "new_id", "created_at"]
    search_fields = ["original_id", "new_id"]
    readonly_fields = ["original_id", "new_id", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
