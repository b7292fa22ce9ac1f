"""Forms of the template partials demo: the explorer's filters and the title editor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from django import forms

from django_six_demos.conference.models import Talk

# Sort keys the explorer accepts, with their labels and ORM orderings: an allowlist,
# so a request can never order by an arbitrary field.
SORTS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "title": ("Title A-Z", ("title", "pk")),
    "-title": ("Title Z-A", ("-title", "-pk")),
    "speaker": ("Speaker", ("speaker__name", "title", "pk")),
    "duration": ("Shortest first", ("duration", "title", "pk")),
    "-duration": ("Longest first", ("-duration", "title", "pk")),
}


class ExplorerForm(forms.Form):
    """The explorer's search, filters and sort order, all optional."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Title, abstract or speaker"}
        ),
    )
    track = forms.ChoiceField(required=False, choices=[("", "All tracks"), *Talk.Track.choices])
    level = forms.ChoiceField(required=False, choices=[("", "All levels"), *Talk.Level.choices])
    sort = forms.ChoiceField(
        required=False, choices=[(key, label) for key, (label, _) in SORTS.items()]
    )

    def filters(self) -> dict[str, Any]:
        """Return the valid values only: a bad field is reported, not applied."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


if TYPE_CHECKING:
    # ModelForm is generic only in django-stubs, not at runtime.
    TalkModelForm = forms.ModelForm[Talk]
else:
    TalkModelForm = forms.ModelForm


class TitleForm(TalkModelForm):
    class Meta:
        model = Talk
        fields = ["title"]
