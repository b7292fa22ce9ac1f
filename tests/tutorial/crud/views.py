"""Chapter 5's first code: neapolitan's ``CRUDView``, bare, for the conference's talks."""

# neapolitan ships no type hints; the demo's views ignore the same two errors in place.
# mypy: disable-error-code="import-untyped, misc"

from __future__ import annotations

from neapolitan.views import CRUDView

from django_six_demos.conference.models import Talk


class TalkView(CRUDView):
    model = Talk
    fields = ["title", "slug", "speaker", "abstract", "track", "level", "duration"]
