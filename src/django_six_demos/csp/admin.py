"""Admin for the CSP violation reports: read-only, as browsers wrote them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest

from django_six_demos.csp.models import CspReport

if TYPE_CHECKING:
    # ModelAdmin is generic only in django-stubs, not at runtime.
    CspReportAdminBase = admin.ModelAdmin[CspReport]
else:
    CspReportAdminBase = admin.ModelAdmin


@admin.register(CspReport)
class CspReportAdmin(CspReportAdminBase):
    list_display = [
        "received_at",
        "effective_directive",
        "blocked_uri",
        "document_uri",
        "disposition",
        "format",
    ]
    list_filter = ["effective_directive", "disposition", "format"]
    search_fields = ["document_uri", "blocked_uri"]
    date_hierarchy = "received_at"
    list_per_page = 50

    # Reports are evidence: only the collector writes them. Deleting stays
    # allowed (for staff with the permission), to clear old ones.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CspReport | None = None) -> bool:
        return False
