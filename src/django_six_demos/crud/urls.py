"""URLs of the CRUD demo: no ``app_name``, as neapolitan reverses bare ``"<url_base>-<role>"``.

Each view's ``url_base`` ("demos-talk", "demos-speaker") keeps clear of a project's names.
"""

from __future__ import annotations

from django.urls import path

from django_six_demos.crud import views

urlpatterns = [
    path("", views.index, name="demos-crud-index"),
    # demos-talk/, demos-talk/new/, demos-talk/<pk>/, .../edit/, .../delete/,
    # named "demos-talk-list", "-create", "-detail", "-update" and "-delete".
    *views.TalkView.get_urls(),
    *views.SpeakerView.get_urls(),
]
