"""URLs of the CRUD demo.

No ``app_name``: neapolitan reverses bare ``"<url_base>-<role>"`` names, so
nothing in the include chain may add a namespace. Each view's ``url_base``
("demos-talk", "demos-speaker") keeps its names from clashing with a project's.
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
