"""Admin for the tasks room's own rows (django-tasks-db registers its task results)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from django_six_demos.tasks.models import Rerun, ScheduleExport

if TYPE_CHECKING:  # ModelAdmin is generic only in django-stubs, not at runtime.
    ModelAdmin = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin


class WrittenByTasksAdmin(ModelAdmin):
    """Rows the tasks write: the admin shows and deletes them, never adds one."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields if not field.primary_key]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ScheduleExport)
class ScheduleExportAdmin(WrittenByTasksAdmin):
    list_display = ["pk", "format", "result_id", "done", "total", "created_at", "finished_at"]
    list_filter = ["format"]
    search_fields = ["result_id"]


@admin.register(Rerun)
class RerunAdmin(WrittenByTasksAdmin):
    list_display = ["original_id", "new_id", "created_at"]
    search_fields = ["original_id", "new_id"]
